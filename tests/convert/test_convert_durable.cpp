// convert GGUF -> HF replaces its output directory, never destroys it (issue 26): the disk full at
// each stage of the write (LW_FAULT_ENOSPC_AFTER_BYTES) ends with exit code 2 and the previous
// conversion intact; a directory holding files convert did not write is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>

#include "cli/cli_helpers.hpp"
#include "convert/convert.hpp"
#include "engine/model.hpp"
#include "engine/save.hpp"
#include "io/file.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw;

std::map<std::string, std::string> contents(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out[e.path().filename().string()] = io::read_file(e.path());
  return out;
}

TEST(ConvertDurable, EnospcAtEachStageKeepsThePreviousDirectory) {
  const fs::path d = fs::temp_directory_path() / fmt::format("lw_convert_durable_{}", ::getpid());
  fs::remove_all(d);
  engine::ModelConfig c;
  c.V = 96, c.C = 32, c.n_layer = 2, c.n_head = 4, c.n_kv_head = 2, c.hd = 8, c.ffn = 48, c.max_context = 256;
  c.bos_id = 1, c.eos_ids = {2};
  engine::save_hf_model(c, engine::make_random_model(c, 5, engine::DType::f32, 0.3f)->weights(), d / "hf");
  convert::convert_hf_to_gguf(d / "hf", d / "m.gguf");
  convert::convert_gguf_to_hf(d / "m.gguf", d / "back");
  const auto before = contents(d / "back");
  size_t total = 0;
  for (const auto& [n, b] : before) total += b.size();
  int failed = 0;
  for (double frac : {0.0, 0.2, 0.5, 0.8, 0.99}) {
    const size_t n = static_cast<size_t>(frac * static_cast<double>(total));
    auto r = lw::testing::run_shell(
        fmt::format("LW_FAULT_ENOSPC_AFTER_BYTES={} {} convert '{}' '{}' 2>&1 < /dev/null", n,
                    lw::testing::longwriter_bin(), (d / "m.gguf").string(), (d / "back").string()));
    if (r.exit_code == 0) continue;
    ++failed;
    EXPECT_EQ(r.exit_code, 2) << n << "\n" << r.out;
    EXPECT_NE(r.out.find("no space left on the device"), std::string::npos) << n << "\n" << r.out;
    EXPECT_TRUE(contents(d / "back") == before) << "the previous conversion changed at " << n;
    for (const auto& e : fs::directory_iterator(d))
      EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
  EXPECT_GE(failed, 4);

  io::write_file_atomic(d / "back" / "notes.txt", "mine");
  EXPECT_THROW(convert::convert_gguf_to_hf(d / "m.gguf", d / "back"), lw::InputError);
  EXPECT_EQ(io::read_file(d / "back" / "notes.txt"), "mine");
  fs::remove_all(d);
}

}  // namespace
