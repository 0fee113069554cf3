#include <fstream>
#include <iterator>

#include "runtime/host_oracle.h"

namespace cannonball {

std::vector<uint8_t> DirectoryOracle::get_preimage(const Hash32& key) {
  const std::string path = dir_ + "/" + to_hex(key).substr(2);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw OracleError("no pre-image for key " + to_hex(key) + " in " + dir_);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void DirectoryOracle::hint(const std::vector<uint8_t>&) { ++hints_; }

}  // namespace cannonball
