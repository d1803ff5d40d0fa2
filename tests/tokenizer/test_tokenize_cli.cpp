// `longwriter tokenize` end to end.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_helpers.hpp"
#include "support/shared_data.hpp"

namespace {

std::string cl100k() { return lw::testing::data_file("vocab/cl100k_base.tiktoken"); }

bool have_binary() { return std::filesystem::exists(lw::testing::longwriter_bin()); }

TEST(TokenizeCli, EncodesAndDecodes) {
  ASSERT_TRUE(have_binary()) << "longwriter not built";
  auto r = lw::testing::run_longwriter("tokenize --tokenizer " + cl100k(), "hello world");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "15339 1917\n");
  r = lw::testing::run_longwriter("tokenize --tokenizer " + cl100k() + " --decode", "15339 1917\n");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "hello world");
}

TEST(TokenizeCli, SpecialTokensNeedTheFlag) {
  ASSERT_TRUE(have_binary()) << "longwriter not built";
  auto r = lw::testing::run_longwriter("tokenize --special --tokenizer " + cl100k(), "<|endoftext|>");
  EXPECT_EQ(r.out, "100257\n");
  r = lw::testing::run_longwriter("tokenize --tokenizer " + cl100k(), "<|endoftext|>");
  EXPECT_NE(r.out, "100257\n");
}

TEST(TokenizeCli, BadInputExitsWithTwo) {
  ASSERT_TRUE(have_binary()) << "longwriter not built";
  auto r = lw::testing::run_longwriter("tokenize --tokenizer " + cl100k() + " --decode", "12 abc");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("abc"), std::string::npos);
  r = lw::testing::run_longwriter("tokenize --tokenizer /nonexistent/tok.json", "x");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  r = lw::testing::run_longwriter("tokenize --tokenizer " + cl100k() + " --decode", "999999999");
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

TEST(TokenizeCli, InfoShowsSpecials) {
  ASSERT_TRUE(have_binary()) << "longwriter not built";
  auto r = lw::testing::run_longwriter("tokenize --info --tokenizer " + cl100k());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("vocab_size: 100277"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eos: 100257"), std::string::npos) << r.out;
}

}  // namespace
