// JsonWriter: builds one JSON document (syncctl --json, sync-loadgen reports).
//
// Values from the store are bytes, not text: String() always produces valid
// JSON (invalid UTF-8 is replaced by U+FFFD), and Bytes() writes a field as
// text when it is valid UTF-8 and as base64 under "<name>_base64" when not,
// so scripts get every byte back. Misuse (a value without a key inside an
// object, unbalanced End calls) is a bug in syncctl and aborts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace datasync {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view text);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // "name": "<text>" or "name_base64": "<base64>"; inside an object.
  JsonWriter& Bytes(std::string_view name, std::string_view bytes);

  // The document. REQUIRES: every Begin has been closed.
  const std::string& str() const;

 private:
  enum class Scope { kObject, kArray };
  // Writes the comma before a value or key when one is needed.
  void BeforeValue();
  void Open(Scope scope, char bracket);
  void Close(Scope scope, char bracket);

  std::string out_;
  std::vector<Scope> scopes_;
  bool first_in_scope_ = true;
  bool after_key_ = false;
};

// `text` as a quoted JSON string; invalid UTF-8 becomes U+FFFD.
std::string JsonQuoted(std::string_view text);

// True when `bytes` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view bytes);
// Length of the well-formed UTF-8 sequence starting at bytes[i], or 0 when
// none starts there. REQUIRES: i < bytes.size().
size_t Utf8SequenceLength(std::string_view bytes, size_t i);
// Standard base64 with padding (RFC 4648 §4).
std::string Base64(std::string_view bytes);

}  // namespace datasync
