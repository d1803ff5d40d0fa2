#pragma once
// The writing desk page (src/serve/ui/desk.html, embedded at build time by src/serve/CMakeLists.txt)
// and its route: GET / answers it with a Content-Security-Policy that lets it reach only this
// server (no CDN, no external fonts: the page works offline).
#include <string_view>

namespace httplib {
class Server;
}

namespace lw::serve {

// The page's bytes (generated from src/serve/ui/desk.html).
std::string_view desk_page();

void install_ui_page(httplib::Server& server);

}  // namespace lw::serve
