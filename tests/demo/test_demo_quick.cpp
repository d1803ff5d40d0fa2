#include <gtest/gtest.h>

#include <filesystem>

#include "demo/pipeline.hpp"
#include "io/file.hpp"

namespace {

// The paper's central finding in miniature: the model whose SFT outputs were capped short stops
// near its cap, while the model that also saw long outputs writes much longer at large L.
TEST(DemoQuick, LongDataLiftsTheOutputCap) {
  lw::demo::DemoOptions o;
  o.quick = true;
  o.progress = false;
  o.out = std::filesystem::path(LW_BINARY_DIR) / "demo-quick-test";
  std::filesystem::remove_all(o.out);
  auto r = lw::demo::run_demo(o);

  ASSERT_FALSE(r.capped.lengths.empty());
  ASSERT_EQ(r.capped.lengths, r.long_model.lengths);
  double capped_top = r.capped.mean_produced.back();
  double long_top = r.long_model.mean_produced.back();
  std::cout << lw::demo::demo_markdown(r);
  EXPECT_GT(long_top, 2.0 * capped_top) << "capped " << capped_top << " vs long " << long_top;
  // The capped model plateaus near its cap.
  EXPECT_LE(capped_top, 1.5 * static_cast<double>(r.scale.short_cap));
  EXPECT_TRUE(std::filesystem::exists(o.out / "report.html"));
  ASSERT_TRUE(std::filesystem::exists(o.out / "report.svg"));
  EXPECT_EQ(lw::io::read_file(o.out / "report.svg").rfind("<svg", 0), 0u);
  EXPECT_TRUE(std::filesystem::exists(o.out / "models" / "long" / "model.safetensors"));

  // A rerun reuses every finished stage.
  auto again = lw::demo::run_demo(o);
  EXPECT_TRUE(again.stage_seconds.empty());
  EXPECT_EQ(again.long_model.mean_produced, r.long_model.mean_produced);
}

}  // namespace
