#pragma once
// Helpers of the experiments tests: scratch folders removed after a passing run, the CLI as a
// child process, small files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace convlab::test {

namespace fs = std::filesystem;

inline std::string source_dir() { return fs::path(CONVLAB_TESTS_DIR).parent_path().string(); }

/// Removes the folders of fresh_dir when every test passed (kept for inspection otherwise).
class RemoveTestFolders : public ::testing::Environment {
 public:
  static std::vector<fs::path>& folders() {
    static std::vector<fs::path> f;
    return f;
  }
  void TearDown() override {
    if (!::testing::UnitTest::GetInstance()->Passed()) return;
    std::error_code ignored;
    for (const auto& d : folders()) fs::remove_all(d, ignored);
  }
};
[[maybe_unused]] inline const auto* const remove_test_folders = ::testing::AddGlobalTestEnvironment(new RemoveTestFolders);

/// An empty folder of its own under the temporary directory.
inline fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("convlab-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  RemoveTestFolders::folders().push_back(d);
  return d;
}

inline nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

/// `convlab <args>` with environment assignments `env` in front; its exit code.
inline int run_cli(const std::string& args, const std::string& env = "") {
  const int status = std::system((env + " " + CONVLAB_CLI + " " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

}  // namespace convlab::test
