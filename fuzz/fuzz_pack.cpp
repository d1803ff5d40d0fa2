// Pack directories (docs/packing.md). The first byte picks what the rest is: even, a shard file
// (shard-00000.bin), given a manifest that agrees with its header so the reader gets to the row
// table; odd, a manifest.json. Every row is then read the way pack stats and the trainer read it.
#include <cstring>

#include <nlohmann/json.hpp>

#include "data/pack_stats.hpp"
#include "fuzz_util.hpp"
#include "io/pack_format.hpp"
#include "train/source.hpp"

namespace {

// A manifest matching the shard's header (max_len at byte 12, n_rows at 16) when it has one.
std::string manifest_for(std::string_view shard) {
  uint32_t max_len = 8;
  uint64_t rows = 1;
  if (shard.size() >= 24) {
    std::memcpy(&max_len, shard.data() + 12, 4);
    std::memcpy(&rows, shard.data() + 16, 8);
  }
  nlohmann::json m = {
      {"kind", "longwriter-pack"}, {"version", 1}, {"max_len", max_len}, {"chat_format", "chatml"},
      {"strategy", "bfd"}, {"weighting", "longalign"},
      {"tokenizer", {{"fingerprint", "fuzz"}, {"vocab_size", 1000}, {"pad_id", 0}}},
      {"counts", {{"rows", rows}, {"sequences", rows}, {"real_tokens", 0}, {"labelled_tokens", 0},
                  {"padding_tokens", 0}}},
      {"shards", {{{"file", "shard-00000.bin"}, {"rows", rows}}}}};
  return m.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lw;
  if (size < 1) return 0;
  const std::string_view body = fuzz::as_text(data + 1, size - 1);
  const auto dir = fuzz::scratch_dir() / "pack";
  std::filesystem::create_directories(dir);
  if (data[0] % 2 == 0) {
    fuzz::write_scratch("pack/shard-00000.bin", body);
    fuzz::write_scratch("pack/manifest.json", manifest_for(body));
  } else {
    fuzz::write_scratch("pack/shard-00000.bin", "");
    fuzz::write_scratch("pack/manifest.json", body);
  }
  fuzz::expect_input_errors([&] {
    io::PackReader reader(dir);
    (void)data::compute_pack_stats(reader);
  });
  fuzz::expect_input_errors([&] {
    train::PackSource src(dir);
    for (int64_t i = 0; i < src.size() && i < 64; ++i) {
      train::Row r = src.row(i);
      (void)r;
    }
  });
  return 0;
}
