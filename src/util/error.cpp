#include "util/error.hpp"

namespace lw {

void check_failed(const char* expr, const char* file, int line, const std::string& msg) {
  throw Error(fmt::format("internal check failed at {}:{}: {}{}{}", file, line, expr,
                          msg.empty() ? "" : ": ", msg));
}

}  // namespace lw
