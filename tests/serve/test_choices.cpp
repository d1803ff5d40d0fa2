// Several sequences of one prompt (Scheduler::submit_n, OpenAI's n, `generate --n`): the prompt is
// computed once, greedy sequences all equal the single greedy reply, seeded sequence i equals a
// single run with seed + i; over HTTP, n = 3 on /v1/chat/completions and /v1/completions, whole and
// streamed (choices[i].index, each its own finish_reason, usage summing the completion tokens),
// and a clear 400 past the bound; `generate --n` on the command line. (Suites ServeEngine and
// ServeCli: the tests need the shared data, as those suites'.)
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <sstream>

#include "cli/cli_helpers.hpp"
#include "engine/generate.hpp"
#include "serve/http_server.hpp"
#include "serve/scheduler.hpp"
#include "sse_events.hpp"
#include "tiny_model.hpp"

namespace {

using Json = nlohmann::json;
using lw::serve::Scheduler;
using lw::serve::SeqParams;
using lw::serve::SeqStream;

std::string read_all(SeqStream& s) {
  std::string text, piece;
  while (s.next(piece)) text += piece;
  return text;
}

SeqParams greedy(std::vector<int32_t> prompt, int64_t max_new) {
  SeqParams p;
  p.prompt = std::move(prompt);
  p.max_new_tokens = max_new;
  return p;
}

// A sampled distribution with few candidates: the tiny random model's logits are nearly flat over
// 32,000 tokens, where the last bits of a batched row (which differ from a single row's) could
// move a sample; over 8 candidates they cannot.
SeqParams sampled(std::vector<int32_t> prompt, uint64_t seed) {
  SeqParams p = greedy(std::move(prompt), 12);
  p.sampling.temperature = 1.0f;
  p.sampling.top_k = 8;
  p.sampling.seed = seed;
  return p;
}

struct Backend {
  std::unique_ptr<lw::serve::LocalBackend> b =
      lw::serve::open_local_backend(lw::testing::tiny_model_dir(), lw::testing::tiny_options(4));
  Scheduler& sched() { return const_cast<Scheduler&>(b->scheduler()); }
};

}  // namespace

TEST(ServeEngine, ChoicesShareOnePrefillAndGreedyOnesEqualTheSingleReply) {
  Backend be;
  const auto& tok = be.b->tokenizer();
  std::vector<int32_t> prompt = tok.encode("The history of the Roman roads begins");
  prompt.insert(prompt.begin(), 1);
  const auto P = static_cast<int64_t>(prompt.size());
  auto outs = be.sched().submit_n(greedy(prompt, 10), 3);
  ASSERT_EQ(outs.size(), 3u);
  std::vector<std::string> texts;
  for (auto& o : outs) texts.push_back(read_all(*o));
  const auto st = be.sched().stats();
  EXPECT_EQ(st.prompt_tokens, P);  // computed once
  EXPECT_EQ(st.prompt_tokens_total, 3 * P);
  EXPECT_EQ(st.prompt_tokens_cached, 2 * P);  // the other two copied it
  EXPECT_EQ(st.max_decode_seqs, 3);           // decoded together
  EXPECT_EQ(outs[1]->cached_tokens(), P);
  lw::engine::GenerateOptions go;
  go.max_new_tokens = 10;
  const auto ref = lw::engine::generate(be.b->model(), &tok, prompt, go);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(texts[i], ref.text) << i;
    EXPECT_EQ(outs[i]->completion_tokens(), 10);
    EXPECT_EQ(outs[i]->finish_reason(), "length");
  }
}

TEST(ServeEngine, SeededChoiceIEqualsASingleRunWithSeedPlusI) {
  Backend be;
  std::vector<int32_t> prompt = {1, 450, 3303, 310, 278, 5917, 25320};
  auto outs = be.sched().submit_n(sampled(prompt, 41), 3);
  std::vector<std::string> texts;
  for (auto& o : outs) texts.push_back(read_all(*o));
  EXPECT_NE(texts[0], texts[1]);
  EXPECT_NE(texts[1], texts[2]);
  for (uint64_t i = 0; i < 3; ++i) {
    auto one = be.sched().submit(sampled(prompt, 41 + i));
    EXPECT_EQ(read_all(*one), texts[i]) << i;
  }
}

