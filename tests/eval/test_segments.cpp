// bench judge --segments K: splitting at paragraph boundaries, the context window, S_q by position
// and the drop (hand-worked figures), and the segmented judging pipeline against a fake judge.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "eval/fake_backend.hpp"
#include "eval/judge.hpp"
#include "eval/report.hpp"
#include "eval/segments.hpp"
#include "io/file.hpp"
#include "util/error.hpp"
#include "util/progress.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lw::eval;
using lw::io::Json;

// A paragraph "PART<id> w w ...": words - 1 counted words ("PART0" mixes letters and a digit).
std::string para(int id, int words) {
  std::string s = fmt::format("PART{}", id);
  for (int i = 1; i < words; ++i) s += " w";
  return s;
}

TEST(Segments, SplitsAtParagraphBoundariesNearEqualShares) {
  // Six paragraphs of 10 words: K = 3 cuts after the 2nd and the 4th.
  std::string text;
  for (int i = 0; i < 6; ++i) text += para(i, 10) + (i < 5 ? "\n\n" : "\n");
  auto parts = split_segments(text, 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].find("PART0"), 0u);
  EXPECT_NE(parts[0].find("PART1"), std::string::npos);
  EXPECT_EQ(parts[1].find("PART2"), 0u);
  EXPECT_EQ(parts[2].find("PART4"), 0u);
  EXPECT_EQ(parts[0] + parts[1] + parts[2], text);
  // Uneven paragraphs of 29, 4, 4, 19 words, K = 2: half is 28, nearest boundary after the first.
  std::string t2 = para(0, 30) + "\n\n" + para(1, 5) + "\n\n\n" + para(2, 5) + "\n\n" + para(3, 20);
  auto p2 = split_segments(t2, 2);
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[1].find("PART1"), 0u);
  EXPECT_EQ(p2[0] + p2[1], t2);
  // Fewer paragraphs than K; one paragraph; nothing.
  EXPECT_EQ(split_segments(para(0, 3) + "\n\n" + para(1, 3), 5).size(), 2u);
  EXPECT_EQ(split_segments("one paragraph only", 4).size(), 1u);
  EXPECT_TRUE(split_segments("", 4).empty());
}

TEST(Segments, ContextTailKeepsTheEndWithinBudget) {
  EXPECT_EQ(context_tail("short", 100), "short");
  std::string text = std::string(1000, 'a') + "\n\nlast paragraph";
  std::string t = context_tail(text, 200);
  EXPECT_EQ(t.rfind("[...]\n", 0), 0u);
  EXPECT_EQ(t, "[...]\nlast paragraph");  // cut at the paragraph start inside the window
  std::string cjk;
  for (int i = 0; i < 100; ++i) cjk += "中";
  std::string c = context_tail(cjk, 31);  // 31 bytes is not a whole number of 3-byte characters
  EXPECT_EQ(c, "[...]\n" + cjk.substr(cjk.size() - 30));
}

Json seg(int v) {  // six equal scores v: S_q of the part = (v - 1) * 25
  Json s = Json::object();
  for (auto d : kDimensions) s[std::string(d)] = v;
  return s;
}

lw::io::Record line(const std::string& prompt, const std::string& response, std::vector<int> vs) {
  lw::io::Record r;
  Json arr = Json::array();
  for (int v : vs) arr.push_back(seg(v));
  r.value = {{"prompt", prompt}, {"response", response}, {"segments", 2}, {"segment_scores", arr}};
  r.path = "s.jsonl";
  return r;
}

TEST(Segments, PositionsAndDropByHand) {
  std::vector<lw::io::Record> preds(2);
  preds[0].value = {{"prompt", "a"}, {"response", "ra"}};
  preds[1].value = {{"prompt", "b"}, {"response", "rb"}};
  // a: four parts 5,4,3,2 -> positions 0,0,1,1 with S_q 100,75 | 50,25; b: two parts 4,1 -> 75 | 0.
  std::vector<lw::io::Record> lines = {line("a", "ra", {5, 4, 3, 2}), line("b", "rb", {4, 1}),
                                       line("c", "stale", {1, 1})};
  PositionStats p = analyze_positions(lines, preds, 2);
  EXPECT_EQ(p.responses, 2);
  EXPECT_EQ(p.n[0], 3);
  EXPECT_EQ(p.n[1], 3);
  EXPECT_NEAR(*p.s_q[0], (100 + 75 + 75) / 3.0, 1e-12);
  EXPECT_NEAR(*p.s_q[1], (50 + 25 + 0) / 3.0, 1e-12);
  EXPECT_NEAR(*p.drop, (50 + 25 + 0) / 3.0 - (100 + 75 + 75) / 3.0, 1e-12);
  ScoreReport rep;
  rep.positions = p;
  EXPECT_NE(report_markdown(rep).find("## Quality by position"), std::string::npos);
  EXPECT_TRUE(report_to_json(rep).at("positions").at("drop").is_number());
}

TEST(Segments, JudgesEachPartWithItsContextAndResumes) {
  lw::set_progress_enabled(false);
  fs::path dir = fs::temp_directory_path() / fmt::format("lw_segments_{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string text;
  for (int i = 0; i < 6; ++i) text += para(i, 10) + "\n\n";
  std::vector<lw::io::Record> preds(1);
  preds[0].value = {{"prompt", "Write six parts"}, {"response", text}};
  preds[0].path = "pred.jsonl";
  lw::testing::FakeBackend judge([](const lw::net::ChatRequest& req, int) {
    const std::string& u = req.messages.back().content;
    std::string part = u.substr(u.find("=== THE PART TO GRADE ===\n") + 26, 5);
    int v = part == "PART0" ? 5 : part == "PART2" ? 3 : 2;  // later parts get worse
    Json a = {{"Analysis", "ok"}};
    for (auto d : kDimensions) a[std::string(d)] = v;
    return lw::testing::reply(a.dump());
  });
  JudgeOptions o;
  o.segments = 3;
  o.concurrency = 1;
  auto s = run_judge(judge, preds, dir / "seg.jsonl", o);
  EXPECT_EQ(s.completed, 1);
  auto reqs = judge.requests();
  ASSERT_EQ(reqs.size(), 3u);
  const std::string& second = reqs[1].messages.back().content;
  std::string context = second.substr(second.find("(context only) ===\n"));
  context = context.substr(0, context.find("=== END OF TEXT BEFORE"));
  EXPECT_NE(context.find("PART1"), std::string::npos);
  EXPECT_EQ(context.find("PART2"), std::string::npos);
  EXPECT_NE(reqs[0].messages.back().content.find("(none: this is the beginning"), std::string::npos);
  auto lines = lw::io::read_jsonl(dir / "seg.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(is_segment_judged(lines[0].value));
  // Two paragraphs each, of nine words ("PART0" is not a word for count-words: letters and a digit).
  EXPECT_EQ(lines[0].value.at("segment_words"), Json::array({18, 18, 18}));
  EXPECT_FALSE(lines[0].value.contains("scores"));
  auto again = run_judge(judge, preds, dir / "seg.jsonl", o);
  EXPECT_EQ(again.already_done, 1);
  EXPECT_EQ(judge.requests().size(), 3u);
  PositionStats p = analyze_positions(lines, preds, 3);
  EXPECT_NEAR(*p.drop, 25 - 100, 1e-12);
  // A segment template without $CONTEXT$ is refused before any request.
  o.template_text = "$INST$ $RESPONSE$";
  EXPECT_THROW(run_judge(judge, preds, dir / "seg2.jsonl", o), lw::InputError);
  fs::remove_all(dir);
}

}  // namespace
