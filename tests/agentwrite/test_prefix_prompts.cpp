// AgentWrite prompts that a prefix cache can reuse: the plan prompt and the first write prompt
// share the header and the instruction, and each write prompt starts with the whole of the
// previous one up to the end of its text so far, under every chat format and with real BPE
// vocabularies (also when length control rescales the budgets). And the per-paragraph token cap:
// derived from the budget, cut paragraphs ended at their last full sentence, counted.
#include <gtest/gtest.h>

#include "agentwrite/clean.hpp"
#include "agentwrite/pipeline.hpp"
#include "data/fake_tokenizer.hpp"
#include "fake_backend.hpp"
#include "io/file.hpp"
#include "text/words.hpp"
#include "tokenizer/chat_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "support/shared_data.hpp"

namespace {

namespace aw = lw::agentwrite;
using lw::testing::FakeBackend;
using lw::testing::FakeTokenizer;
using lw::tok::ChatFormat;
using lw::tok::ChatFormatId;

const std::string kInstruction = "Write a 1600-word essay about topic 5";

// The prompts of one sequential write: the plan, then one per paragraph. Paragraphs miss their
// budgets by -50%..+60%, so length control rescales the remaining budgets after each one.
std::vector<std::string> write_prompts(const std::string& write_template = "") {
  FakeBackend b;
  b.model.steps = 4;
  b.model.dev_lo = 0.5;
  b.model.dev_hi = 1.6;
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.concurrency = 1;
  cfg.write_template = write_template;
  auto res = aw::run_pipeline(b, store, {{kInstruction, 0, {}}}, cfg);
  EXPECT_EQ(res.at(0).status, aw::ItemStatus::done) << res.at(0).reason;
  return b.prompts();
}

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

// The text of a write prompt up to the end of its text so far (what the next prompt must repeat).
std::string stable_part(const std::string& prompt, const std::string& marker) {
  size_t at = prompt.rfind(marker);
  EXPECT_NE(at, std::string::npos) << prompt;
  return prompt.substr(0, at);
}

struct Format {
  ChatFormatId id;
  FakeTokenizer tok;
};

std::vector<Format> formats() {
  return {{ChatFormatId::llama3_longwriter, FakeTokenizer::llama3()},
          {ChatFormatId::llama3, FakeTokenizer::llama3()},
          {ChatFormatId::glm4, FakeTokenizer::glm4()},
          {ChatFormatId::chatml, FakeTokenizer::chatml()}};
}

TEST(PrefixPrompts, DefaultTemplatesShareLeadingTokensUnderEveryChatFormat) {
  const auto prompts = write_prompts();
  ASSERT_EQ(prompts.size(), 5u);  // plan + 4 paragraphs
  const std::string shared = prompts[0].substr(0, prompts[0].find(kInstruction) + kInstruction.size());
  ASSERT_NE(prompts[0].find(kInstruction), std::string::npos);
  for (auto& f : formats()) {
    SCOPED_TRACE(lw::tok::chat_format_name(f.id));
    ChatFormat cf(f.id, f.tok);
    auto render = [&](const std::string& user) {
      std::vector<lw::tok::ChatMessage> m{{"user", user}};
      return cf.render_prompt(m);
    };
    // Tokens before the user's text (the same for every request: no per-request content).
    const size_t head = common_prefix(render("x"), render("y"));
    // Byte-level tokens: a shared text of n bytes is n shared tokens after the head.
    EXPECT_GE(common_prefix(render(prompts[0]), render(prompts[1])), head + shared.size())
        << "plan vs write 1";
    for (size_t k = 1; k + 1 < prompts.size(); ++k) {
      const std::string stable = stable_part(prompts[k], "\n\nNow write the next part: ");
      EXPECT_EQ(prompts[k + 1].compare(0, stable.size(), stable), 0) << "write " << k << " vs " << k + 1;
      EXPECT_GE(common_prefix(render(prompts[k]), render(prompts[k + 1])), head + stable.size());
    }
  }
}

// With real BPE vocabularies the shared text tokenizes to the same leading tokens, give or take
// the last token or two at the boundary.
TEST(PrefixPrompts, WritePromptsExtendEachOtherWithRealVocabularies) {
  const auto prompts = write_prompts();
  ASSERT_EQ(prompts.size(), 5u);
  for (const char* vocab : {"ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf"}) {
    SCOPED_TRACE(vocab);
    auto tok = lw::tok::load_tokenizer(lw::testing::data_file("vocab/") + vocab);
    for (size_t k = 1; k + 1 < prompts.size(); ++k) {
      const auto stable = tok->encode(stable_part(prompts[k], "\n\nNow write the next part: "));
      const size_t lcp = common_prefix(tok->encode(prompts[k]), tok->encode(prompts[k + 1]));
      EXPECT_GE(lcp + 2, stable.size()) << "write " << k;
      EXPECT_GT(stable.size(), 100u);
    }
    const auto plan = tok->encode(prompts[0]), first = tok->encode(prompts[1]);
    const auto shared =
        tok->encode(prompts[0].substr(0, prompts[0].find(kInstruction) + kInstruction.size()));
    EXPECT_GE(common_prefix(plan, first) + 2, shared.size());
  }
}

// The reference write template (plan, then text so far, then the step) keeps the same property.
TEST(PrefixPrompts, ReferenceWriteTemplateKeepsAStablePrefix) {
  const std::string tmpl =
      lw::io::read_file(lw::testing::data_file("reference-prompts/write.txt"));
  const auto prompts = write_prompts(tmpl);
  ASSERT_EQ(prompts.size(), 5u);
  for (size_t k = 1; k + 1 < prompts.size(); ++k) {
    const std::string stable = stable_part(prompts[k], "\n\nPlease integrate");
    EXPECT_EQ(prompts[k + 1].compare(0, stable.size(), stable), 0) << "write " << k << " vs " << k + 1;
  }
}

TEST(ParagraphCap, TrimToLastSentence) {
  EXPECT_EQ(aw::trim_to_last_sentence("One. Two three"), "One.");
  EXPECT_EQ(aw::trim_to_last_sentence("He said \"Go.\" Then she"), "He said \"Go.\"");
  EXPECT_EQ(aw::trim_to_last_sentence("Really?! Yes"), "Really?!");
  EXPECT_EQ(aw::trim_to_last_sentence("Done."), "Done.");
  EXPECT_EQ(aw::trim_to_last_sentence("pi is 3.14 and e"), "pi is 3.14 and e");  // no sentence end
  EXPECT_EQ(aw::trim_to_last_sentence("A. pi is 3.14 and e"), "A.");
  EXPECT_EQ(aw::trim_to_last_sentence("第一句。第二"), "第一句。");
  EXPECT_EQ(aw::trim_to_last_sentence("no end at all"), "no end at all");
  EXPECT_EQ(aw::trim_to_last_sentence(""), "");
}

TEST(ParagraphCap, TokenCapFromTheBudget) {
  aw::CapOptions o;
  o.margin = 0.5;
  o.extra_tokens = 16;
  EXPECT_EQ(aw::paragraph_token_cap(1000, 1.3, o), 1950 + 16);
  EXPECT_EQ(aw::paragraph_token_cap(1000, 0.0, o), 2100 + 16);  // the estimate: 1.4 tokens per word
  o.margin = 0;
  EXPECT_EQ(aw::paragraph_token_cap(100, 2.0, o), 216);
}

// A model that ignores budgets (three times each) is cut at the cap and ends on a full sentence.
aw::ItemResult capped_write(FakeBackend& b, bool cap, aw::RunStats& stats, bool length_control = true,
                            bool parallel = false) {
  b.model.steps = 4;
  b.honour_max_tokens = true;
  b.answer = [](const std::string& prompt, const lw::net::ChatRequest&) -> std::string {
    if (lw::testing::FakeModel::is_plan_prompt(prompt)) return "";
    int64_t words = 0;
    lw::testing::FakeModel::step_of(prompt, words);
    std::string out;
    for (int64_t i = 0; i < 3 * words; ++i) out += (i % 7 == 6) ? "word. " : "word ";
    return out;
  };
  aw::Store store(":memory:");
  aw::PipelineConfig cfg;
  cfg.concurrency = 1;
  cfg.cap.enabled = cap;
  cfg.length_control = length_control;
  cfg.parallel = parallel;
  cfg.min_length_fraction = 0;
  auto res = aw::run_pipeline(b, store, {{"Write a 2000-word essay about topic 1", 0, {}}}, cfg, {}, &stats);
  return res.at(0);
}

TEST(ParagraphCap, CapsEachParagraphAndTrimsToASentence) {
  FakeBackend b;
  aw::RunStats stats;
  auto r = capped_write(b, true, stats);
  ASSERT_EQ(r.status, aw::ItemStatus::done) << r.reason;
  ASSERT_EQ(r.paragraphs.size(), 4u);
  EXPECT_EQ(stats.capped_paragraphs, 4);
  for (const auto& p : r.paragraphs) EXPECT_EQ(p.back(), '.') << p.substr(p.size() - 20);
  // 500 words planned each: at most 500 × 1.4 × 1.5 + 16 = 1066 words (one token per word here).
  EXPECT_LE(lw::text::count_words(r.paragraphs[0]), 1066);
  EXPECT_LT(r.response_length, 4 * 1066);

  FakeBackend free;
  aw::RunStats free_stats;
  auto u = capped_write(free, false, free_stats);
  EXPECT_EQ(free_stats.capped_paragraphs, 0);
  EXPECT_GT(u.response_length, r.response_length);
}

// The cap comes from the plan's own budgets when nothing rescales them.
TEST(ParagraphCap, AlsoCapsWithoutLengthControlAndInParallelMode) {
  for (bool parallel : {false, true}) {
    FakeBackend b;
    aw::RunStats stats;
    auto r = capped_write(b, true, stats, /*length_control=*/false, parallel);
    ASSERT_EQ(r.status, aw::ItemStatus::done) << r.reason;
    EXPECT_EQ(stats.capped_paragraphs, 4) << "parallel " << parallel;
    EXPECT_LE(lw::text::count_words(r.paragraphs[0]), 1066);
  }
}

TEST(ParagraphCap, MeasuresTokensPerWordWithTheBackendsTokenizer) {
  FakeBackend b;
  b.tokens_per_word = 2.0;
  std::vector<int64_t> caps;
  b.hook = [&](const std::string& prompt, const lw::net::ChatRequest& req) {
    if (!lw::testing::FakeModel::is_plan_prompt(prompt)) caps.push_back(req.max_tokens.value_or(-1));
  };
  aw::RunStats stats;
  capped_write(b, true, stats);
  ASSERT_EQ(caps.size(), 4u);
  // Nothing written yet: the ratio is measured on the instruction.
  const std::string instruction = "Write a 2000-word essay about topic 1";
  const double tpw = static_cast<double>(*b.count_tokens(instruction)) /
                     static_cast<double>(lw::text::count_words(instruction));
  EXPECT_EQ(caps[0], aw::paragraph_token_cap(500, std::max(1.0, tpw), {}));
  EXPECT_GT(caps[0], aw::paragraph_token_cap(500, 1.0, {}));
}

}  // namespace