TEST(ServeEngine, MoreChoicesThanSlotsRunInGroupsThatReuseThePrompt) {
  Backend be;  // 4 slots
  std::vector<int32_t> prompt = {1, 450, 3303, 310, 278, 5917, 25320, 338, 263};
  const auto P = static_cast<int64_t>(prompt.size());
  const SeqParams p = greedy(prompt, 6);
  auto outs = be.sched().submit_n(p, 6);
  ASSERT_EQ(outs.size(), 6u);
  const std::string first = read_all(*outs[0]);
  for (size_t i = 1; i < 6; ++i) EXPECT_EQ(read_all(*outs[i]), first) << i;
  // The second group's prefill found the prompt in a slot: only its last token is recomputed.
  EXPECT_EQ(be.sched().stats().prompt_tokens, P + 1);
  EXPECT_THROW(be.sched().submit_n(p, 0), lw::InputError);
}

namespace {

struct Served {
  Backend be;
  std::unique_ptr<lw::serve::HttpServer> server;
  Served() {
    lw::serve::ServerOptions o;
    o.port = 0;
    o.model_name = be.b->name();
    server = std::make_unique<lw::serve::HttpServer>(*be.b, o);
    server->start();
  }
  httplib::Result post(const std::string& path, const Json& body) {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(60, 0);
    return c.Post(path, body.dump(), "application/json");
  }
};

// The text of each choice index in a stream, its finish reasons and the usage chunk.
struct Streamed {
  std::map<int, std::string> text;
  std::map<int, std::vector<std::string>> finish;
  std::map<int, int> roles;
  Json usage;
};

Streamed collect(const std::string& body, bool plain) {
  Streamed s;
  for (const Json& e : lw::testing::sse_events(body)) {
    if (e.contains("usage") && e["choices"].empty()) {
      s.usage = e["usage"];
      continue;
    }
    EXPECT_EQ(e["choices"].size(), 1u);
    const Json& c = e["choices"][0];
    const int i = c["index"].get<int>();
    if (plain) {
      s.text[i] += c["text"].get<std::string>();
    } else {
      if (c["delta"].contains("role")) ++s.roles[i];
      if (c["delta"].contains("content")) s.text[i] += c["delta"]["content"].get<std::string>();
    }
    if (!c["finish_reason"].is_null()) s.finish[i].push_back(c["finish_reason"].get<std::string>());
  }
  return s;
}

}  // namespace

TEST(ServeEngine, AnswersNThreeWholeAndStreamedOnBothRoutes) {
  Served s;
  const Json chat = {{"messages", {{{"role", "user"}, {"content", "Write about roads"}}}},
                     {"max_tokens", 8},
                     {"temperature", 1.0},
                     {"top_k", 8},
                     {"seed", 7},
                     {"n", 3}};
  auto whole = s.post("/v1/chat/completions", chat);
  ASSERT_TRUE(whole && whole->status == 200) << (whole ? whole->body : "no reply");
  const Json w = Json::parse(whole->body);
  ASSERT_EQ(w["choices"].size(), 3u);
  int64_t completion = 0;
  std::vector<std::string> texts;
  for (int i = 0; i < 3; ++i) {
    const Json& c = w["choices"][static_cast<size_t>(i)];
    EXPECT_EQ(c["index"], i);
    EXPECT_EQ(c["finish_reason"], "length");
    texts.push_back(c["message"]["content"].get<std::string>());
    completion += 8;
  }
  EXPECT_NE(texts[0], texts[1]);
  EXPECT_EQ(w["usage"]["completion_tokens"], completion);
  const int64_t P = w["usage"]["prompt_tokens"].get<int64_t>();
  EXPECT_EQ(w["usage"]["total_tokens"], P + completion);
  // Choice i is the n = 1 reply with seed 7 + i.
  Json one = chat;
  one.erase("n");
  one["seed"] = 8;
  auto single = s.post("/v1/chat/completions", one);
  ASSERT_TRUE(single && single->status == 200);
  EXPECT_EQ(Json::parse(single->body)["choices"][0]["message"]["content"], texts[1]);

  // Streamed: an opening chunk per choice, the same texts, one finish chunk each, summed usage.
  Json st = chat;
  st["stream"] = true;
  st["stream_options"] = {{"include_usage", true}};
  auto streamed = s.post("/v1/chat/completions", st);
  ASSERT_TRUE(streamed && streamed->status == 200);
  const Streamed got = collect(streamed->body, false);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got.roles.at(i), 1) << i;
    EXPECT_EQ(got.text.at(i), texts[static_cast<size_t>(i)]) << i;
    EXPECT_EQ(got.finish.at(i), std::vector<std::string>{"length"}) << i;
  }
  EXPECT_EQ(got.usage["completion_tokens"], completion);

  // /v1/completions, both ways.
  const Json plain = {{"prompt", "Once upon a time"}, {"max_tokens", 5}, {"temperature", 0}, {"n", 3}};
  auto pw = s.post("/v1/completions", plain);
  ASSERT_TRUE(pw && pw->status == 200) << (pw ? pw->body : "no reply");
  const Json pj = Json::parse(pw->body);
  ASSERT_EQ(pj["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pj["choices"][static_cast<size_t>(i)]["index"], i);
    EXPECT_EQ(pj["choices"][static_cast<size_t>(i)]["text"], pj["choices"][0]["text"]);  // greedy
  }
  EXPECT_EQ(pj["usage"]["completion_tokens"], 15);
  Json ps = plain;
  ps["stream"] = true;
  auto pstream = s.post("/v1/completions", ps);
  ASSERT_TRUE(pstream && pstream->status == 200);
  const Streamed pg = collect(pstream->body, true);
  ASSERT_EQ(pg.text.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pg.text.at(i), pj["choices"][0]["text"]) << i;
    EXPECT_EQ(pg.finish.at(i).size(), 1u) << i;
  }

  // Past 4 x the parallel sequences: 400 naming the field.
  Json big = plain;
  big["n"] = 17;
  auto refused = s.post("/v1/completions", big);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(refused->body.find("\\\"n\\\": at most 16"), std::string::npos) << refused->body;
}

