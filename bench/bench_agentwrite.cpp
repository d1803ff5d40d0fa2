// AgentWrite scheduler benchmarks against in-process model stand-ins.
//
//   BM_RawCalls              baseline: the same number of backend calls made in a plain loop
//   BM_SchedulerInstant/0|1  1,000 instructions x 10 steps against an instant model, with the
//                            SQLite WAL checkpoint on disk (1) or in memory (0); steps/s
//   BM_Latency50ms           64 instructions x 10 steps, every request 50 ms, 32 in flight; wall
//                            time against the critical-path bound max(11 x 50 ms, requests x 50 ms / 32)
//
// Run: build-NAME/bench_agentwrite --benchmark_min_time=1x  (the counters are the figures to read)
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "agentwrite/pipeline.hpp"
#include "util/log.hpp"

namespace {

namespace aw = lw::agentwrite;

constexpr int kSteps = 10;

class StandIn : public lw::net::ChatBackend {
 public:
  explicit StandIn(double latency_s) : latency_s_(latency_s) {}
  lw::net::ChatResponse complete(const lw::net::ChatRequest& req, const lw::net::DeltaCallback&) override {
    if (latency_s_ > 0) std::this_thread::sleep_for(std::chrono::duration<double>(latency_s_));
    lw::net::ChatResponse r;
    const std::string& p = req.messages.back().content;
    if (p.find("Divide the piece into paragraphs") != std::string::npos) {
      for (int i = 1; i <= kSteps; ++i)
        r.content += fmt::format("Paragraph {} - Main Point: point {} - Word Count: 30 words\n", i, i);
    } else {
      for (int i = 0; i < 30; ++i) r.content += "word ";
    }
    r.finish_reason = "stop";
    return r;
  }
  std::string describe() const override { return "stand-in"; }

 private:
  double latency_s_;
};

std::vector<aw::WorkItem> work(int n) {
  std::vector<aw::WorkItem> v;
  for (int i = 0; i < n; ++i) v.push_back({fmt::format("Write a 300-word piece number {}", i), 0, {}});
  return v;
}

std::string temp_db() {
  auto p = std::filesystem::temp_directory_path() / fmt::format("lw_bench_agentwrite_{}.sqlite", ::getpid());
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + s);
  return p.string();
}

void BM_RawCalls(benchmark::State& state) {
  StandIn b(0);
  lw::net::ChatRequest plan, para;
  plan.messages.push_back({"user", "Divide the piece into paragraphs"});
  para.messages.push_back({"user", "write"});
  int64_t calls = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      benchmark::DoNotOptimize(b.complete(plan, {}));
      for (int k = 0; k < kSteps; ++k) benchmark::DoNotOptimize(b.complete(para, {}));
      calls += 1 + kSteps;
    }
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawCalls)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SchedulerInstant(benchmark::State& state) {
  lw::log::set_level(lw::log::Level::warn);
  StandIn b(0);
  aw::PipelineConfig cfg;
  cfg.concurrency = 8;
  auto items = work(1000);
  int64_t steps = 0;
  for (auto _ : state) {
    std::string path = state.range(0) ? temp_db() : ":memory:";
    aw::Store store(path);
    auto res = aw::run_pipeline(b, store, items, cfg);
    for (const auto& r : res)
      if (r.status != aw::ItemStatus::done) state.SkipWithError("an instruction did not finish");
    steps += static_cast<int64_t>(items.size()) * (1 + kSteps);
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerInstant)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

void BM_Latency50ms(benchmark::State& state) {
  lw::log::set_level(lw::log::Level::warn);
  constexpr double kLatency = 0.05;
  constexpr int kItems = 64, kConcurrency = 32;
  StandIn b(kLatency);
  aw::PipelineConfig cfg;
  cfg.concurrency = kConcurrency;
  auto items = work(kItems);
  double wall = 0;
  for (auto _ : state) {
    aw::Store store(":memory:");
    auto t0 = std::chrono::steady_clock::now();
    aw::run_pipeline(b, store, items, cfg);
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  double requests = kItems * (1.0 + kSteps);
  double bound = std::max((1 + kSteps) * kLatency, requests * kLatency / kConcurrency);
  state.counters["wall_s"] = wall;
  state.counters["bound_s"] = bound;
  state.counters["wall/bound"] = wall / bound;
}
BENCHMARK(BM_Latency50ms)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
