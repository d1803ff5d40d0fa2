// longwriter count-words [FILE|-]: LongBench-Write's word count of a text.
#include <cstdio>
#include <memory>

#include "common/registry.hpp"
#include "io/file.hpp"
#include "text/words.hpp"

namespace {

struct Options {
  std::vector<std::string> files;
};

const bool registered = lw::apps::register_command("count-words", [](CLI::App& root) {
  auto opts = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "count-words",
      "Count words as LongBench-Write does: CJK ideographs (U+4E00..U+9FFF) one each, plus whole\n"
      "ASCII-letter words (\\b[a-zA-Z]+\\b with Unicode word boundaries). Reads FILE, or stdin for -\n"
      "or no file. With several files prints 'COUNT FILE' per file and a total.");
  cmd->add_option("files", opts->files, "Text files to count (default: stdin)");
  lw::apps::set_action(cmd, [opts] {
    if (opts->files.empty()) opts->files.push_back("-");
    int64_t total = 0;
    for (const auto& f : opts->files) {
      std::string text = f == "-" ? lw::io::read_stdin() : lw::io::read_file(f);
      int64_t n = lw::text::count_words(text);
      total += n;
      if (opts->files.size() == 1) {
        std::printf("%lld\n", static_cast<long long>(n));
      } else {
        std::printf("%lld %s\n", static_cast<long long>(n), f.c_str());
      }
    }
    if (opts->files.size() > 1) std::printf("%lld total\n", static_cast<long long>(total));
    return 0;
  });
});

}  // namespace
