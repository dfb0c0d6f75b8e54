#include "connectors/webhook/webhook_json.h"

#include <xxhash.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace datasync::webhook_connector {
namespace {

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool IsUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Keys and values that are not UTF-8 travel base64 (Bytes below); a name
// that is not would get U+FFFD rather than make the whole body invalid.
std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Base64(const std::string& s) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(s[i]) << 16) |
                       (static_cast<unsigned char>(s[i + 1]) << 8) |
                       static_cast<unsigned char>(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(v >> k) & 63];
  }
  if (i + 1 == s.size()) {
    const uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    const uint32_t v = (static_cast<unsigned char>(s[i]) << 16) |
                       (static_cast<unsigned char>(s[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// "name": "text", or "name_base64": "..." for bytes that are not UTF-8.
std::string Bytes(const std::string& name, const std::string& bytes) {
  if (IsUtf8(bytes)) return Quoted(name) + ":" + Quoted(bytes);
  return Quoted(name + "_base64") + ":" + Quoted(Base64(bytes));
}

}  // namespace

std::string ChangesJson(const std::string& connector,
                        const std::vector<const Record*>& records) {
  std::string out = "{\"connector\":" + Quoted(connector) + ",\"changes\":[";
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = *records[i];
    out += i ? ",{" : "{";
    out += "\"collection\":" + Quoted(r.collection) + "," + Bytes("key", r.key) + ",";
    out += r.deleted ? "\"value\":null" : Bytes("value", r.value);
    out += std::string(",\"deleted\":") + (r.deleted ? "true" : "false");
    out += ",\"version\":{\"hlc\":" + std::to_string(r.version.hlc) +
           ",\"origin\":" + Quoted(r.version.origin) + "}";
    out += ",\"origin\":" + Quoted(r.version.origin) + ",\"seq\":" + std::to_string(r.seq) + "}";
  }
  return out + "]}";
}

std::string IdempotencyKey(const std::vector<const Record*>& records) {
  std::string ids;
  for (const Record* r : records) ids += r->version.origin + ":" + std::to_string(r->seq) + ",";
  const XXH128_hash_t h = XXH3_128bits(ids.data(), ids.size());
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return text;
}

}  // namespace datasync::webhook_connector
