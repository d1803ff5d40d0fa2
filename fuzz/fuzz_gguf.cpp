// GGUF: the container (header, metadata, tensor directory) and what the engine and the tokenizer
// read from it (model hyperparameters, the vocabulary).
#include "engine/gguf_model.hpp"
#include "fuzz_util.hpp"
#include "io/gguf.hpp"
#include "tokenizer/loaders.hpp"
#include "tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lw;
  fuzz::expect_input_errors([&] {
    auto f = io::GgufFile::from_bytes(std::string(fuzz::as_text(data, size)), "fuzz.gguf");
    fuzz::expect_input_errors([&] { (void)engine::config_from_gguf(f); });
    fuzz::expect_input_errors([&] {
      auto t = tok::load_gguf_vocab(f);
      auto ids = t->encode("Hello world, 你好!");
      (void)t->decode(ids);
    });
  });
  return 0;
}
