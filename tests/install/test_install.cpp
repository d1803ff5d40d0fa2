// `cmake --install` into a temporary prefix runs; the Debian package built by CPack depends on
// runtime libraries only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>

#include "cli/cli_helpers.hpp"
#include "support/shared_data.hpp"

namespace fs = std::filesystem;

namespace {

lw::testing::RunResult sh(const std::string& cmd) { return lw::testing::run_shell(cmd + " 2>&1"); }

fs::path fresh_dir(const std::string& tag) {
  const fs::path d = fs::temp_directory_path() / ("lw-" + tag + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string q(const fs::path& p) {  // shell-quoted (GCC 12 warns falsely on "'" + s + "'")
  std::string r(1, '\'');
  r.append(p.string());
  r.push_back('\'');
  return r;
}

}  // namespace

TEST(Install, IntoATemporaryPrefixAndTheInstalledBinaryRuns) {
  const fs::path prefix = fresh_dir("install");
  const auto inst = sh(std::string(LW_CMAKE_COMMAND) + " --install " + q(LW_BINARY_DIR) + " --prefix " + q(prefix));
  ASSERT_EQ(inst.exit_code, 0) << inst.out;
  const fs::path bin = prefix / "bin" / "longwriter";
  ASSERT_TRUE(fs::exists(bin)) << inst.out;
  EXPECT_TRUE(fs::exists(prefix / "share/doc/longwriter/README.md"));
  EXPECT_TRUE(fs::exists(prefix / "share/doc/longwriter/engine.md"));
  if (fs::exists(lw::testing::data_file("longbench/longbench_write.jsonl"))) {
    EXPECT_TRUE(fs::exists(prefix / "share/longwriter/data/longbench/longbench_write.jsonl"));
  }

  // --version names the version and the commit it was built from
  const auto ver = sh(q(bin) + " --version");
  EXPECT_EQ(ver.exit_code, 0);
  EXPECT_TRUE(std::regex_search(ver.out, std::regex(std::string("^longwriter ") + LW_VERSION +
                                                    R"( \(git ([0-9a-f]{12}(-dirty)?|unknown)\))")))
      << ver.out;
  // and it does real work away from the build tree
  const auto words = sh("printf 'one two three 四五' | " + q(bin) + " count-words");
  EXPECT_EQ(words.exit_code, 0) << words.out;
  EXPECT_EQ(words.out, "5\n");
  fs::remove_all(prefix);
}

TEST(Install, DebianPackageDependsOnRuntimeLibrariesOnly) {
  ASSERT_EQ(sh("command -v dpkg-deb && command -v dpkg-shlibdeps").exit_code, 0) << "dpkg-dev (installed by scripts/setup.sh) is missing";
  const fs::path out = fresh_dir("cpack");
  const auto pack = sh("cd " + q(LW_BINARY_DIR) + " && " + LW_CPACK_COMMAND + " -G DEB -B " + q(out));
  ASSERT_EQ(pack.exit_code, 0) << pack.out;
  fs::path deb;
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().extension() == ".deb") deb = e.path();
  ASSERT_FALSE(deb.empty()) << pack.out;

  const auto info = sh("dpkg-deb -I " + q(deb));
  ASSERT_EQ(info.exit_code, 0) << info.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info.out, m, std::regex(R"(\n ?Depends: ([^\n]*))"))) << info.out;
  const std::string deps = m[1];
  for (const char* lib : {"libcurl", "libopenblas", "libsentencepiece", "libsqlite3", "libfmt", "libpcre2"})
    EXPECT_NE(deps.find(lib), std::string::npos) << lib << " missing from: " << deps;
  EXPECT_EQ(deps.find("-dev"), std::string::npos) << deps;
  EXPECT_NE(info.out.find("Package: longwriter"), std::string::npos);

  const auto files = sh("dpkg-deb -c " + q(deb));
  EXPECT_NE(files.out.find("./usr/bin/longwriter"), std::string::npos) << files.out;
  fs::remove_all(out);
}
