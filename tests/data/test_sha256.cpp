// SHA-256 of the pack manifest's source files: known vectors and chunked updates.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "data/sha256.hpp"

using namespace lw::data;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Chunked updates agree with one-shot hashing across block boundaries.
  Sha256 s;
  for (size_t i = 0; i < million.size(); i += 7) s.update(million.data() + i, std::min<size_t>(7, million.size() - i));
  EXPECT_EQ(s.hex(), sha256_hex(million));
}