TEST(ServeCli, GenerateNPrintsEachSequenceAndPrefillsOnce) {
  const std::string model = lw::testing::tiny_gpt2_model_dir().string();
  const std::string base =
      lw::testing::longwriter_bin() + " --log-level error generate --model '" + model +
      "' --prompt-ids '50256 464 2106 286 262 7993 9725' --max-new-tokens 10 --threads 1 --json";
  auto lines = [](const std::string& out) {
    std::vector<Json> v;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
      if (!l.empty() && l[0] == '{') v.push_back(Json::parse(l));
    return v;
  };
  const std::string sampling = " --temperature 1 --top-k 8 --seed 5";
  auto many = lw::testing::run_shell(base + sampling + " --n 3 2>&1");
  ASSERT_EQ(many.exit_code, 0) << many.out;
  EXPECT_NE(many.out.find("prompt 7 tokens, prefilled once for 3 sequences (7 prompt tokens computed)"),
            std::string::npos)
      << many.out;
  EXPECT_NE(many.out.find("decode "), std::string::npos);
  const auto seqs = lines(many.out);
  ASSERT_EQ(seqs.size(), 3u) << many.out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(seqs[static_cast<size_t>(i)]["index"], i);
    EXPECT_EQ(seqs[static_cast<size_t>(i)]["seed"], 5 + i);
    auto one = lw::testing::run_shell(base + " --temperature 1 --top-k 8 --seed " + std::to_string(5 + i) +
                                      " 2>/dev/null");
    ASSERT_EQ(one.exit_code, 0) << one.out;
    const auto single = lines(one.out);
    ASSERT_EQ(single.size(), 1u) << one.out;
    EXPECT_EQ(single[0]["text"], seqs[static_cast<size_t>(i)]["text"]) << i;
  }
  EXPECT_NE(seqs[0]["text"], seqs[1]["text"]);
  // Greedy: every sequence is the single greedy run; the text form labels each one.
  auto greedy = lw::testing::run_shell(base + " 2>/dev/null");
  auto greedy_n = lw::testing::run_shell(base + " --n 4 2>/dev/null");
  ASSERT_EQ(greedy_n.exit_code, 0) << greedy_n.out;
  const auto g1 = lines(greedy.out), gn = lines(greedy_n.out);
  ASSERT_EQ(g1.size(), 1u);
  ASSERT_EQ(gn.size(), 4u);
  for (const auto& s : gn) EXPECT_EQ(s["text"], g1[0]["text"]);
  std::string text_base = base.substr(0, base.size() - std::string(" --json").size());
  auto labelled = lw::testing::run_shell(text_base + " --n 2 2>/dev/null");
  EXPECT_NE(labelled.out.find("--- sequence 2 of 2 (seed 1, 10 tokens, length) ---"), std::string::npos)
      << labelled.out;
}
