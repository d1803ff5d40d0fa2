#pragma once
// The JSON objects of a Server-Sent Events body ("data: {...}\n\n" events; [DONE] left out).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lw::testing {

inline std::vector<nlohmann::json> sse_events(const std::string& body) {
  std::vector<nlohmann::json> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    const std::string data = body.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data != "[DONE]") out.push_back(nlohmann::json::parse(data));
  }
  return out;
}

}  // namespace lw::testing
