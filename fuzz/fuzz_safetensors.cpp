// safetensors files and the config.json beside them. The first byte picks which: even, the rest
// is a .safetensors file; odd, a config.json.
#include "engine/config.hpp"
#include "fuzz_util.hpp"
#include "io/json_read.hpp"
#include "io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lw;
  if (size < 1) return 0;
  const std::string_view body = fuzz::as_text(data + 1, size - 1);
  fuzz::expect_input_errors([&] {
    if (data[0] % 2 == 0) {
      io::SafetensorsReader r(fuzz::write_scratch("model.safetensors", body));
      size_t sum = 0;
      for (const auto& name : r.names()) {
        const auto& t = r.get(name);
        const auto* bytes = static_cast<const unsigned char*>(t.data);
        for (size_t i = 0; i < t.nbytes; i += 4096) sum += bytes[i];  // the ranges must be readable
        if (t.nbytes) sum += bytes[t.nbytes - 1];
      }
      (void)sum;
    } else {
      const auto j = io::parse_json(body, "config.json");
      io::with_json_errors("config.json", [&] { return engine::config_from_hf_json(j, "config.json"); });
    }
  });
  return 0;
}
