// Chat formats and packing with a real tokenizer: cl100k_base ranks plus Llama 3 special tokens by
// name (tests/fixtures/data/llama3-cl100k), and the `longwriter pack` command end to end.
#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "cli/cli_helpers.hpp"
#include "data/conversation.hpp"
#include "io/pack_format.hpp"
#include "data/packer.hpp"
#include "data/sha256.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "io/npy.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "support/shared_data.hpp"

namespace fs = std::filesystem;
using namespace lw::data;
using namespace lw::tok;

namespace {

const fs::path kFixtures = fs::path(LW_TEST_DATA_DIR) / "data";
const fs::path kTiktoken = fs::path(lw::testing::data_file("vocab/cl100k_base.tiktoken"));

// A temporary model directory: the fixture's tokenizer_config.json/config.json + cl100k ranks.
fs::path llama3_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / fmt::format("lw_test_{}_{}", name, ::getpid());
  fs::remove_all(d);
  fs::create_directories(d);
  fs::copy_file(kFixtures / "llama3-cl100k" / "tokenizer_config.json", d / "tokenizer_config.json");
  fs::copy_file(kFixtures / "llama3-cl100k" / "config.json", d / "config.json");
  fs::create_symlink(fs::absolute(kTiktoken), d / "cl100k_base.tiktoken");
  return d;
}

class RealTokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kTiktoken)) << "no " << kTiktoken << " (the shared data folder, LW_SHARED_DIR)";
    dir_ = llama3_dir("realtok");
    tok_ = load_tokenizer(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
  std::unique_ptr<Tokenizer> tok_;
};

std::string labelled_text(const Tokenizer& t, const RenderedChat& r) {
  std::vector<TokenId> lab;
  for (size_t i = 0; i < r.ids.size(); ++i)
    if (r.labels[i]) lab.push_back(r.ids[i]);
  return t.decode(lab);
}

}  // namespace

TEST_F(RealTokenizer, Llama3FormatEqualsWholeStringEncoding) {
  ChatFormat f = ChatFormat::by_name("llama3", *tok_);
  std::vector<ChatMessage> m = {{"system", "You are a careful writer."},
                                {"user", "Write 2 lines about the sea."},
                                {"assistant", "Grey waves fold and break,\nsalt wind combs the dunes."}};
  RenderedChat r = f.render(m);
  std::string text =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a careful writer.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nWrite 2 lines about the sea.<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nGrey waves fold and break,\nsalt wind combs the dunes.<|eot_id|>";
  EXPECT_EQ(tok_->decode(r.ids), text);
  // Segment-wise encoding gives the same ids as encoding the rendered string with specials, as
  // an HF chat template + tokenizer would.
  EXPECT_EQ(r.ids, tok_->encode(text, /*allow_special=*/true));
  EXPECT_EQ(labelled_text(*tok_, r), "Grey waves fold and break,\nsalt wind combs the dunes.<|eot_id|>");
  EXPECT_EQ(r.ids.front(), 128000);
  EXPECT_EQ(r.ids.back(), 128009);
  EXPECT_EQ(detect_chat_format(dir_, tok_.get()).id, ChatFormatId::llama3);
}

TEST_F(RealTokenizer, LongWriterFormatLabelsAndPrompt) {
  ChatFormat f = ChatFormat::by_name("llama3-longwriter", *tok_);
  std::vector<ChatMessage> m = {{"user", "Name three Roman roads."}, {"assistant", "Via Appia, Via Flaminia."}};
  RenderedChat r = f.render(m);
  EXPECT_EQ(tok_->decode(r.ids), "<|begin_of_text|>[INST]Name three Roman roads.[/INST]Via Appia, Via Flaminia.<|end_of_text|>");
  EXPECT_EQ(labelled_text(*tok_, r), "Via Appia, Via Flaminia.<|end_of_text|>");
  // The reference encodes prompt and response separately: prompt ids, then response ids + EOS.
  std::vector<TokenId> want = {tok_->bos_id()};
  auto p = tok_->encode("[INST]Name three Roman roads.[/INST]");
  auto a = tok_->encode("Via Appia, Via Flaminia.");
  want.insert(want.end(), p.begin(), p.end());
  want.insert(want.end(), a.begin(), a.end());
  want.push_back(tok_->eos_id());
  EXPECT_EQ(r.ids, want);
  std::vector<ChatMessage> q(m.begin(), m.begin() + 1);
  std::vector<TokenId> prompt = f.render_prompt(q);
  EXPECT_EQ(prompt, std::vector<TokenId>(want.begin(), want.begin() + 1 + static_cast<long>(p.size())));
}

