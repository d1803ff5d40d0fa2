#include "serve/ui_page.hpp"

#include <httplib.h>

namespace lw::serve {

void install_ui_page(httplib::Server& srv) {
  srv.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                   "connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; "
                   "frame-ancestors 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Cache-Control", "no-cache");
    const std::string_view page = desk_page();
    res.set_content(page.data(), page.size(), "text/html; charset=utf-8");
  });
}

}  // namespace lw::serve
