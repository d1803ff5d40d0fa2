// SFT packing: sequences, skips and truncation, planners, the whole pipeline read back exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include "data/conversation.hpp"
#include "data/fake_tokenizer.hpp"
#include "data/pack_stats.hpp"
#include "data/packer.hpp"
#include "data/planner.hpp"
#include "data/synthetic.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "io/npy.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using namespace lw::data;
using lw::testing::FakeTokenizer;
using lw::tok::ChatFormat;
using lw::tok::ChatMessage;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / fmt::format("lw_test_packing_{}_{}", name, ::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string read_bytes(const fs::path& p) { return lw::io::read_file(p); }

// A corpus of conversations of varied sizes, some too long for max_len 200, some with zero-width
// characters, one without an assistant turn.
std::vector<nlohmann::json> make_corpus(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<nlohmann::json> out;
  for (int i = 0; i < n; ++i) {
    int ulen = 1 + static_cast<int>(rng() % 40), alen = static_cast<int>(rng() % 120);
    if (i % 17 == 5) alen = 260;  // too long
    std::string u(static_cast<size_t>(ulen), static_cast<char>('a' + i % 26));
    std::string a(static_cast<size_t>(alen), static_cast<char>('A' + i % 26));
    if (i % 7 == 0 && alen > 3) a.insert(2, "\u200B\uFEFF");
    nlohmann::json msgs = nlohmann::json::array();
    if (i % 5 == 0) msgs.push_back({{"role", "system"}, {"content", "sys"}});
    msgs.push_back({{"role", "user"}, {"content", u}});
    if (i % 23 != 11) msgs.push_back({{"role", "assistant"}, {"content", a}});
    out.push_back({{"messages", msgs}, {"id", i}});
  }
  return out;
}

fs::path write_corpus(const fs::path& dir, const std::vector<nlohmann::json>& recs) {
  fs::path p = dir / "sft.jsonl";
  lw::io::JsonlWriter w(p);
  for (const auto& r : recs) w.write(r);
  w.commit();
  return p;
}

struct Seq {
  std::vector<uint32_t> ids;
  std::vector<uint8_t> labels;
  std::vector<float> weights;
  bool operator<(const Seq& o) const { return std::tie(ids, labels) < std::tie(o.ids, o.labels); }
};

std::vector<Seq> unpack(const PackReader& rd) {
  std::vector<Seq> out;
  for (int64_t r = 0; r < rd.num_rows(); ++r) {
    PackRowView v = rd.row(r);
    validate_row(v, rd.max_len());
    for (uint32_t k = 0; k < v.n_seqs; ++k) {
      uint32_t a = v.cu_seqlens[k], b = v.cu_seqlens[k + 1];
      out.push_back({{v.tokens.begin() + a, v.tokens.begin() + b},
                     {v.label_mask.begin() + a, v.label_mask.begin() + b},
                     {v.weights.begin() + a, v.weights.begin() + b}});
    }
  }
  return out;
}

PackOptions options(const fs::path& in, const fs::path& out, Strategy s) {
  PackOptions o;
  o.inputs = {in};
  o.out = out;
  o.max_len = 200;
  o.strategy = s;
  o.threads = 2;
  o.batch_records = 16;
  o.progress = false;
  return o;
}

}  // namespace

TEST(Conversation, ZeroWidthRemoval) {
  EXPECT_EQ(remove_zero_width("a\u200Bb\u200Cc\u200Dd\uFEFFe"), "abcde");
  // Neighbours in the same UTF-8 blocks stay: U+200A, U+200E, U+2014, U+FEFE, CJK.
  std::string keep = "\u200A\u200E\u2014\uFEFE你好";
  EXPECT_EQ(remove_zero_width(keep), keep);
  EXPECT_EQ(remove_zero_width("\u200B"), "");
}

