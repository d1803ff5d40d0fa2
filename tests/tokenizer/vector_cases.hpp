#pragma once
// Reads the shared llama.cpp-format test vectors: NAME.inp holds cases separated by
// "\n__ggml_vocab_test__\n", NAME.out one line of space-separated ids per case.
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "io/file.hpp"
#include "tokenizer/tokenizer.hpp"
#include "support/shared_data.hpp"

namespace lw::testing {

inline std::filesystem::path vocab_dir() { return lw::testing::data_dir() / "vocab"; }

struct VocabCase {
  std::string text;
  std::vector<tok::TokenId> ids;
};

inline std::vector<VocabCase> read_vocab_cases(const std::string& vocab) {
  std::string inp = io::read_file(vocab_dir() / (vocab + ".inp"));
  std::string out = io::read_file(vocab_dir() / (vocab + ".out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  std::istringstream lines(out);
  std::string line;
  for (size_t pos = 0; pos < inp.size();) {
    size_t e = inp.find(sep, pos);
    if (e == std::string::npos) break;
    VocabCase c{inp.substr(pos, e - pos), {}};
    pos = e + sep.size();
    std::getline(lines, line);
    std::istringstream ids(line);
    tok::TokenId id;
    while (ids >> id) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace lw::testing
