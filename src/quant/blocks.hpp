#pragma once
// Block layouts of the GGML quantization formats (the bytes GGUF files hold), as plain structs.
// A row of n elements is n / block consecutive blocks; weights dequantize as noted per type.
// QK = 32-element blocks; QK_K = 256-element super-blocks of 8 x 32 or 16 x 16 sub-blocks.
#include <cstdint>

namespace lw::quant {

constexpr int QK = 32;
constexpr int QK_K = 256;

// x = d * (q - 8), q 4-bit: qs[j] low nibble -> element j, high nibble -> element j + 16.
struct BlockQ4_0 { uint16_t d; uint8_t qs[QK / 2]; };
// x = d * q + m.
struct BlockQ4_1 { uint16_t d, m; uint8_t qs[QK / 2]; };
// x = d * (q - 16), q 5-bit: the fifth bit of element j is bit j of qh (little-endian u32).
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; };
// x = d * q + m.
struct BlockQ5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; };
// x = d * q, q int8.
struct BlockQ8_0 { uint16_t d; int8_t qs[QK]; };
// 16 sub-blocks of 16: x = d * (scales[s] & 15) * q - dmin * (scales[s] >> 4), q 2-bit.
struct BlockQ2_K { uint8_t scales[QK_K / 16]; uint8_t qs[QK_K / 4]; uint16_t d, dmin; };
// 16 sub-blocks of 16: x = d * (sc[s] - 32) * q, q = 2 low bits (qs) | high bit (hmask) - 4,
// sc 6-bit packed in 12 bytes.
struct BlockQ3_K { uint8_t hmask[QK_K / 8]; uint8_t qs[QK_K / 4]; uint8_t scales[12]; uint16_t d; };
// 8 sub-blocks of 32: x = d * sc[s] * q - dmin * m[s], q 4-bit, sc/m 6-bit packed in 12 bytes.
struct BlockQ4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; };
// As Q4_K with a fifth bit per element in qh.
struct BlockQ5_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; };
// 16 sub-blocks of 16: x = d * scales[s] * (q - 32), q 6-bit = 4 low bits (ql) | 2 high (qh).
struct BlockQ6_K { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; };
// x = d * kIq4nl[q], q 4-bit index into the non-linear grid.
struct BlockIQ4_NL { uint16_t d; uint8_t qs[QK / 2]; };
// 8 sub-blocks of 32: x = d * (ls[s] - 32) * kIq4nl[q], ls 6-bit = 4 bits in scales_l, 2 in scales_h.
struct BlockIQ4_XS { uint16_t d; uint16_t scales_h; uint8_t scales_l[QK_K / 64]; uint8_t qs[QK_K / 2]; };

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210 && sizeof(BlockIQ4_NL) == 18 && sizeof(BlockIQ4_XS) == 136);

// The IQ4 non-linear grid.
inline constexpr int8_t kIq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

// Q4_K / Q5_K: the 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes.
inline void k4_scale_min(int j, const uint8_t* q, uint8_t& sc, uint8_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}
// Q3_K: the 16 6-bit scales (0..63, before the -32) from the 12 packed bytes.
void q3k_scales(const uint8_t* packed, int8_t out[16]);

// Repacked (quant/repack.hpp): one super-block of 16 weight rows, the rows' fields side by side so
// that one 64-byte load holds the same 4 consecutive bytes of all 16 rows (u32 lane r = row r).
// Bytes of 16 base blocks, in the same place: a group of 16 rows is 16 base rows long.
//   q4_k: qs[c][r] = bytes 4c..4c+3 of row r's qs (low nibbles: elements 64(c/8) + 4(c%8) + 0..3,
//         high nibbles: the same + 32); scales[j][r] = byte j of row r's 12 packed scale bytes.
struct BlockQ4_Kx16 { uint16_t d[16], dmin[16]; uint8_t scales[12][16]; uint32_t qs[32][16]; };
//   q6_k: ql[c][r], qh[c][r] = bytes 4c..4c+3 of row r's ql / qh; scales[s][r] = row r's scale s.
struct BlockQ6_Kx16 { uint16_t d[16]; int8_t scales[16][16]; uint32_t ql[32][16]; uint32_t qh[16][16]; };
//   q8_0: qs[c][r] = bytes 4c..4c+3 of row r's qs (32-element blocks).
struct BlockQ8_0x16 { uint16_t d[16]; uint32_t qs[8][16]; };
static_assert(sizeof(BlockQ4_Kx16) == 16 * sizeof(BlockQ4_K) && sizeof(BlockQ6_Kx16) == 16 * sizeof(BlockQ6_K));
static_assert(sizeof(BlockQ8_0x16) == 16 * sizeof(BlockQ8_0));

// Internal activation formats of the integer dot products (never stored in files).
// 32-element blocks: x = d * qs, sum = sum of qs.
struct ActQ8_32 { float d; int32_t sum; int8_t qs[QK]; };
// 256-element blocks: x = d * qs, bsums[g] = sum of qs[16g .. 16g+15].
struct ActQ8_256 { float d; int16_t bsums[QK_K / 16]; int8_t qs[QK_K]; };
static_assert(sizeof(ActQ8_32) == 40 && sizeof(ActQ8_256) == 292);

}  // namespace lw::quant
