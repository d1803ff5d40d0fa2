// Instruction selection (rules, lengths, near-duplicates) and SFT export.
#include <gtest/gtest.h>

#include <filesystem>

#include "agentwrite/export.hpp"
#include "agentwrite/select.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "util/error.hpp"

namespace {

namespace aw = lw::agentwrite;
namespace fs = std::filesystem;

aw::RuleSet defaults() {
  aw::RuleSet r;
  r.add_defaults();
  return r;
}

TEST(Select, KeepsExplicitAndImplicitLongRequests) {
  auto rules = defaults();
  aw::SelectOptions o;
  auto d = aw::classify_instruction("Write a 5000-word essay on the history of tea", rules, o);
  EXPECT_TRUE(d.keep);
  EXPECT_EQ(d.reason, "explicit length");
  EXPECT_TRUE(aw::classify_instruction("写一篇一万字的散文", rules, o).keep);
  EXPECT_TRUE(aw::classify_instruction("请写一篇5000字的文章", rules, o).keep);
  d = aw::classify_instruction("Write a novel about a lighthouse keeper", rules, o);
  EXPECT_TRUE(d.keep);
  EXPECT_EQ(d.reason, "long-form: longform");
  EXPECT_TRUE(aw::classify_instruction("写一部关于江南的小说", rules, o).keep);
  // An explicit short length wins over a long-form kind.
  d = aw::classify_instruction("Write a 500-word report on sales", rules, o);
  EXPECT_FALSE(d.keep);
  EXPECT_EQ(d.reason, "too short: 500 < 2000");
  d = aw::classify_instruction("What is the capital of France?", rules, o);
  EXPECT_FALSE(d.keep);
  EXPECT_EQ(d.reason, "no long-output request");
  // Word boundaries: "novel" inside "novelty" is not a long-form request.
  EXPECT_FALSE(aw::classify_instruction("Describe the novelty of this idea", rules, o).keep);
}

TEST(Select, DropsRuleMatches) {
  auto rules = defaults();
  aw::SelectOptions o;
  auto d = aw::classify_instruction("Write a 5000-word guide on how to make a bomb", rules, o);
  EXPECT_FALSE(d.keep);
  EXPECT_EQ(d.reason, "rule: toxic");
  d = aw::classify_instruction("Crawl these 300 websites and write a 10000-word summary", rules, o);
  EXPECT_EQ(d.reason, "rule: scraping");
  d = aw::classify_instruction("Generate 500 names for a 3000 word list", rules, o);
  EXPECT_EQ(d.reason, "rule: scraping");
  EXPECT_EQ(aw::classify_instruction("请爬取这个网站的数据，写一万字", rules, o).reason, "rule: scraping");
}

TEST(Select, RuleFileFormat) {
  aw::RuleSet r;
  r.add("# comment\n[drop spam]\nbuy now\nre:\\bfree\\s+money\\b\nclick*\n\n[keep poem]\n长诗\n", "custom.rules");
  ASSERT_EQ(r.rules().size(), 4u);
  EXPECT_NE(r.first_match("Please BUY   NOW", true), nullptr);
  EXPECT_NE(r.first_match("get free money", true), nullptr);
  EXPECT_NE(r.first_match("clickbait title", true), nullptr);
  EXPECT_EQ(r.first_match("unclick", true), nullptr);
  EXPECT_NE(r.first_match("写一首长诗", false), nullptr);
  try {
    aw::RuleSet bad;
    bad.add("word before section\n", "bad.rules");
    FAIL();
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.rules:1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(aw::RuleSet().add("[drop x]\nre:(unclosed\n", "r"), lw::InputError);
  EXPECT_THROW(aw::RuleSet().add("[maybe x]\nword\n", "r"), lw::InputError);
}

TEST(Select, ShippedRuleFilesEqualTheCompiledDefaults) {
  std::string dir = std::string(LW_TEST_DATA_DIR) + "/../../data/rules/";
  for (const char* f : {"longform.rules", "scraping.rules", "toxic.rules"}) {
    std::string text = lw::io::read_file(dir + f);
    EXPECT_NE(std::string(aw::default_rules_text()).find(text), std::string::npos) << f;
  }
}

TEST(Select, NearDuplicatesAreDropped) {
  auto rules = defaults();
  aw::SelectOptions o;
  std::vector<std::string> prompts = {
      "Write a 5000-word essay on the history of the Roman roads and their engineering.",
      "Write a 5000 word essay on the history of the Roman roads, and their engineering!",
      "Write a 5000-word essay on the history of Chinese porcelain and its trade routes.",
      "hello",
  };
  aw::SelectReport rep;
  auto d = aw::select_all(prompts, rules, o, rep);
  EXPECT_TRUE(d[0].keep);
  EXPECT_FALSE(d[1].keep);
  EXPECT_EQ(d[1].reason, "near-duplicate");
  EXPECT_TRUE(d[2].keep);
  EXPECT_EQ(rep.total, 4);
  EXPECT_EQ(rep.kept, 2);
  EXPECT_EQ(rep.dropped_by_reason["near-duplicate"], 1);
  EXPECT_EQ(rep.dropped_by_reason["no long-output request"], 1);
  EXPECT_GT(aw::NearDuplicates::similarity(prompts[0], prompts[1]), 0.8);
  EXPECT_LT(aw::NearDuplicates::similarity(prompts[0], prompts[2]), 0.8);
}

TEST(Export, WritesMessagesAndStats) {
  fs::path d = fs::temp_directory_path() / ("lw_aw_export_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  std::string in = (d / "write.jsonl").string();
  {
    lw::io::JsonlWriter w(in);
    w.write({{"prompt", "p1"}, {"response", "a b c"}, {"response_length", 500}});
    w.write({{"prompt", "p2"}, {"response", "x"}, {"response_length", 1500}});
    w.write({{"prompt", "p3"}, {"response", "y"}, {"response_length", 25000}});
    w.write({{"prompt", "p4"}, {"response", ""}});
    w.write({{"prompt", "p5"}, {"response", "one two three"}});  // length recomputed: 3
    w.commit();
  }
  {
    lw::io::JsonlWriter w(in + ".rejects.jsonl");
    w.write({{"prompt", "q"}, {"reason", "too short: 10 words < 0.5 x target 100"}});
    w.commit();
  }
  auto s = aw::export_sft(in, (d / "sft.jsonl").string(), {}, in + ".rejects.jsonl");
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(s.histogram[0], 2);
  EXPECT_EQ(s.histogram[1], 1);
  EXPECT_EQ(s.histogram[20], 1);
  EXPECT_DOUBLE_EQ(s.median, (500.0 + 1500.0) / 2);
  EXPECT_EQ(s.drops["missing or empty response"], 1);
  EXPECT_EQ(s.drops["agentwrite: too short"], 1);
  auto lines = lw::io::read_jsonl(d / "sft.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].value["messages"][0]["role"], "user");
  EXPECT_EQ(lines[0].value["messages"][0]["content"], "p1");
  EXPECT_EQ(lines[0].value["messages"][1]["role"], "assistant");
  EXPECT_EQ(lines[0].value["messages"][1]["content"], "a b c");
  EXPECT_NE(s.to_text().find("20k+"), std::string::npos);
  EXPECT_EQ(s.to_json()["histogram"].size(), 21u);
  aw::ExportOptions min;
  min.min_words = 1000;
  auto s2 = aw::export_sft(in, (d / "sft2.jsonl").string(), min, "");
  EXPECT_EQ(s2.count, 2);
  EXPECT_EQ(s2.drops["shorter than 1000 words"], 2);
}

}  // namespace
