// The native pack format (io/pack_format) and the reference files: write rows, read them back exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "io/pack_format.hpp"
#include "support/pack_rows.hpp"
#include "io/file.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using namespace lw::io;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / fmt::format("lw_test_pack_{}_{}", name, ::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Rows of the tests below: the last two tokens of each sequence labelled (weights 1/2).
PackRow make_row(int64_t L, const std::vector<int>& lens, uint32_t base) {
  return lw::testing::pack_row(L, lens, base, [](int n) { return std::min(n, 2); });
}

PackManifest base_manifest(int64_t L) { return lw::testing::pack_manifest(L, "nextfit", {"abc123", "bpe", 1000, 1, 2, 0}); }

}  // namespace

TEST(Npy, HeaderLayoutFollowsTheSpec) {
  std::string h = lw::io::npy_header(lw::io::NpyDtype::i8, {3, 5});
  ASSERT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(h[6], 1);
  EXPECT_EQ(h[7], 0);
  size_t hlen = static_cast<unsigned char>(h[8]) | (static_cast<unsigned char>(h[9]) << 8);
  EXPECT_EQ(hlen + 10, h.size());
  EXPECT_EQ(h.back(), '\n');
  EXPECT_NE(h.find("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 5), }"), std::string::npos);
  EXPECT_NE(lw::io::npy_header(lw::io::NpyDtype::f4, {7}).find("'shape': (7,)"), std::string::npos);
}

TEST(Npy, StreamedWriteReadsBack) {
  fs::path d = temp_dir("npy");
  {
    lw::io::NpyWriter w(d / "a.npy", lw::io::NpyDtype::f4, {3});
    std::vector<float> r1{1, 2, 3}, r2{4, 5, 6, -7, 8.5f, 9};
    w.append<float>(r1);
    w.append<float>(r2);
    EXPECT_EQ(w.rows(), 3);
    EXPECT_FALSE(fs::exists(d / "a.npy"));  // appears only on commit
    w.commit();
  }
  auto a = lw::io::read_npy(d / "a.npy");
  EXPECT_EQ(a.dtype, lw::io::NpyDtype::f4);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 3}));
  EXPECT_FLOAT_EQ(a.as<float>()[7], 8.5f);
  EXPECT_EQ(fs::file_size(d / "a.npy") % 4, 0u);
  EXPECT_THROW(lw::io::read_npy(d / "missing.npy"), lw::InputError);
  lw::io::write_file_atomic(d / "bad.npy", "not numpy");
  EXPECT_THROW(lw::io::read_npy(d / "bad.npy"), lw::InputError);
  fs::remove_all(d);
}

TEST(PackFormat, RoundTripAcrossShards) {
  const int64_t L = 16;
  fs::path d = temp_dir("roundtrip");
  std::vector<PackRow> rows = {make_row(L, {5, 7}, 100), make_row(L, {16}, 200), make_row(L, {3, 3, 3}, 300),
                               make_row(L, {10, 6}, 400), make_row(L, {2}, 500)};
  {
    PackWriter w(d, base_manifest(L), /*rows_per_shard=*/2);
    for (const auto& r : rows) w.add_row(r.view());
    w.manifest().skipped["too_long"] = 4;
    const PackManifest& m = w.finish();
    EXPECT_EQ(m.shards.size(), 3u);
    EXPECT_EQ(m.rows, 5);
    EXPECT_EQ(m.sequences, 9);
    EXPECT_EQ(m.real_tokens, 12 + 16 + 9 + 16 + 2);
    EXPECT_EQ(m.padding_tokens, 5 * L - m.real_tokens);
  }
  PackReader rd(d);
  ASSERT_EQ(rd.num_rows(), 5);
  EXPECT_EQ(rd.manifest().skipped.at("too_long"), 4);
  EXPECT_EQ(rd.manifest().tokenizer.fingerprint, "abc123");
  EXPECT_EQ(rd.manifest().seqs_per_row.at(2), 2);
  for (int64_t i = 0; i < 5; ++i) {
    PackRowView v = rd.row(i);
    const PackRow& r = rows[i];
    EXPECT_TRUE(std::equal(v.tokens.begin(), v.tokens.end(), r.tokens.begin())) << i;
    EXPECT_TRUE(std::equal(v.label_mask.begin(), v.label_mask.end(), r.label_mask.begin())) << i;
    EXPECT_TRUE(std::equal(v.weights.begin(), v.weights.end(), r.weights.begin())) << i;
    EXPECT_EQ(std::vector<uint32_t>(v.cu_seqlens.begin(), v.cu_seqlens.end()), r.cu_seqlens) << i;
    EXPECT_EQ(v.n_seqs, r.n_seqs);
    EXPECT_NO_THROW(validate_row(v, L));
  }
  auto labels = row_labels(rd.row(4));
  EXPECT_EQ(labels[0], 500);
  EXPECT_EQ(labels[1], 501);
  EXPECT_EQ(labels[2], kIgnoreLabel);
  fs::remove_all(d);
}

