// The row-interleaved types (quant/repack.hpp): repack then unrepack gives the base bytes back, a
// row read from the repacked layout decodes as the base row, and the repacked types are never
// taken for file types nor decoded as rows.
#include <gtest/gtest.h>

#include <cstring>

#include "quant/repack.hpp"
#include "quant_test_util.hpp"

using namespace lw::quant;
using namespace lw::quant::testing;

TEST(Repack, RoundTripAndRowReads) {
  for (DType t : {DType::q4_k, DType::q6_k, DType::q8_0}) {
    const int64_t rows = 37, cols = 3 * 256;  // two groups and 5 base rows
    auto wf = randn(static_cast<size_t>(rows) * cols, 41, 0.05f);
    const size_t rb = dtype_bytes(t, cols);
    std::vector<char> w(rb * rows), x(w.size()), back(w.size(), 0);
    for (int64_t r = 0; r < rows; ++r) traits(t).from_f32(wf.data() + r * cols, w.data() + r * rb, cols);
    repack_x16(t, w.data(), x.data(), rows, cols);
    EXPECT_NE(std::memcmp(w.data(), x.data(), w.size()), 0) << dtype_name(t);  // the layout changed
    const DType xt = *x16_of(t);
    EXPECT_EQ(x16_base(xt), t);
    EXPECT_TRUE(is_x16(xt));
    EXPECT_EQ(dtype_bytes(xt, cols), rb);  // same bytes per row
    unrepack_x16(xt, x.data(), back.data(), rows, cols);
    EXPECT_EQ(std::memcmp(w.data(), back.data(), w.size()), 0) << dtype_name(t);
    for (int64_t r : {int64_t{0}, int64_t{5}, int64_t{16}, int64_t{31}, int64_t{32}, int64_t{36}}) {
      std::vector<float> got(cols), want(cols);
      x16_row_to_f32(xt, x.data(), rows, cols, r, got.data());
      traits(t).to_f32_ref(w.data() + r * rb, want.data(), cols);
      EXPECT_EQ(std::memcmp(got.data(), want.data(), cols * sizeof(float)), 0)
          << dtype_name(t) << " row " << r;
    }
    // a row decode of the repacked type fails loudly instead of reading interleaved bytes
    std::vector<float> row(cols);
    EXPECT_ANY_THROW(traits(xt).to_f32_ref(x.data(), row.data(), cols));
    EXPECT_FALSE(parse_dtype(dtype_name(xt)).has_value());
    EXPECT_EQ(dtype_from_ggml(traits(xt).ggml_type), std::nullopt);
  }
  EXPECT_FALSE(x16_of(DType::q5_k).has_value());
  std::vector<char> buf(dtype_bytes(DType::q5_k, 256) * 16);
  EXPECT_ANY_THROW(repack_x16(DType::q5_k, buf.data(), buf.data(), 16, 256));  // no layout
}
