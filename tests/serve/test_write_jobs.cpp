// AgentWrite jobs (serve/write_jobs.hpp) and their routes (serve/write_routes.hpp) against a
// scripted backend that plans three paragraphs and writes each by rule, counting what it is asked;
// and once against the engine (a tiny random model: needs the shared vocabulary).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include <unistd.h>

#include "serve/http_server.hpp"
#include "serve/local_backend.hpp"
#include "serve/ui_page.hpp"
#include "serve/write_jobs.hpp"
#include "serve/write_routes.hpp"
#include "tiny_model.hpp"
#include "util/error.hpp"

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// Plans "Paragraph k - Main Point: Point k - Word Count: 30 words" for k = 1..3 and writes
// paragraph k as "Text k draft D ..." (D: how often k was asked). A paragraph whose number is
// `hold` streams a word every 5 ms until released (so a job can be stopped in the middle).
class ScriptedWriter : public lw::net::ChatBackend {
 public:
  lw::net::ChatResponse complete(const lw::net::ChatRequest& req,
                                 const lw::net::DeltaCallback& on_delta) override {
    const std::string& prompt = req.messages.back().content;
    lw::net::ChatResponse r;
    r.finish_reason = "stop";
    std::smatch m;
    if (prompt.find("Divide the piece into paragraphs") != std::string::npos) {
      ++plans;
      for (int k = 1; k <= 3; ++k)
        r.content += fmt::format("Paragraph {} - Main Point: Point {} - Word Count: 30 words\n", k, k);
      return r;
    }
    if (!std::regex_search(prompt, m,
                           std::regex("Now write the next part: Paragraph (\\d+) - Main Point: ([^\\n]*)")))
      throw lw::Error("not a write prompt");
    const int k = std::stoi(m[1]);
    int draft;
    {
      std::lock_guard lk(mu);
      draft = ++asked[k];
      step_lines[k] = m[2];
    }
    r.content = fmt::format("Text {} draft {} is short and plain.", k, draft);
    if (on_delta) {
      while (hold == k) {
        on_delta(" ");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      on_delta(r.content);
    }
    r.usage = {100, 8, 108, 40};
    return r;
  }
  std::string describe() const override { return "scripted writer"; }
  int asked_for(int k) {
    std::lock_guard lk(mu);
    return asked[k];
  }
  std::atomic<int> hold{0}, plans{0};
  std::mutex mu;
  std::map<int, int> asked;
  std::map<int, std::string> step_lines;
};

class WriteJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          fmt::format("lw_write_jobs_{}_{}", ::getpid(),
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  lw::serve::WriteJobsOptions options() {
    lw::serve::WriteJobsOptions o;
    o.dir = dir;
    return o;
  }
  static lw::serve::JobRequest request(bool plan_only = false) {
    lw::serve::JobRequest r;
    r.instruction = "Write a 90-word note about desks.";
    r.plan_only = plan_only;
    return r;
  }
  // Waits until paragraph k (1-based) of the job is done.
  static void wait_paragraph(lw::serve::WriteJobs& jobs, const std::string& id, int k) {
    for (int i = 0; i < 2000; ++i) {
      Json s = jobs.state(id);
      if (s["paragraphs"].size() >= static_cast<size_t>(k) && s["paragraphs"][k - 1]["done"].get<bool>())
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL() << "paragraph " << k << " never finished";
  }
  fs::path dir;
  ScriptedWriter backend;
};

TEST_F(WriteJobsTest, PlansAndWritesEveryParagraphAndStoresTheText) {
  lw::serve::WriteJobs jobs(backend, options());
  const std::string id = jobs.create(request());
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  Json s = jobs.state(id);
  EXPECT_EQ(s["status"], "done") << s.dump();
  ASSERT_EQ(s["paragraphs"].size(), 3u);
  EXPECT_EQ(s["target_words"], 90);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(s["paragraphs"][k]["text"], fmt::format("Text {} draft 1 is short and plain.", k + 1));
    EXPECT_GT(s["paragraphs"][k]["words"].get<int>(), 3);
    EXPECT_EQ(s["paragraphs"][k]["budget"], 30);
  }
  EXPECT_EQ(s["text"],
            "Text 1 draft 1 is short and plain.\n\nText 2 draft 1 is short and plain.\n\nText 3 draft 1 is "
            "short and plain.");
  EXPECT_EQ(s["progress"]["done"], 3);
  EXPECT_DOUBLE_EQ(s["progress"]["cached_share"].get<double>(), 0.4);
  EXPECT_TRUE(fs::exists(dir / id / "job.json"));
  Json listed = jobs.list();
  ASSERT_EQ(listed["data"].size(), 1u);
  EXPECT_EQ(listed["data"][0]["id"], id);
}

TEST_F(WriteJobsTest, EventsCarryThePlanDeltasParagraphsAndTheEnd) {
  lw::serve::WriteJobs jobs(backend, options());
  const std::string id = jobs.create(request());
  std::map<std::string, int> seen;
  int64_t after = 0;
  bool active = true;
  while (active) {
    for (const auto& e : jobs.events(id, after, 5000, &active)) {
      after = e["seq"].get<int64_t>();
      ++seen[e["event"].get<std::string>()];
    }
  }
  EXPECT_EQ(seen["plan"], 1);
  EXPECT_EQ(seen["paragraph"], 3);
  EXPECT_GE(seen["delta"], 3);
  EXPECT_GE(seen["status"], 3);  // queued, planning, writing, done
  EXPECT_EQ(jobs.state(id)["status"], "done");
}

TEST_F(WriteJobsTest, ARestartResumesTheJobWithoutAskingForFinishedParagraphs) {
  std::string id;
  backend.hold = 2;
  {
    lw::serve::WriteJobs jobs(backend, options());
    id = jobs.create(request());
    wait_paragraph(jobs, id, 1);
    while (backend.asked_for(2) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }  // the server stops while paragraph 2 is being written
  Json on_disk = Json::parse(std::ifstream(dir / id / "job.json"));
  EXPECT_EQ(on_disk["status"], "writing");
  backend.hold = 0;
  lw::serve::WriteJobs jobs(backend, options());
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  EXPECT_EQ(jobs.state(id)["status"], "done");
  EXPECT_EQ(backend.asked_for(1), 1);
  EXPECT_EQ(backend.asked_for(2), 2);  // cut off once, then written
  EXPECT_EQ(backend.asked_for(3), 1);
  EXPECT_EQ(backend.plans, 1);
}

TEST_F(WriteJobsTest, CancelKeepsFinishedParagraphsAndStartGoesOn) {
  backend.hold = 2;
  lw::serve::WriteJobs jobs(backend, options());
  const std::string id = jobs.create(request());
  wait_paragraph(jobs, id, 1);
  while (backend.asked_for(2) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  jobs.cancel(id);
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  Json s = jobs.state(id);
  EXPECT_EQ(s["status"], "cancelled");
  EXPECT_TRUE(s["paragraphs"][0]["done"].get<bool>());
  EXPECT_FALSE(s["paragraphs"][1]["done"].get<bool>());
  EXPECT_EQ(s["paragraphs"][1]["text"], "");
  EXPECT_THROW(jobs.regenerate("wj-none", 0, false), lw::serve::JobNotFound);
  backend.hold = 0;
  jobs.start(id);
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  EXPECT_EQ(jobs.state(id)["status"], "done");
  EXPECT_EQ(backend.asked_for(1), 1);
}

TEST_F(WriteJobsTest, RegenerateRewritesOneParagraphOrTheFollowingOnesToo) {
  lw::serve::WriteJobs jobs(backend, options());
  const std::string id = jobs.create(request());
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  jobs.regenerate(id, 1, /*rewrite_following=*/false);
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  Json s = jobs.state(id);
  EXPECT_EQ(s["paragraphs"][1]["text"], "Text 2 draft 2 is short and plain.");
  EXPECT_EQ(s["paragraphs"][2]["text"], "Text 3 draft 1 is short and plain.");
  jobs.regenerate(id, 0, /*rewrite_following=*/true);
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  s = jobs.state(id);
  EXPECT_EQ(s["paragraphs"][0]["text"], "Text 1 draft 2 is short and plain.");
  EXPECT_EQ(s["paragraphs"][1]["text"], "Text 2 draft 3 is short and plain.");
  EXPECT_EQ(s["paragraphs"][2]["text"], "Text 3 draft 2 is short and plain.");
  EXPECT_THROW(jobs.regenerate(id, 3, false), lw::InputError);
  // One checkpoint generation is left.
  int checkpoints = 0;
  for (const auto& e : fs::directory_iterator(dir / id)) checkpoints += e.path().extension() == ".sqlite";
  EXPECT_EQ(checkpoints, 1);
}

TEST_F(WriteJobsTest, APlanOnlyJobWritesTheEditedPlan) {
  lw::serve::WriteJobs jobs(backend, options());
  const std::string id = jobs.create(request(/*plan_only=*/true));
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  Json s = jobs.state(id);
  EXPECT_EQ(s["status"], "planned");
  ASSERT_EQ(s["plan"].size(), 3u);
  EXPECT_EQ(backend.asked_for(1), 0);
  std::vector<lw::agentwrite::PlanStep> plan = {{"Point 1", 30, true}, {"A new middle", 55, true}};
  jobs.set_plan(id, plan, /*start=*/true);
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  s = jobs.state(id);
  EXPECT_EQ(s["status"], "done");
  ASSERT_EQ(s["paragraphs"].size(), 2u);
  EXPECT_EQ(s["paragraphs"][1]["main_point"], "A new middle");
  EXPECT_NE(backend.step_lines[2].find("A new middle"), std::string::npos) << backend.step_lines[2];
}

TEST(WriteRoutes, BodiesAreCheckedFieldByField) {
  using lw::serve::parse_job_request;
  EXPECT_THROW(parse_job_request(Json::object()), lw::serve::BadRequest);
  EXPECT_THROW(parse_job_request({{"instruction", "  "}}), lw::serve::BadRequest);
  EXPECT_THROW(parse_job_request({{"instruction", "x"}, {"target_words", -1}}), lw::serve::BadRequest);
  EXPECT_THROW(parse_job_request({{"instruction", "x"}, {"plan", Json::array()}}), lw::serve::BadRequest);
  try {
    parse_job_request({{"instruction", "x"}, {"plan", {{{"main_point", "a"}, {"words", 0}}}}});
    FAIL();
  } catch (const lw::serve::BadRequest& e) {
    EXPECT_NE(std::string(e.what()).find("plan[0].words"), std::string::npos) << e.what();
  }
  auto r = parse_job_request({{"instruction", "Write"},
                              {"target_words", 500},
                              {"plan_only", true},
                              {"plan", {{{"main_point", "a\nb"}, {"words", 200}}}}});
  EXPECT_EQ(r.target_words, 500);
  EXPECT_TRUE(r.plan_only);
  ASSERT_EQ(r.plan.size(), 1u);
  EXPECT_EQ(r.plan[0].main_point, "a b");
}

TEST_F(WriteJobsTest, TheServerServesThePageOpenlyAndTheJobsBehindTheKey) {
  lw::serve::WriteJobs jobs(backend, options());
  lw::serve::ServerOptions so;
  so.port = 0;
  so.write_jobs = &jobs;
  so.ui = true;
  so.access.keys = lw::serve::ApiKeys({"sekrit"});
  lw::serve::HttpServer server(backend, so);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_LT(page->body.size(), 100u * 1024);
  EXPECT_NE(page->body.find("<title>longwriter desk</title>"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("connect-src 'self'"), std::string::npos);
  EXPECT_EQ(page->body, std::string(lw::serve::desk_page()));
  EXPECT_EQ(c.Get("/v1/write")->status, 401);
  httplib::Headers auth = {{"Authorization", "Bearer sekrit"}};
  auto made =
      c.Post("/v1/write", auth, R"({"instruction": "Write 90 words about desks.", "plan_only": true})",
             "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 200) << made->body;
  const std::string id = Json::parse(made->body)["id"];
  EXPECT_EQ(c.Get("/v1/write/wj-unknown", auth)->status, 404);
  EXPECT_EQ(
      c.Post("/v1/write/" + id + "/regenerate", auth, R"({"paragraph": 0})", "application/json")->status,
      400);
  ASSERT_TRUE(jobs.wait_idle(id, 10000));
  auto events = c.Get("/v1/write/" + id + "/events", auth);
  ASSERT_TRUE(events);
  EXPECT_NE(events->body.find("event: state"), std::string::npos);
  EXPECT_NE(events->body.find("event: end"), std::string::npos);
  server.stop();
}

TEST_F(WriteJobsTest, NoPageWithoutTheUi) {
  lw::serve::WriteJobs jobs(backend, options());
  lw::serve::ServerOptions so;
  so.port = 0;
  lw::serve::HttpServer server(backend, so);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  EXPECT_EQ(c.Get("/")->status, 404);
  EXPECT_EQ(c.Get("/v1/write")->status, 404);
  server.stop();
}

}  // namespace

namespace {

// The server's own engine (a tiny random model: it cannot write a plan, so the plan is given).
TEST(WriteJobsLocal, TheEngineWritesAGivenPlanAndStopsWhenCancelled) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("lw_write_jobs_local_{}", ::getpid());
  fs::remove_all(dir);
  auto backend = lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options(2));
  lw::serve::WriteJobsOptions o;
  o.dir = dir;
  o.config.seed = 3;
  {
    lw::serve::WriteJobs jobs(*backend, o);
    lw::serve::JobRequest r;
    r.instruction = "Write about desks.";
    r.plan = {{"Point one", 15, true}, {"Point two", 15, true}};
    const std::string id = jobs.create(r);
    ASSERT_TRUE(jobs.wait_idle(id, 60000));
    Json s = jobs.state(id);
    EXPECT_EQ(s["status"], "done") << s.dump();
    EXPECT_TRUE(s["paragraphs"][0]["done"].get<bool>());
    EXPECT_TRUE(s["paragraphs"][1]["done"].get<bool>());

    r.plan = {{"A long one", 5000, true}, {"Another", 5000, true}, {"A third", 5000, true}};
    const std::string long_id = jobs.create(r);
    int64_t after = 0;
    bool active = true, delta = false;
    while (active && !delta)
      for (const auto& e : jobs.events(long_id, after, 10000, &active)) {
        after = e["seq"].get<int64_t>();
        delta = delta || e["event"] == "delta";
      }
    ASSERT_TRUE(delta);
    jobs.cancel(long_id);
    ASSERT_TRUE(jobs.wait_idle(long_id, 30000));
    s = jobs.state(long_id);
    EXPECT_EQ(s["status"], "cancelled");
    EXPECT_FALSE(s["paragraphs"][2]["done"].get<bool>());
  }
  fs::remove_all(dir);
}

}  // namespace
