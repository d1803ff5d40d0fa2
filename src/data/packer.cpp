#include "data/packer.hpp"

#include <unistd.h>

#include <fstream>
#include <memory>
#include <set>

#include "data/sha256.hpp"
#include "data/spool.hpp"
#include "io/atomic_dir.hpp"
#include "io/file.hpp"
#include "io/write_guard.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/progress.hpp"

namespace lw::data {

namespace fs = std::filesystem;

namespace {

struct Batch {
  std::vector<std::string> lines;
  std::vector<std::string> where;  // "file:line"
  std::vector<Sequence> out;
  std::vector<std::string> errors;
  size_t bytes = 0;
};

void process_batch(Batch& b, const tok::ChatFormat& format, const PackOptions& opts) {
  const auto n = static_cast<int64_t>(b.lines.size());
  b.out.assign(b.lines.size(), Sequence{});
  b.errors.assign(b.lines.size(), std::string());
#pragma omp parallel for num_threads(opts.threads) schedule(dynamic, 4)
  for (int64_t i = 0; i < n; ++i) {
    try {
      nlohmann::json rec;
      try {
        rec = nlohmann::json::parse(b.lines[i]);
      } catch (const nlohmann::json::exception& e) {
        fail_input("{}: invalid JSON: {}", b.where[i], e.what());
      }
      b.out[i] = make_sequence(parse_messages(rec, b.where[i]), format, opts.max_len, opts.overflow);
    } catch (const std::exception& e) {
      b.errors[i] = e.what();
    }
  }
}

PackTokenizerInfo tokenizer_info(const tok::Tokenizer& t) {
  PackTokenizerInfo info;
  info.fingerprint = t.fingerprint();
  info.kind = t.kind();
  info.vocab_size = t.vocab_size();
  info.bos_id = t.bos_id();
  info.eos_id = t.eos_id();
  info.pad_id = t.pad_id() >= 0 ? t.pad_id() : t.eos_id() >= 0 ? t.eos_id() : 0;
  return info;
}

// The names a pack directory holds: anything else in --out is not ours to replace.
bool pack_file_name(const std::string& n) {
  static const std::set<std::string> fixed = {"manifest.json", "inputs_pack.npy", "labels_pack.npy",
                                              "weights_pack.npy", "attention_masks_pack.json"};
  return fixed.count(n) || (n.rfind("shard-", 0) == 0 && n.size() > 4 && n.substr(n.size() - 4) == ".bin");
}

}  // namespace

PackManifest pack_files(const PackOptions& opts, const tok::Tokenizer& tokenizer, const tok::ChatFormat& format) {
  if (opts.inputs.empty()) fail_input("pack: no input files (--in)");
  if (opts.max_len < 2 || opts.max_len > (int64_t(1) << 30))
    fail_input("pack: --max-len {} is out of range [2, 2^30]", opts.max_len);
  LW_CHECK(opts.threads >= 1 && opts.batch_records >= 1, "bad pack options");

  PackManifest m;
  m.max_len = opts.max_len;
  m.chat_format = format.name();
  m.strategy = strategy_name(opts.strategy);
  m.weighting = weighting_name(opts.weighting);
  m.overflow = overflow_name(opts.overflow);
  m.seed = opts.seed;
  m.tokenizer = tokenizer_info(tokenizer);
  for (const auto& p : opts.inputs) {
    if (!fs::is_regular_file(p)) fail_input("{}: no such input file", p.string());
    m.sources.push_back({p.string(), static_cast<int64_t>(fs::file_size(p)), sha256_file(p)});
  }

  io::check_replaceable(opts.out, pack_file_name, "--out");
  // The new pack is written beside the old one and swapped in whole (docs/packing.md): a failure
  // at any byte leaves the old pack complete. Stale staging directories of killed runs are swept.
  io::AtomicDir out(opts.out);
  if (fs::is_directory(opts.out)) io::sweep_stale_temp_files(opts.out);  // spools of older versions
  auto spool_holder = std::make_unique<SequenceSpool>(io::temp_path_for(out.path() / ".spool"));
  SequenceSpool& spool = *spool_holder;

  // ---- tokenize (streaming, batches processed in parallel, results kept in input order)
  int64_t total_bytes = 0;
  for (const auto& s : m.sources) total_bytes += s.bytes;
  {
    std::unique_ptr<Progress> prog;
    if (opts.progress) prog = std::make_unique<Progress>("tokenize", total_bytes, "bytes");
    Batch batch;
    auto run = [&] {
      if (batch.lines.empty()) return;
      process_batch(batch, format, opts);
      for (size_t i = 0; i < batch.lines.size(); ++i) {
        if (!batch.errors[i].empty()) throw InputError(batch.errors[i]);
        Sequence& s = batch.out[i];
        m.conversations += 1;
        if (!s.skip_reason.empty()) {
          m.skipped[s.skip_reason] += 1;
          continue;
        }
        m.truncated += s.truncated ? 1 : 0;
        spool.append(s.ids, s.labels, s.n_labelled);
      }
      if (prog) prog->add(static_cast<int64_t>(batch.bytes));
      batch = Batch{};
    };
    for (const auto& p : opts.inputs) {
      std::ifstream in(p, std::ios::binary);
      if (!in) fail_input("{}: cannot open file", p.string());
      std::string line;
      int64_t lineno = 0;
      while (std::getline(in, line)) {
        ++lineno;
        batch.bytes += line.size() + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        batch.lines.push_back(std::move(line));
        batch.where.push_back(fmt::format("{}:{}", p.string(), lineno));
        if (static_cast<int64_t>(batch.lines.size()) >= opts.batch_records) run();
      }
      run();
    }
    if (prog) prog->finish();
  }
  spool.seal();
  log::info("pack: {} conversations, {} sequences kept, {} skipped", m.conversations, spool.size(),
            m.conversations - static_cast<int64_t>(spool.size()));

  // ---- plan
  std::vector<uint32_t> lengths = spool.lengths();
  Bins bins = plan(opts.strategy, lengths, opts.max_len, opts.seed);
  // Shards take 9 bytes per token position (ids, weights, labels), the reference files 20 more.
  const uint64_t positions = static_cast<uint64_t>(bins.size()) * static_cast<uint64_t>(opts.max_len);
  io::check_free_space(out.target().parent_path(), positions * (opts.write_reference ? 29 : 9),
                       "pack --out " + opts.out.string());

  // ---- write
  const uint32_t pad = static_cast<uint32_t>(m.tokenizer.pad_id);
  PackWriter writer(out.path(), m, opts.rows_per_shard);
  std::unique_ptr<ReferenceWriter> ref;
  if (opts.write_reference) ref = std::make_unique<ReferenceWriter>(out.path(), opts.max_len);
  {
    std::unique_ptr<Progress> prog;
    if (opts.progress) prog = std::make_unique<Progress>("pack", static_cast<int64_t>(bins.size()), "rows");
    std::vector<std::vector<uint32_t>> ids;
    std::vector<std::vector<uint8_t>> labels;
    std::vector<SeqView> views;
    PackRow row;
    for (const auto& bin : bins) {
      ids.resize(bin.size());
      labels.resize(bin.size());
      views.clear();
      for (size_t k = 0; k < bin.size(); ++k) {
        spool.read(bin[k], ids[k], labels[k]);
        views.push_back({ids[k], labels[k]});
      }
      build_row(views, opts.max_len, pad, opts.weighting, row);
      writer.add_row(row.view());
      if (ref) ref->add_row(row.view());
      if (prog) prog->add(1);
    }
    if (prog) prog->finish();
  }
  if (ref) ref->commit();
  spool_holder.reset();  // not part of the pack
  PackManifest done = writer.finish();
  out.commit();
  return done;
}

}  // namespace lw::data
