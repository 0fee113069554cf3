// Small helpers shared by the runtime tests: hex parsing and a temporary directory.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/word.h"

namespace cannonball::test {

inline std::vector<uint8_t> from_hex(std::string text) {
  if (text.rfind("0x", 0) == 0) text = text.substr(2);
  if (text.size() % 2) throw std::invalid_argument("odd hex length");
  std::vector<uint8_t> out(text.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(std::stoul(text.substr(2 * i, 2), nullptr, 16));
  return out;
}

inline Hash32 hash_from_hex(const std::string& text) {
  const auto bytes = from_hex(text);
  if (bytes.size() != 32) throw std::invalid_argument("not a 32-byte hash");
  Hash32 out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// A fresh directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cannonball-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace cannonball::test
