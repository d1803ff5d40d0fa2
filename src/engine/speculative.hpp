#pragma once
// Speculative decoding: a cheap draft source proposes up to K tokens, the target model checks them
// in one forward pass of K + 1 rows (the last accepted token and the drafts; the matrix-vector
// kernels read each weight once for all rows), the longest acceptable prefix is kept and the KV
// cache is rewound to it (KvCache::set_length). Each verify step emits 1..K+1 tokens.
//
// Draft sources:
//   lookup       n-gram drafts from the sequence itself (prompt + reply): the most recent earlier
//                occurrence of the longest suffix of length ngram_max..ngram_min, and the tokens
//                that followed it. No second model.
//   draft model  a small model with the target's vocabulary (check_draft_vocab), its own KV cache,
//                decoding K tokens ahead; greedy when the target is greedy, else sampled from its
//                own distribution q (temperature, top-k, min-p, top-p of the target's parameters;
//                no penalties).
//
// Acceptance (verify_draft), per drafted token x, with p the target's sampling distribution at
// that position (every stage of the sampler chain, penalties and DRY computed from the accepted
// text up to that position, exactly as the non-speculative sampler would):
//   point-mass drafts (lookup, greedy draft model): draw y ~ p; accept x when y == x, else emit y.
//                That accepts x with probability p(x) and on rejection emits a token of p with x
//                removed and renormalized; greedy (p one-hot) reduces to "x == argmax".
//   sampled drafts (x ~ q): accept with probability min(1, p(x)/q(x)); on rejection draw from the
//                normalized residual max(0, p - q).
// Either way the emitted tokens have the target's distribution, and greedy output is the
// non-speculative output token for token. After K accepted drafts one more token is drawn from
// the last row's p (the bonus token).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/kv_cache.hpp"
#include "engine/model.hpp"
#include "engine/sampler.hpp"

namespace lw::tok {
class Tokenizer;
}

namespace lw::engine {

struct DraftOptions {
  bool lookup = false;                 // n-gram drafts from the sequence's own tokens
  const Model* draft_model = nullptr;  // or a small model with the same vocabulary (not owned)
  int draft_max = 4;                   // K: most tokens drafted per verify step (1..15)
  int draft_min = 1;                   // fewer drafted than this: a plain one-token decode step
  int ngram_max = 3;                   // lookup: longest suffix matched ...
  int ngram_min = 1;                   // ... down to this length
  bool enabled() const { return lookup || draft_model != nullptr; }
};

// Throws InputError for out-of-range values, or both sources at once.
void validate(const DraftOptions& d);

// Counts of one sequence or a whole run.
struct DraftStats {
  int64_t steps = 0;     // verify steps (forward passes that checked at least one draft)
  int64_t drafted = 0;   // tokens proposed and checked
  int64_t accepted = 0;  // ... of which kept
  int64_t rejected() const { return drafted - accepted; }
  double acceptance() const {
    return drafted > 0 ? static_cast<double>(accepted) / static_cast<double>(drafted) : 0.0;
  }
  void add(const DraftStats& o) {
    steps += o.steps;
    drafted += o.drafted;
    accepted += o.accepted;
  }
};

// "speculative: D drafted, A accepted (R rejected), acceptance X %, S verify steps".
std::string draft_summary(const DraftStats& s);

// Up to k tokens that followed the most recent earlier occurrence of ctx's longest suffix of
// length ngram_max..ngram_min (empty when none occurs).
std::vector<int32_t> lookup_draft(std::span<const int32_t> ctx, int k, int ngram_max, int ngram_min = 1);

// The draft source of one sequence.
class Drafter {
 public:
  // target: the target's sampling parameters (greedy or not, and the draft model's q). max_ctx:
  // the most tokens the sequence reaches (the draft model's cache size).
  Drafter(const DraftOptions& o, const SamplingParams& target, int max_ctx);
  // Up to k tokens to follow ctx (prompt + reply so far). A draft model first brings its cache to
  // ctx (keeping the prefix it already holds).
  std::span<const int32_t> propose(std::span<const int32_t> ctx, int k);
  // The distribution (V) drafted token i of the last propose() was drawn from; empty: a point mass.
  std::span<const float> q(int i) const;

 private:
  std::vector<int32_t> propose_model(std::span<const int32_t> ctx, int k);

  DraftOptions o_;
  std::optional<KvCache> cache_;  // the draft model's, one slot
  std::vector<int32_t> cached_;   // the tokens in it
  Workspace ws_;
  std::vector<float> logits_;
  std::optional<Sampler> sampler_;  // the draft model's draws (sampled targets only)
  std::vector<int32_t> drafts_;
  std::vector<std::vector<float>> q_;  // (k, V) for sampled drafts
};

// One drafted token's fate at one position (see the top of the file).
struct Verdict {
  int32_t id;     // the token emitted at this position (x when accepted)
  bool accepted;  // id == x and later drafts may follow
};
// Decides drafted token x from the target's logits row and appends the emitted token to the
// target sampler's history. q: the distribution x was drawn from, empty for a point mass.
// scratch: reused buffer.
Verdict verify_draft(Sampler& target, std::span<const float> row, int32_t x, std::span<const float> q,
                     std::vector<float>& scratch);

// Loads a draft model for `target` (its tokenizer too when the target has one) and checks the
// vocabularies (check_draft_vocab).
std::unique_ptr<Model> load_draft_model(const std::filesystem::path& path, const Model& target,
                                        const tok::Tokenizer* target_tok, const LoadOptions& opts = {});

// Throws InputError naming both files unless the draft model and the target share a vocabulary:
// the same size (model and tokenizer) and, with both tokenizers given, the same token texts.
void check_draft_vocab(const Model& target, const tok::Tokenizer* target_tok, const std::string& target_path,
                       const Model& draft, const tok::Tokenizer* draft_tok, const std::string& draft_path);

}  // namespace lw::engine
