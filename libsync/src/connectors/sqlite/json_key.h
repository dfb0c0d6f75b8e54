// Composite primary keys as record keys: a JSON array of numbers and
// strings, e.g. ["eu",42] (sqlite_values.h). Written compactly and read
// back strictly.
#pragma once

#include <string>
#include <vector>

namespace datasync::sqlite_connector {

struct KeyPart {
  enum Kind { kNumber, kText } kind;
  std::string text;  // the number's digits, or the string's UTF-8 bytes
};

std::string EncodeJsonKey(const std::vector<KeyPart>& parts);
// False when `key` is not a JSON array of numbers and strings.
bool DecodeJsonKey(const std::string& key, std::vector<KeyPart>* parts);

}  // namespace datasync::sqlite_connector
