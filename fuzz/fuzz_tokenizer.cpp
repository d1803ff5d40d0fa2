// Tokenizer files. The first byte picks the format: 0 tokenizer.json (HF), 1 tokenizer.model
// (SentencePiece protobuf), 2 a tiktoken rank file, 3 tokenizer_config.json.
#include "fuzz_util.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

void exercise(const lw::tok::Tokenizer& t) {
  auto ids = t.encode("Hello world, 你好! <|eot_id|>  \n\t 123");
  (void)t.decode(ids);
  auto special = t.encode("<|begin_of_text|>x<|eot_id|>", /*allow_special=*/true);
  (void)t.decode(special);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lw;
  if (size < 1) return 0;
  const std::string_view body = fuzz::as_text(data + 1, size - 1);
  fuzz::expect_input_errors([&] {
    switch (data[0] % 4) {
      case 0: exercise(*tok::load_hf_json_text(body, "tokenizer.json")); break;
      case 1: exercise(*tok::load_sentencepiece_bytes(body, "tokenizer.model")); break;
      case 2: exercise(*tok::load_tiktoken_text(body, "fuzz.tiktoken")); break;
      default: (void)tok::parse_hf_tokenizer_config(body, "tokenizer_config.json"); break;
    }
  });
  return 0;
}
