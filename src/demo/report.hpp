#pragma once
// The demo's report: both ruler curves side by side (table + log-log SVG chart), S_l per model, the
// AgentWrite result and the stage timings → DIR/report.{json,md,html}.
#include <filesystem>

#include "demo/pipeline.hpp"

namespace lw::demo {

nlohmann::json demo_json(const DemoResult& r);
std::string demo_html(const DemoResult& r);
void write_demo_report(const DemoResult& r, const std::filesystem::path& dir);

}  // namespace lw::demo
