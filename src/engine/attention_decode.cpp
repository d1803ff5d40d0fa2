// Decode attention: the decode_group kernel of the level's kernel table (kernels/table.hpp).
#include "engine/attention_decode.hpp"

#include "kernels/table.hpp"
#include "util/error.hpp"

namespace lw::engine {

bool decode_attention_supported(int hd) {
  return kernels::kernels().decode_group && (hd == 32 || hd == 64 || hd == 128);
}

void attend_decode_group(const float* q, const void* k, const void* v, DType kv_dtype, int64_t kv_stride,
                         int hd, int group, float scale, int Tk, float* out, float* lse, float* scores) {
  LW_CHECK(Tk > 0 && group > 0, "decode attention: Tk {} group {}", Tk, group);
  kernels::kernels().decode_group(q, k, v, kv_dtype, kv_stride, hd, group, scale, Tk, out, lse, scores);
}

}  // namespace lw::engine
