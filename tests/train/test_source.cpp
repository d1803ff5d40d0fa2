// PackSource: the trainer's view of a pack directory (io/pack_format) — padding dropped, labels
// turned into next-token targets that never cross a sequence boundary, weights carried over.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/pack_format.hpp"
#include "support/pack_rows.hpp"
#include "train/source.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace lw::train {
namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("lw_source_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// A row of length L: sequences of the given lengths, tokens 100 + position, the second half of
// each sequence labelled with weight 1/(labelled count); padding (id 0) after the last one.
io::PackRow make_row(int64_t L, const std::vector<int>& lens) {
  return lw::testing::pack_row(L, lens, 100, [](int n) { return n - n / 2; });
}

io::PackManifest manifest(int64_t L) { return lw::testing::pack_manifest(L, "bfd", {"fp", "bpe", 321, 1, 2, 0}); }

TEST(PackSource, DropsPaddingAndShiftsLabelsWithinSequences) {
  const int64_t L = 16;
  fs::path d = temp_dir("rows");
  std::vector<io::PackRow> rows = {make_row(L, {4, 6}), make_row(L, {16}), make_row(L, {3, 3, 5})};
  {
    io::PackWriter w(d, manifest(L), /*rows_per_shard=*/2);  // two shards
    for (const auto& r : rows) w.add_row(r.view());
    w.finish();
  }
  PackSource src(d);
  ASSERT_EQ(src.size(), 3);
  EXPECT_EQ(src.vocab_size(), 321);
  EXPECT_EQ(src.reader().max_len(), L);

  for (int64_t i = 0; i < 3; i++) {
    const io::PackRow& p = rows[i];
    Row r = src.row(i);
    const int T = (int)p.cu_seqlens[p.n_seqs];
    ASSERT_EQ(r.T(), T) << "row " << i << ": padding dropped";
    ASSERT_EQ(r.n_seq(), (int)p.n_seqs);
    for (uint32_t s = 0; s <= p.n_seqs; s++) EXPECT_EQ(r.cu_seqlens[s], (int32_t)p.cu_seqlens[s]);
    for (int t = 0; t < T; t++) EXPECT_EQ(r.tokens[t], (int32_t)p.tokens[t]);
    // Target of t is token t+1 when t+1 is labelled and in the same sequence.
    for (uint32_t s = 0; s < p.n_seqs; s++) {
      const int b = (int)p.cu_seqlens[s], e = (int)p.cu_seqlens[s + 1];
      for (int t = b; t < e; t++) {
        const bool has = t + 1 < e && p.label_mask[t + 1];
        EXPECT_EQ(r.targets[t], has ? (int32_t)p.tokens[t + 1] : -1) << "row " << i << " t " << t;
        EXPECT_FLOAT_EQ(r.pack_weights[t], has ? p.weights[t + 1] : 0.0f) << "row " << i << " t " << t;
      }
    }
  }
  // Row 2, sequence 0 is [0, 3): its last position predicts nothing even though position 3 (the
  // next sequence's first token) exists.
  EXPECT_EQ(src.row(2).targets[2], -1);
  EXPECT_THROW(src.row(3), std::exception);
  fs::remove_all(d);
}

TEST(PackSource, SameRowAsTheInMemoryBuilder) {
  const int64_t L = 12;
  fs::path d = temp_dir("same");
  io::PackRow p = make_row(L, {5, 4});
  {
    io::PackWriter w(d, manifest(L));
    w.add_row(p.view());
    w.finish();
  }
  std::vector<int32_t> tokens, labels, cu = {0, 5, 9};
  std::vector<float> weights;
  for (int t = 0; t < 9; t++) {
    tokens.push_back((int32_t)p.tokens[t]);
    labels.push_back(p.label_mask[t] ? (int32_t)p.tokens[t] : -100);
    weights.push_back(p.weights[t]);
  }
  Row want = row_from_labels(tokens, cu, labels, weights);
  Row got = PackSource(d).row(0);
  EXPECT_EQ(got.tokens, want.tokens);
  EXPECT_EQ(got.cu_seqlens, want.cu_seqlens);
  EXPECT_EQ(got.targets, want.targets);
  EXPECT_EQ(got.pack_weights, want.pack_weights);
  EXPECT_EQ(count_targets(got), 5);  // labelled 2..4 -> targets at 1, 2, 3; 7..8 -> 6, 7
  fs::remove_all(d);
}

TEST(PackSource, MissingOrIncompleteDirectoryIsAnInputError) {
  EXPECT_THROW(PackSource("/nonexistent/lw_pack_dir"), InputError);
  fs::path d = temp_dir("empty");  // exists, but no manifest.json
  try {
    PackSource src(d);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(d.string()), std::string::npos) << e.what();
  }
  fs::remove_all(d);
}

}  // namespace
}  // namespace lw::train
