// Every JSONL record type read from the user's files, each by the reader that owns it:
// LongBench prompts (bench predict), predictions (bench judge / score / ruler), judgements
// (bench score --judge), write.jsonl (agentwrite export), chat records (pack), DPO pairs, and the
// output files a resumed run reads back.
#include "agentwrite/export.hpp"
#include "eval/judge.hpp"
#include "eval/predict.hpp"
#include "eval/resume.hpp"
#include "eval/ruler.hpp"
#include "eval/scoring.hpp"
#include "data/conversation.hpp"
#include "fuzz_util.hpp"
#include "io/jsonl.hpp"
#include "train/dpo.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lw;
  const auto path = fuzz::write_scratch("in.jsonl", fuzz::as_text(data, size));
  fuzz::expect_input_errors([&] { (void)eval::load_prompts(path); });
  fuzz::expect_input_errors([&] { (void)eval::load_predictions(path); });
  fuzz::expect_input_errors([&] { (void)eval::read_existing_output(path); });
  fuzz::expect_input_errors([&] {
    auto recs = io::read_jsonl(path);
    fuzz::expect_input_errors([&] { (void)eval::compute_scores(recs, &recs, nullptr); });
    fuzz::expect_input_errors([&] { (void)eval::compute_scores(recs, nullptr, &recs); });
    fuzz::expect_input_errors([&] { (void)eval::analyze_ruler(recs); });
    for (const auto& r : recs) fuzz::expect_input_errors([&] { (void)data::parse_messages(r.value, r.where()); });
  });
  fuzz::expect_input_errors([&] {
    (void)agentwrite::export_sft(path.string(), (fuzz::scratch_dir() / "sft.jsonl").string(), {},
                                 (fuzz::scratch_dir() / "none.rejects.jsonl").string());
  });
  fuzz::expect_input_errors([&] { (void)train::load_dpo_pairs(path, nullptr, nullptr); });
  return 0;
}
