// JSON output of every tool: nlohmann::ordered_json (fields keep the order they are added in)
// written in upstream cannon's file layout, so proofs, meta.json and the witness match it byte
// for byte. Escaping (quotes, backslashes, control characters) is the library's.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cannonball {

using Json = nlohmann::ordered_json;

// Two-space indent and a blank line after the closing brace (Go's encoder ends the value with a
// newline and upstream writes one more). Invalid UTF-8 becomes U+FFFD instead of an error.
inline std::string json_file_text(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n\n";
}

}  // namespace cannonball