TEST(Conversation, ZeroWidthRemovedFromAssistantTextOnly) {
  auto t = FakeTokenizer::llama3();
  ChatFormat f = ChatFormat::by_name("llama3-longwriter", t);
  Sequence s = make_sequence({{"user", "u\u200Bv"}, {"assistant", "x\u200Dy\uFEFF"}}, f, 100, Overflow::skip);
  std::vector<lw::tok::TokenId> ids(s.ids.begin(), s.ids.end());
  EXPECT_EQ(t.decode(ids), "<|begin_of_text|>[INST]u\u200Bv[/INST]xy<|end_of_text|>");
  EXPECT_EQ(s.n_labelled, 3);  // x, y, EOS
}

TEST(Conversation, SkipAndTruncate) {
  auto t = FakeTokenizer::llama3();
  ChatFormat f = ChatFormat::by_name("llama3-longwriter", t);
  std::vector<ChatMessage> m = {{"user", "question"}, {"assistant", "0123456789"}};
  Sequence full = make_sequence(m, f, 100, Overflow::skip);
  ASSERT_TRUE(full.skip_reason.empty());
  const size_t n = full.ids.size();  // BOS + "[INST]question[/INST]" (21) + 10 + EOS = 33
  EXPECT_EQ(n, 33u);
  EXPECT_EQ(make_sequence(m, f, 33, Overflow::skip).ids.size(), 33u);  // exactly fits
  EXPECT_EQ(make_sequence(m, f, 32, Overflow::skip).skip_reason, "too_long");

  Sequence right = make_sequence(m, f, 30, Overflow::truncate_right);
  EXPECT_TRUE(right.truncated);
  EXPECT_EQ(right.ids, std::vector<uint32_t>(full.ids.begin(), full.ids.begin() + 30));
  EXPECT_EQ(right.n_labelled, 8);  // "01234567", EOS cut off
  Sequence left = make_sequence(m, f, 30, Overflow::truncate_left);
  EXPECT_EQ(left.ids, std::vector<uint32_t>(full.ids.end() - 30, full.ids.end()));
  EXPECT_EQ(left.n_labelled, 11);
  // Cutting every assistant token away leaves nothing to learn: skipped.
  EXPECT_EQ(make_sequence(m, f, 20, Overflow::truncate_right).skip_reason, "no_labels_after_truncation");
  EXPECT_EQ(make_sequence({{"user", "q"}}, f, 100, Overflow::skip).skip_reason, "no_assistant");
}

TEST(Conversation, MalformedRecordsNameTheField) {
  auto expect_msg = [](const char* js, const char* needle) {
    try {
      parse_messages(nlohmann::json::parse(js), "f.jsonl:3");
      FAIL() << js;
    } catch (const lw::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("f.jsonl:3"), std::string::npos) << e.what();
    }
  };
  expect_msg(R"({"prompt": "x"})", "\"messages\"");
  expect_msg(R"({"messages": [{"role": "user"}]})", "messages[0].content");
  expect_msg(R"({"messages": [{"role": "bot", "content": "x"}]})", "\"bot\"");
}

TEST(Planner, NextFitKeepsInputOrder) {
  std::vector<uint32_t> len = {6, 3, 2, 5, 10, 1};
  Bins b = plan_nextfit(len, 10);
  EXPECT_EQ(b, (Bins{{0, 1}, {2, 3}, {4}, {5}}));  // the final partial row is kept
}