TEST(PackFormat, RejectsInvalidRows) {
  const int64_t L = 8;
  PackRow r = make_row(L, {4}, 1);
  r.cu_seqlens = {0, 4, 4, 8};
  EXPECT_THROW(validate_row(r.view(), L), lw::Error);
  r = make_row(L, {4}, 1);
  r.weights[0] = 0.5f;  // weight on an unlabelled token
  EXPECT_THROW(validate_row(r.view(), L), lw::Error);
  r = make_row(L, {4}, 1);
  r.cu_seqlens.back() = 7;
  EXPECT_THROW(validate_row(r.view(), L), lw::Error);
  r = make_row(L, {4}, 1);
  std::fill(r.label_mask.begin(), r.label_mask.end(), 0);
  std::fill(r.weights.begin(), r.weights.end(), 0.0f);
  EXPECT_THROW(validate_row(r.view(), L), lw::Error);
}

TEST(PackFormat, ReaderNamesCorruption) {
  const int64_t L = 8;
  fs::path d = temp_dir("corrupt");
  EXPECT_THROW(PackReader{d}, lw::InputError);  // no manifest
  {
    PackWriter w(d, base_manifest(L));
    w.add_row(make_row(L, {4, 4}, 1).view());
    w.finish();
  }
  EXPECT_NO_THROW(PackReader{d});
  fs::resize_file(d / "shard-00000.bin", fs::file_size(d / "shard-00000.bin") - 4);
  try {
    PackReader rd(d);
    FAIL() << "expected InputError";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("shard-00000.bin"), std::string::npos) << e.what();
  }
  lw::io::write_file_atomic(d / "manifest.json", "{\"kind\": \"longwriter-pack\", \"version\": 1}");
  EXPECT_THROW(PackReader{d}, lw::InputError);
  fs::remove_all(d);
}

TEST(PackFormat, ReferenceFilesMatchRows) {
  const int64_t L = 12;
  fs::path d = temp_dir("reference");
  std::vector<PackRow> rows = {make_row(L, {5, 7}, 10), make_row(L, {3}, 20)};
  {
    ReferenceWriter w(d, L);
    for (const auto& r : rows) w.add_row(r.view());
    w.commit();
  }
  auto in = lw::io::read_npy(d / "inputs_pack.npy");
  auto lab = lw::io::read_npy(d / "labels_pack.npy");
  auto wt = lw::io::read_npy(d / "weights_pack.npy");
  ASSERT_EQ(in.shape, (std::vector<int64_t>{2, L}));
  EXPECT_EQ(in.dtype, lw::io::NpyDtype::i8);
  EXPECT_EQ(wt.dtype, lw::io::NpyDtype::f4);
  ASSERT_EQ(lab.shape, in.shape);
  for (int64_t r = 0; r < 2; ++r) {
    auto labels = row_labels(rows[r].view());
    for (int64_t i = 0; i < L; ++i) {
      EXPECT_EQ(in.as<int64_t>()[r * L + i], rows[r].tokens[i]);
      EXPECT_EQ(lab.as<int64_t>()[r * L + i], labels[i]);
      EXPECT_EQ(wt.as<float>()[r * L + i], rows[r].weights[i]);
    }
  }
  auto masks = nlohmann::json::parse(lw::io::read_file(d / "attention_masks_pack.json"));
  EXPECT_EQ(masks, nlohmann::json::parse("[[0, 5, 12], [0, 3, 12]]"));
  fs::remove_all(d);
}