TEST_F(RealTokenizer, PackFixtureRoundTrip) {
  fs::path out = dir_ / "pack";
  ChatFormat f = ChatFormat::by_name("llama3-longwriter", *tok_);
  PackOptions o;
  o.inputs = {kFixtures / "sft_small.jsonl"};
  o.out = out;
  o.max_len = 128;
  o.strategy = Strategy::nextfit;
  o.threads = 2;
  o.progress = false;
  PackManifest m = pack_files(o, *tok_, f);
  EXPECT_EQ(m.conversations, 6);
  EXPECT_EQ(m.skipped.at("no_assistant"), 1);
  EXPECT_EQ(m.skipped.at("too_long"), 1);
  EXPECT_EQ(m.sequences, 4);
  EXPECT_EQ(m.sources.at(0).sha256, lw::data::sha256_file(kFixtures / "sft_small.jsonl"));
  PackReader rd(out);
  // Row by row, sequence by sequence: exactly the records' renderings, in order.
  auto recs = lw::io::read_jsonl(kFixtures / "sft_small.jsonl");
  std::vector<std::vector<uint32_t>> expected;
  for (const auto& rec : recs) {
    Sequence s = make_sequence(parse_messages(rec.value, rec.where()), f, 128, Overflow::skip);
    if (s.skip_reason.empty()) expected.push_back(s.ids);
  }
  std::vector<std::vector<uint32_t>> got;
  for (int64_t r = 0; r < rd.num_rows(); ++r) {
    PackRowView v = rd.row(r);
    for (uint32_t k = 0; k < v.n_seqs; ++k)
      got.emplace_back(v.tokens.begin() + v.cu_seqlens[k], v.tokens.begin() + v.cu_seqlens[k + 1]);
  }
  EXPECT_EQ(got, expected);
  // Zero-width characters were removed from the replies.
  for (const auto& g : got) {
    std::string text = tok_->decode(std::vector<TokenId>(g.begin(), g.end()));
    for (const char* zw : {"\u200B", "\u200C", "\u200D", "\uFEFF"}) EXPECT_EQ(text.find(zw), std::string::npos) << text;
  }
}

TEST_F(RealTokenizer, PackCommandEndToEnd) {
  ASSERT_TRUE(fs::exists(lw::testing::longwriter_bin())) << "longwriter binary not built";
  fs::path out = dir_ / "cli-pack";
  std::string args = fmt::format("pack --in {} --tokenizer {} --format llama3-longwriter --max-len 128 --out {} --threads 2 -q",
                                 (kFixtures / "sft_small.jsonl").string(), dir_.string(), out.string());
  auto r = lw::testing::run_longwriter(args);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("packed 6 conversations"), std::string::npos) << r.out;
  auto in = lw::io::read_npy(out / "inputs_pack.npy");
  EXPECT_EQ(in.shape.at(1), 128);
  auto s = lw::testing::run_longwriter("pack stats " + out.string());
  ASSERT_EQ(s.exit_code, 0) << s.out;
  EXPECT_NE(s.out.find("too_long"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("sequences per row"), std::string::npos) << s.out;
  auto j = lw::testing::run_longwriter("pack stats --json " + out.string());
  ASSERT_EQ(j.exit_code, 0) << j.out;
  EXPECT_EQ(nlohmann::json::parse(j.out)["sequences"], 4);
  // Bad input: exit code 2 and a message naming the problem.
  auto bad = lw::testing::run_longwriter(fmt::format("pack --in {} --tokenizer {} --format vicuna --out {}",
                                                     (kFixtures / "sft_small.jsonl").string(), dir_.string(), out.string()));
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("vicuna"), std::string::npos) << bad.out;
  auto nodir = lw::testing::run_longwriter("pack stats " + (dir_ / "nope").string());
  EXPECT_EQ(nodir.exit_code, 2) << nodir.out;
}