TEST(Planner, BfdPlacesEverySequenceOnceWithinLength) {
  auto len = longwriter_length_mix(3000, 32768, 7);
  Bins b = plan_bfd(len, 32768, 1);
  std::vector<int> seen(len.size(), 0);
  for (const auto& bin : b) {
    int64_t used = 0;
    for (uint32_t i : bin) {
      used += len[i];
      seen[i]++;
    }
    EXPECT_LE(used, 32768);
    EXPECT_TRUE(std::is_sorted(bin.begin(), bin.end()));
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  // Same seed, same plan; another seed shuffles the rows.
  EXPECT_EQ(plan_bfd(len, 32768, 1), b);
  EXPECT_NE(plan_bfd(len, 32768, 2), b);
}

TEST(Planner, LongWriterMixEfficiency) {
  // 20k sequences of a LongWriter-6k-like mix at L = 32768.
  auto len = longwriter_length_mix(20000, 32768, 42);
  Bins nf = plan_nextfit(len, 32768), bfd = plan_bfd(len, 32768, 0);
  double e_nf = plan_efficiency(nf, len, 32768), e_bfd = plan_efficiency(bfd, len, 32768);
  std::printf("nextfit: %zu rows, %.2f%% real tokens; bfd: %zu rows, %.2f%% real tokens\n", nf.size(), 100 * e_nf,
              bfd.size(), 100 * e_bfd);
  EXPECT_GE(e_bfd, 0.98);
  EXPECT_GT(e_bfd, e_nf);
  EXPECT_LT(bfd.size(), nf.size());
}

TEST(Packer, UnpackingGivesBackExactlyTheSequences) {
  fs::path d = temp_dir("pipeline");
  auto recs = make_corpus(120, 3);
  fs::path in = write_corpus(d, recs);
  auto t = FakeTokenizer::llama3();
  ChatFormat f = ChatFormat::by_name("llama3-longwriter", t);

  // The expected sequences, straight from the renderer, in input order.
  std::vector<Seq> expected;
  std::map<std::string, int64_t> skips;
  for (size_t i = 0; i < recs.size(); ++i) {
    Sequence s = make_sequence(parse_messages(recs[i], "x"), f, 200, Overflow::skip);
    if (!s.skip_reason.empty()) {
      skips[s.skip_reason]++;
      continue;
    }
    expected.push_back({s.ids, s.labels, {}});
  }
  ASSERT_GT(skips["too_long"], 0);
  ASSERT_GT(skips["no_assistant"], 0);

  for (Strategy st : {Strategy::nextfit, Strategy::bfd}) {
    fs::path out = d / strategy_name(st);
    PackManifest m = pack_files(options(in, out, st), t, f);
    EXPECT_EQ(m.conversations, 120);
    EXPECT_EQ(m.skipped, skips);
    PackReader rd(out);
    std::vector<Seq> got = unpack(rd);
    ASSERT_EQ(got.size(), expected.size());
    EXPECT_EQ(rd.manifest().sequences, static_cast<int64_t>(expected.size()));
    if (st == Strategy::nextfit) {
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].ids, expected[i].ids) << i;
        EXPECT_EQ(got[i].labels, expected[i].labels) << i;
      }
    } else {
      auto a = got, b = expected;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].ids == b[i].ids && a[i].labels == b[i].labels) << i;
    }
    for (const Seq& s : got) {
      // Labels exactly on the assistant text and its EOS: the labelled tokens decode to the
      // assistant reply (zero-width characters removed) followed by EOS, and end the sequence.
      std::vector<lw::tok::TokenId> lab, all(s.ids.begin(), s.ids.end());
      for (size_t k = 0; k < s.ids.size(); ++k)
        if (s.labels[k]) lab.push_back(static_cast<lw::tok::TokenId>(s.ids[k]));
      std::string text = t.decode(all);
      auto inst = text.find("[/INST]");
      ASSERT_NE(inst, std::string::npos);
      EXPECT_EQ(t.decode(lab), text.substr(inst + 7));
      EXPECT_EQ(t.decode(lab).find("\u200B"), std::string::npos);
      EXPECT_EQ(s.ids.back(), static_cast<uint32_t>(t.eos_id()));
      EXPECT_EQ(s.labels.back(), 1);
      // LongAlign weights: 1/(labelled count) on labels, each sequence sums to 1.
      double sum = 0;
      for (size_t k = 0; k < s.ids.size(); ++k) {
        if (!s.labels[k]) {
          EXPECT_EQ(s.weights[k], 0.0f);
        }
        sum += s.weights[k];
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
  // bfd uses no more rows than nextfit.
  EXPECT_LE(PackReader(d / "bfd").num_rows(), PackReader(d / "nextfit").num_rows());
  fs::remove_all(d);
}

TEST(Packer, ReferenceFilesAgreeWithNativePack) {
  fs::path d = temp_dir("reference");
  fs::path in = write_corpus(d, make_corpus(40, 5));
  auto t = FakeTokenizer::chatml();
  ChatFormat f = ChatFormat::by_name("chatml", t);
  pack_files(options(in, d / "out", Strategy::bfd), t, f);
  PackReader rd(d / "out");
  auto inputs = lw::io::read_npy(d / "out" / "inputs_pack.npy");
  auto labels = lw::io::read_npy(d / "out" / "labels_pack.npy");
  auto weights = lw::io::read_npy(d / "out" / "weights_pack.npy");
  auto masks = nlohmann::json::parse(read_bytes(d / "out" / "attention_masks_pack.json"));
  const int64_t N = rd.num_rows(), L = 200;
  ASSERT_EQ(inputs.shape, (std::vector<int64_t>{N, L}));
  ASSERT_EQ(labels.shape, inputs.shape);
  ASSERT_EQ(weights.shape, inputs.shape);
  ASSERT_EQ(static_cast<int64_t>(masks.size()), N);
  for (int64_t r = 0; r < N; ++r) {
    PackRowView v = rd.row(r);
    auto lab = row_labels(v);
    for (int64_t i = 0; i < L; ++i) {
      ASSERT_EQ(inputs.as<int64_t>()[r * L + i], v.tokens[i]);
      ASSERT_EQ(labels.as<int64_t>()[r * L + i], lab[i]);
      ASSERT_EQ(weights.as<float>()[r * L + i], v.weights[i]);
    }
    EXPECT_EQ(masks[r].get<std::vector<uint32_t>>(), std::vector<uint32_t>(v.cu_seqlens.begin(), v.cu_seqlens.end()));
    // Padding is the tokenizer's pad id, unlabelled.
    for (int64_t i = v.real_tokens(); i < L; ++i) {
      EXPECT_EQ(v.tokens[i], static_cast<uint32_t>(t.pad_id()));
      EXPECT_EQ(lab[i], kIgnoreLabel);
    }
  }
  fs::remove_all(d);
}

TEST(Packer, ThreadCountDoesNotChangeTheOutput) {
  fs::path d = temp_dir("threads");
  fs::path in = write_corpus(d, make_corpus(80, 9));
  auto t = FakeTokenizer::glm4();
  ChatFormat f = ChatFormat::by_name("glm4", t);
  PackOptions a = options(in, d / "a", Strategy::bfd), b = options(in, d / "b", Strategy::bfd);
  a.threads = 1;
  b.threads = 3;
  b.batch_records = 7;
  pack_files(a, t, f);
  pack_files(b, t, f);
  EXPECT_EQ(read_bytes(d / "a" / "shard-00000.bin"), read_bytes(d / "b" / "shard-00000.bin"));
  EXPECT_EQ(read_bytes(d / "a" / "inputs_pack.npy"), read_bytes(d / "b" / "inputs_pack.npy"));
  fs::remove_all(d);
}

TEST(Packer, WeightingModesAndTruncation) {
  fs::path d = temp_dir("weighting");
  fs::path in = write_corpus(d, make_corpus(60, 11));
  auto t = FakeTokenizer::llama3();
  ChatFormat f = ChatFormat::by_name("llama3", t);
  PackOptions o = options(in, d / "tok", Strategy::nextfit);
  o.weighting = Weighting::token;
  o.overflow = Overflow::truncate_left;
  PackManifest m = pack_files(o, t, f);
  EXPECT_EQ(m.skipped.count("too_long"), 0u);
  EXPECT_GT(m.truncated, 0);
  PackReader rd(d / "tok");
  for (int64_t r = 0; r < rd.num_rows(); ++r) {
    PackRowView v = rd.row(r);
    for (size_t i = 0; i < v.tokens.size(); ++i) EXPECT_EQ(v.weights[i], v.label_mask[i] ? 1.0f : 0.0f);
  }
  o.out = d / "seq";
  o.weighting = Weighting::sequence;
  pack_files(o, t, f);
  PackReader rs(d / "seq");
  for (int64_t r = 0; r < rs.num_rows(); ++r) {
    PackRowView v = rs.row(r);
    double sum = std::accumulate(v.weights.begin(), v.weights.end(), 0.0);
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
  fs::remove_all(d);
}

TEST(Packer, MalformedInputNamesFileAndLine) {
  fs::path d = temp_dir("malformed");
  lw::io::write_file_atomic(d / "bad.jsonl",
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", "
                            "\"content\": \"a\"}]}\n\n{\"messages\": 3}\n");
  auto t = FakeTokenizer::chatml();
  ChatFormat f = ChatFormat::by_name("chatml", t);
  try {
    pack_files(options(d / "bad.jsonl", d / "out", Strategy::nextfit), t, f);
    FAIL() << "expected InputError";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:3"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(d / "out")) << "a failed first pack leaves no directory";
  for (const auto& e : fs::directory_iterator(d))
    if (e.path().filename() != "bad.jsonl") ADD_FAILURE() << "left behind: " << e.path();
  fs::remove_all(d);
}

TEST(PackStats, CountsAndHistogram) {
  fs::path d = temp_dir("stats");
  fs::path in = write_corpus(d, make_corpus(50, 13));
  auto t = FakeTokenizer::chatml();
  ChatFormat f = ChatFormat::by_name("chatml", t);
  PackManifest m = pack_files(options(in, d / "out", Strategy::bfd), t, f);
  PackReader rd(d / "out");
  PackStats st = compute_pack_stats(rd);
  EXPECT_EQ(st.rows, m.rows);
  EXPECT_EQ(st.sequences, m.sequences);
  EXPECT_EQ(st.conversations, 50);
  int64_t hist_rows = 0, hist_seqs = 0;
  for (auto [k, v] : st.seqs_per_row) {
    hist_rows += v;
    hist_seqs += k * v;
  }
  EXPECT_EQ(hist_rows, st.rows);
  EXPECT_EQ(hist_seqs, st.sequences);
  EXPECT_NEAR(st.padding_fraction(), 1.0 - m.efficiency(), 1e-12);
  std::string text = st.to_text();
  EXPECT_NE(text.find("too_long"), std::string::npos) << text;
  EXPECT_NE(text.find("sequences per row"), std::string::npos);
  fs::remove_all(d);
}

// One weighting vocabulary (io/weighting.hpp) for packs and the trainer: a pack stores longalign,
// token or sequence weights; longwriter is a training loss and is refused for packs by name.
TEST(PackWeighting, PacksTakeThreeOfTheFourWeightings) {
  using lw::data::Weighting;
  EXPECT_EQ(lw::data::parse_pack_weighting("longalign"), Weighting::longalign);
  EXPECT_EQ(lw::data::parse_pack_weighting("token"), Weighting::token);
  EXPECT_EQ(lw::data::parse_pack_weighting("sequence"), Weighting::sequence);
  try {
    lw::data::parse_pack_weighting("longwriter");
    FAIL() << "longwriter accepted as pack weights";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("train --weighting longwriter"), std::string::npos) << e.what();
  }
  EXPECT_THROW(lw::data::parse_pack_weighting("tokens"), lw::InputError);
  for (auto w : {Weighting::token, Weighting::sequence, Weighting::longalign, Weighting::longwriter})
    EXPECT_EQ(lw::io::parse_weighting(lw::io::weighting_name(w)), w);
}
