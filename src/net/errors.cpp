#include "net/errors.hpp"

#include <algorithm>
#include <cctype>

namespace lw::net {

bool is_context_length_message(const std::string& message) {
  std::string m = message;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return m.find("context length") != std::string::npos || m.find("maximum context") != std::string::npos ||
         m.find("context_length_exceeded") != std::string::npos || m.find("context window") != std::string::npos;
}

}  // namespace lw::net
