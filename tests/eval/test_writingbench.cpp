// WritingBench: the critic-reply parser against a committed set of tricky replies (each case's
// expected outcome read off the benchmark's extract_score_json and its success check), the
// aggregation against an independent computation done the way calculate_scores.py does (and
// against figures worked out by hand), the critic prompt, and the resumable judge pipeline.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>

#include "eval/fake_backend.hpp"
#include "eval/html_check.hpp"
#include "eval/writingbench_compare.hpp"
#include "eval/writingbench_data.hpp"
#include "eval/writingbench_judge.hpp"
#include "eval/writingbench_parse.hpp"
#include "eval/writingbench_prompt.hpp"
#include "eval/writingbench_score.hpp"
#include "io/file.hpp"
#include "io/jsonl.hpp"
#include "util/error.hpp"

namespace {

namespace fs = std::filesystem;
using lw::io::Json;
using namespace lw::eval;

const fs::path kDir = fs::path(LW_TEST_DATA_DIR) / "writingbench";

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : dir_(fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~TempDir() { fs::remove_all(dir_); }
  fs::path operator/(const std::string& f) const { return dir_ / f; }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

// ---------------------------------------------------------------- parser

TEST(WritingBenchParse, MatchesExtractScoreJsonOnTrickyReplies) {
  auto cases = lw::io::read_jsonl(kDir / "critic_replies.jsonl");
  ASSERT_GE(cases.size(), 40u);
  int accepted = 0;
  for (const auto& c : cases) {
    std::string reply = c.get_string("reply");
    CriticParse p = parse_critic_reply(reply);
    SCOPED_TRACE(c.where() + ": " + c.get_string("why") + "\nreply: " + reply);
    EXPECT_EQ(p.ok, c.value.at("ok").get<bool>()) << p.error;
    if (p.ok) {
      ++accepted;
      EXPECT_EQ(p.score, c.get_int("score"));
    } else {
      EXPECT_FALSE(p.error.empty());
    }
  }
  EXPECT_GT(accepted, 10);
}

TEST(WritingBenchParse, KeepsTheReason) {
  auto p = parse_critic_reply("ok {\"score\": 7, \"reason\": \"uses {x} and \\\"q\\\"\"}");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.reason, "uses {x} and \"q\"");
}

TEST(WritingBenchParse, JudgedPartDropsReasoning) {
  EXPECT_EQ(judged_part("<think>plan</think>\n\nThe essay."), "The essay.");
  EXPECT_EQ(judged_part("<think>plan</think>The essay."), "<think>plan</think>The essay.");  // needs "\n\n"
  EXPECT_EQ(judged_part("Plain."), "Plain.");
}

// ---------------------------------------------------------------- data

TEST(WritingBenchData, LoadsTheSample) {
  auto qs = load_writingbench(kDir / "queries.jsonl");
  ASSERT_EQ(qs.size(), 8u);
  EXPECT_EQ(qs[2].index, 12);
  EXPECT_EQ(qs[2].domain1, "Finance & Business");
  EXPECT_EQ(criterion_name(qs[2].checklist[0]), "数据支撑");
  auto prompts = writingbench_prompts(qs);
  EXPECT_EQ(prompts[2].value.at("prompt"), qs[2].query);
  EXPECT_EQ(prompts[2].value.at("index"), 12);
  EXPECT_EQ(prompts[2].where(), qs[2].where);
}

TEST(WritingBenchData, ErrorsNameFileLineField) {
  TempDir t("lw_wb_data");
  auto expect_error = [&](const std::string& content, const std::string& needle) {
    lw::io::write_file_atomic(t / "q.jsonl", content);
    try {
      load_writingbench(t / "q.jsonl");
      ADD_FAILURE() << "no error for " << content;
    } catch (const lw::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const std::string ok = R"({"index": 1, "query": "q", "checklist": [{"name": "A"}]})";
  expect_error(R"({"index": "1", "query": "q", "checklist": [{"name": "A"}]})", "q.jsonl:1: field \"index\"");
  expect_error(ok + "\n" + R"({"index": 2, "query": "q", "checklist": []})",
               "q.jsonl:2: field \"checklist\"");
  expect_error(ok + "\n" + R"({"index": 2, "query": "q", "checklist": [{"name": 3}]})",
               "q.jsonl:2: field \"checklist[0].name\"");
  expect_error(ok + "\n" + ok, "q.jsonl:2: field \"index\": 1 appears twice");
  expect_error(R"({"index": 1, "query": "q", "checklist": [{"name": "A"}, {"name": "A"}]})",
               "field \"checklist[1].name\"");
}

// ---------------------------------------------------------------- scoring

// The aggregation of calculate_scores.py, written out directly on the raw JSON (lines with
// "judge_error" skipped, as that script cannot read them).
struct Expected {
  double overall = 0;
  int64_t count = 0, evals = 0;
  std::map<int64_t, double> query;
  std::map<int64_t, std::map<std::string, double>> crit;
  std::map<std::string, double> d1, d2;
  std::map<std::string, std::pair<double, double>> req;  // R, C
};

Expected independent(const fs::path& scores) {
  Expected e;
  double total = 0;
  for (const auto& r : lw::io::read_jsonl(scores)) {
    if (r.value.contains("judge_error")) continue;
    int64_t idx = r.value.at("index");
    double s = 0;
    int64_t n = 0;
    for (const auto& [name, evals] : r.value.at("scores").items()) {
      double cs = 0;
      for (const auto& ev : evals) cs += ev.at("score").get<double>();
      s += cs;
      n += static_cast<int64_t>(evals.size());
      e.crit[idx][name] = cs / static_cast<double>(evals.size());
    }
    e.query[idx] = s / static_cast<double>(n);
    total += s;
    e.evals += n;
    ++e.count;
  }
  e.overall = total / static_cast<double>(e.evals);
  std::map<std::string, std::vector<double>> d1, d2;
  for (const auto& r : lw::io::read_jsonl(kDir / "queries.jsonl")) {
    int64_t idx = r.value.at("index");
    if (!e.query.count(idx)) continue;
    d1[r.get_string("domain1")].push_back(e.query[idx]);
    d2[r.get_string("domain2")].push_back(e.query[idx]);
  }
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  for (const auto& [k, v] : d1) e.d1[k] = mean(v);
  for (const auto& [k, v] : d2) e.d2[k] = mean(v);
  for (std::string name : {"style", "format", "length"}) {
    fs::path d = kDir / "requirement" / name;
    std::map<int64_t, std::vector<std::string>> cnames;
    for (const auto& r : lw::io::read_jsonl(d / (name + "_subset_C.jsonl")))
      for (const auto& c : r.value.at("checklist")) cnames[r.value.at("index")].push_back(c.at("name"));
    std::vector<double> rs, cs;
    for (const auto& r : lw::io::read_jsonl(d / (name + "_subset.jsonl"))) {
      int64_t idx = r.value.at("index");
      if (!e.query.count(idx)) continue;
      rs.push_back(e.query[idx]);
      for (const auto& n : cnames[idx]) cs.push_back(e.crit[idx][n]);
    }
    e.req[name] = {mean(rs), mean(cs)};
  }
  return e;
}

WbReport score_file(const std::string& name) {
  static const auto data = load_writingbench(kDir / "queries.jsonl");
  static const auto reqs = load_requirement_sets(kDir / "requirement");
  auto lines = lw::io::read_jsonl(kDir / name);
  return compute_writingbench_scores(lines, &data, &reqs);
}

TEST(WritingBenchScore, MatchesIndependentComputationOnEveryFigure) {
  for (std::string file : {"scores_a.jsonl", "scores_b.jsonl"}) {
    SCOPED_TRACE(file);
    Expected e = independent(kDir / file);
    WbReport r = score_file(file);
    ASSERT_TRUE(r.overall);
    EXPECT_NEAR(*r.overall, e.overall, 1e-9);
    EXPECT_EQ(r.count, e.count);
    EXPECT_EQ(r.n_evals, e.evals);
    ASSERT_EQ(r.queries.size(), e.query.size());
    for (const auto& q : r.queries) {
      EXPECT_NEAR(q.mean, e.query.at(q.index), 1e-9) << q.index;
      ASSERT_EQ(q.criteria.size(), e.crit.at(q.index).size());
      for (const auto& [n, v] : q.criteria)
        EXPECT_NEAR(v, e.crit.at(q.index).at(n), 1e-9) << q.index << " " << n;
    }
    ASSERT_EQ(r.domain1.size(), e.d1.size());
    for (const auto& g : r.domain1) EXPECT_NEAR(*g.mean, e.d1.at(g.name), 1e-9) << g.name;
    ASSERT_EQ(r.domain2.size(), e.d2.size());
    for (const auto& g : r.domain2) EXPECT_NEAR(*g.mean, e.d2.at(g.name), 1e-9) << g.name;
    ASSERT_EQ(r.requirements.size(), 3u);
    for (const auto& q : r.requirements) {
      EXPECT_NEAR(*q.r, e.req.at(q.name).first, 1e-9) << q.name;
      EXPECT_NEAR(*q.c, e.req.at(q.name).second, 1e-9) << q.name;
    }
  }
}

TEST(WritingBenchScore, FiguresWorkedOutByHand) {
  WbReport a = score_file("scores_a.jsonl");
  // Evaluations: 29/4 + 20/3 + 35/6 + 10/2 + 24/3 + 21/4 + 11/2 (index 99) = 150 over 24.
  EXPECT_NEAR(*a.overall, 150.0 / 24.0, 1e-12);
  EXPECT_EQ(a.count, 7);
  std::map<std::string, double> d1;
  for (const auto& g : a.domain1) d1[g.name] = *g.mean;
  EXPECT_NEAR(d1.at("Academic & Engineering"), (29.0 / 4 + 20.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(d1.at("Finance & Business"), (35.0 / 6 + 10.0 / 2) / 2, 1e-12);
  EXPECT_NEAR(d1.at("Literature & Arts"), (24.0 / 3 + 21.0 / 4) / 2, 1e-12);
  EXPECT_EQ(d1.count("Education"), 0u);  // index 40 has no score line
  // Domains in the benchmark's order.
  ASSERT_EQ(a.domain1.size(), 3u);
  EXPECT_EQ(a.domain1[0].name, "Academic & Engineering");
  EXPECT_EQ(a.domain1[2].name, "Literature & Arts");
  std::map<std::string, WbRequirement> rq;
  for (const auto& q : a.requirements) rq[q.name] = q;
  // style: queries 3, 12, 21 (40 unscored); criteria Register 9, Tone (6+9)/2, Shanty_Style 7.
  EXPECT_NEAR(*rq["style"].r, (29.0 / 4 + 35.0 / 6 + 8.0) / 3, 1e-12);
  EXPECT_NEAR(*rq["style"].c, (9 + 7.5 + 7) / 3.0, 1e-12);
  EXPECT_EQ(rq["style"].n_queries, 3);
  // length: queries 3, 12, 35 (41 failed); Length_Compliance 5, Length (3+2)/2, Word_Limit 2.
  EXPECT_NEAR(*rq["length"].c, (5 + 2.5 + 2) / 3.0, 1e-12);
  WbReport b = score_file("scores_b.jsonl");
  EXPECT_NEAR(*b.overall, 190.0 / 24.0, 1e-12);
  EXPECT_EQ(b.count, 8);
}

TEST(WritingBenchScore, ListsEveryProblem) {
  WbReport a = score_file("scores_a.jsonl");
  ASSERT_EQ(a.missing.size(), 1u);
  EXPECT_EQ(a.missing[0].prompt, "index 40");
  ASSERT_EQ(a.failed.size(), 1u);
  EXPECT_EQ(a.failed[0].prompt, "index 41");
  EXPECT_NE(a.failed[0].where.find("scores_a.jsonl:7"), std::string::npos);
  ASSERT_EQ(a.unknown.size(), 1u);
  EXPECT_EQ(a.unknown[0].prompt, "index 99");
  EXPECT_TRUE(a.requirement_problems.empty());
  Json j = writingbench_to_json(a);
  EXPECT_FALSE(j.at("complete").get<bool>());
  EXPECT_EQ(j.at("benchmark"), "writingbench");
  WbReport b = score_file("scores_b.jsonl");
  EXPECT_TRUE(writingbench_to_json(b).at("complete").get<bool>());
}

TEST(WritingBenchScore, LaterLineSupersedesAndFailureThenSuccessIsFine) {
  auto rec = [](const std::string& s, int line) {
    lw::io::Record r;
    r.value = Json::parse(s);
    r.path = "s.jsonl";
    r.line = line;
    return r;
  };
  std::vector<lw::io::Record> lines = {
      rec(R"({"index": 1, "judge_error": "x"})", 1),
      rec(R"({"index": 1, "scores": {"A": [{"score": 2, "reason": ""}]}, "domain1": "Education"})", 2),
      rec(R"({"index": 2, "scores": {"A": [{"score": 4, "reason": ""}]}})", 3),
      rec(R"({"index": 2, "scores": {"A": [{"score": 8, "reason": ""}]}})", 4)};
  WbReport r = compute_writingbench_scores(lines, nullptr, nullptr);
  EXPECT_TRUE(r.failed.empty());
  EXPECT_EQ(r.superseded, 1);
  EXPECT_EQ(r.count, 2);
  EXPECT_NEAR(*r.overall, 5.0, 1e-12);  // (2 + 8) / 2: the superseded 4 is not counted
  ASSERT_EQ(r.domain1.size(), 1u);      // domains from the lines themselves without --data
  EXPECT_EQ(r.domain1[0].name, "Education");
}

TEST(WritingBenchScore, MalformedLineNamesFileLineField) {
  lw::io::Record r;
  r.value = Json::parse(R"({"index": 5, "scores": {"Tone": [{"score": "high", "reason": ""}]}})");
  r.path = "s.jsonl";
  r.line = 3;
  try {
    compute_writingbench_scores({r}, nullptr, nullptr);
    FAIL() << "no error";
  } catch (const lw::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("s.jsonl:3: field \"scores.Tone[0].score\""), std::string::npos)
        << e.what();
  }
}

TEST(WritingBenchScore, ReportsAreWellFormedAndCompare) {
  TempDir t("lw_wb_report");
  WbReport a = score_file("scores_a.jsonl");
  a.name = "model <a>";
  WbReport b = score_file("scores_b.jsonl");
  b.name = "model-b";
  write_writingbench_report(a, t / "a");
  write_writingbench_report(b, t / "b");
  std::string html = lw::io::read_file(t / "a" / "writingbench.html");
  EXPECT_EQ(lw::testing::check_html(html), "");
  EXPECT_NE(html.find("model &lt;a&gt;"), std::string::npos);
  std::string md = lw::io::read_file(t / "a" / "writingbench.md");
  EXPECT_NE(md.find("**Overall = 6.25**"), std::string::npos);
  EXPECT_NE(md.find("| style"), std::string::npos);
  EXPECT_NE(md.find("index 40"), std::string::npos);
  EXPECT_NE(md.find("## Queries ("), std::string::npos);  // one row per scored query, with its criteria
  EXPECT_NE(html.find("<h2>Queries ("), std::string::npos);
  std::vector<lw::eval::CompareEntry> es = {load_writingbench_report(t / "a"),
                                            load_writingbench_report(t / "b")};
  std::string cmd = writingbench_compare_markdown(es);
  EXPECT_NE(cmd.find("| model-b | 7.92"), std::string::npos) << cmd;
  EXPECT_NE(cmd.find("Education"), std::string::npos);
  EXPECT_EQ(lw::testing::check_html(writingbench_compare_html(es)), "");
  EXPECT_THROW(load_writingbench_report(kDir / "queries.jsonl"), lw::InputError);
}

// ---------------------------------------------------------------- prompt

TEST(WritingBenchPrompt, BothPlaceholderStyles) {
  Json crit = {{"name", "Tone"}, {"criteria_description", "formal"}};
  std::string d =
      fill_critic_template("Q=$INST$ R=$RESPONSE$ C=$CRITERIA$", "ask {query}", "text $INST$", crit);
  EXPECT_EQ(d, "Q=ask {query} R=text $INST$ C=" + crit.dump(2));
  std::string p =
      fill_critic_template("{{\"score\"}} {query}|{response}|{criteria}", "a $INST$", "{criteria}", crit);
  EXPECT_EQ(p, "{\"score\"} a $INST$|{criteria}|" + crit.dump(2));
  EXPECT_NO_THROW(validate_critic_template(default_critic_template(), "default"));
  EXPECT_THROW(validate_critic_template("{query} {response}", "t"), lw::InputError);  // no criteria
  EXPECT_THROW(validate_critic_template("{query} {response} {criteria} {x}", "t"),
               lw::InputError);                                                      // unknown
  EXPECT_THROW(validate_critic_template("$INST$ $CRITERIA$", "t"), lw::InputError);  // no response
  EXPECT_NO_THROW(validate_critic_template("{{a}} {query} {response} {criteria}", "t"));
}

// ---------------------------------------------------------------- judge pipeline

std::vector<lw::io::Record> preds_for(const std::vector<WbQuery>& qs, size_t n) {
  std::vector<lw::io::Record> out;
  for (size_t i = 0; i < n; ++i) {
    lw::io::Record r;
    r.value = {{"index", qs[i].index},
               {"response", "<think>plan</think>\n\nAnswer " + std::to_string(qs[i].index)}};
    r.path = "pred.jsonl";
    r.line = static_cast<int64_t>(i + 1);
    out.push_back(r);
  }
  return out;
}

TEST(WritingBenchJudge, ScoresEveryCriterionRetriesAndResumes) {
  TempDir t("lw_wb_judge");
  auto qs = load_writingbench(kDir / "queries.jsonl");
  auto preds = preds_for(qs, 4);  // indices 3, 7, 12, 20: 4 + 3 + 3 + 2 criteria
  std::atomic<int> bad_once{0};
  lw::testing::FakeBackend backend([&](const lw::net::ChatRequest& req, int) {
    const std::string& u = req.messages.back().content;
    EXPECT_EQ(u.find("<think>"), std::string::npos);  // the thoughts are not judged
    if (u.find("\"Tone\"") != std::string::npos && bad_once++ == 0)
      return lw::testing::reply("{\"score\": \"9\", \"reason\": \"string score\"}");
    if (u.find("\"Synthesis\"") != std::string::npos)
      return lw::testing::reply("<think>hmm</think>\n{\"score\": 3, \"reason\": \"weak\"}");
    return lw::testing::reply("```json\n{\"score\": 7, \"reason\": \"fine\"}\n```");
  });
  CriticOptions o;
  o.concurrency = 3;
  auto s = run_writingbench_judge(backend, preds, qs, t / "scores.jsonl", o);
  EXPECT_EQ(s.completed, 4);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.retried, 1);
  EXPECT_EQ(backend.requests().size(), 12u + 1u);
  EXPECT_EQ(backend.requests()[0].messages.front().role, "system");
  EXPECT_EQ(backend.requests()[0].temperature, 1.0);
  auto lines = lw::io::read_jsonl(t / "scores.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  for (const auto& l : lines) {
    EXPECT_TRUE(is_wb_scored(l.value)) << l.value.dump();
    if (l.value.at("index") == 7) {
      EXPECT_EQ(l.value.at("scores").at("Synthesis").at(0).at("score"), 3);
    }
    if (l.value.at("index") == 12) {
      EXPECT_EQ(l.value.at("judge_attempts").at("Tone"), 2);
      EXPECT_EQ(l.value.at("judge_rejected").size(), 1u);
    }
  }
  // Resumed: nothing left to do.
  auto s2 = run_writingbench_judge(backend, preds, qs, t / "scores.jsonl", o);
  EXPECT_EQ(s2.already_done, 4);
  EXPECT_EQ(backend.requests().size(), 13u);
  // The score file is read by the aggregation.
  auto rep = compute_writingbench_scores(lines, &qs, nullptr);
  EXPECT_EQ(rep.count, 4);
  EXPECT_NEAR(*rep.overall, (11 * 7 + 3) / 12.0, 1e-12);
}

TEST(WritingBenchJudge, UnusableCriterionIsWrittenAsErrorAndRetriedByRerun) {
  TempDir t("lw_wb_judge_fail");
  auto qs = load_writingbench(kDir / "queries.jsonl");
  auto preds = preds_for(qs, 2);
  bool broken = true;
  lw::testing::FakeBackend backend([&](const lw::net::ChatRequest& req, int) {
    if (broken && req.messages.back().content.find("\"Sources\"") != std::string::npos)
      return lw::testing::reply("Score: 8");
    return lw::testing::reply("{\"score\": 6, \"reason\": \"ok\"}");
  });
  CriticOptions o;
  o.max_attempts = 2;
  auto s = run_writingbench_judge(backend, preds, qs, t / "scores.jsonl", o);
  EXPECT_EQ(s.completed, 1);
  EXPECT_EQ(s.failed, 1);
  auto lines = lw::io::read_jsonl(t / "scores.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  int errors = 0;
  for (const auto& l : lines) errors += l.value.contains("judge_error");
  EXPECT_EQ(errors, 1);
  broken = false;
  auto s2 = run_writingbench_judge(backend, preds, qs, t / "scores.jsonl", o);
  EXPECT_EQ(s2.already_done, 1);
  EXPECT_EQ(s2.completed, 1);
  auto rep = compute_writingbench_scores(lw::io::read_jsonl(t / "scores.jsonl"), &qs, nullptr);
  EXPECT_TRUE(rep.failed.empty());
  EXPECT_EQ(rep.count, 2);
}

TEST(WritingBenchJudge, UnknownIndexIsAnInputError) {
  TempDir t("lw_wb_judge_unknown");
  auto qs = load_writingbench(kDir / "queries.jsonl");
  auto preds = preds_for(qs, 1);
  preds[0].value["index"] = 1234;
  lw::testing::FakeBackend backend([](const lw::net::ChatRequest&, int) { return lw::testing::reply(""); });
  EXPECT_THROW(run_writingbench_judge(backend, preds, qs, t / "s.jsonl", CriticOptions{}), lw::InputError);
  EXPECT_TRUE(backend.requests().empty());
}

}  // namespace
