// A small JSON reader for tests that script against `syncctl --json`.
//
// Parses one JSON document (RFC 8259) into a JsonValue tree. Numbers keep
// their text as well, so 64-bit integers (versions, counters) survive
// exactly. Errors are values, not exceptions. Plain values, any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace datasync::testutil {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_number() const { return type_ == Type::kNumber; }

  // The member `key` of an object; a null value when absent or not an
  // object, so lookups chain: v["counters"]["bad_input"].
  const JsonValue& operator[](std::string_view key) const;
  // Element `i` of an array; a null value when out of range.
  const JsonValue& operator[](size_t i) const;
  bool Has(std::string_view key) const;

  const std::string& str() const { return text_; }  // string, number text
  bool boolean() const { return bool_; }
  // The number as an unsigned / signed integer; nullopt when not an
  // integral number in range.
  std::optional<uint64_t> AsUint() const;
  std::optional<int64_t> AsInt() const;
  // Number of elements (array) or members (object).
  size_t size() const;
  const std::vector<JsonValue>& items() const { return items_; }
  const std::map<std::string, JsonValue, std::less<>>& members() const {
    return members_;
  }

  // Parses `text` (surrounding whitespace allowed). On error returns nullopt
  // and sets *error to what and where.
  static std::optional<JsonValue> Parse(std::string_view text, std::string* error);

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> items_;
  std::map<std::string, JsonValue, std::less<>> members_;
};

}  // namespace datasync::testutil
