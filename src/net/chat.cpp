#include "net/chat.hpp"

namespace lw::net {

ChatBackend::~ChatBackend() = default;

}  // namespace lw::net
