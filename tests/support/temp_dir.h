// A folder of its own for one test, removed with everything in it when the
// test ends.
#ifndef SUNWIND_TESTS_SUPPORT_TEMP_DIR_H_
#define SUNWIND_TESTS_SUPPORT_TEMP_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace sunwind::testing {

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("sunwind_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The path of name inside the folder (not created).
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  // Writes bytes as they are to name inside the folder; returns its path.
  std::string Write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path_ / name, std::ios::binary) << bytes;
    return File(name);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SUPPORT_TEMP_DIR_H_
