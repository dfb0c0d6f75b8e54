// The `target:` of a redis connector: redis://host:port[/db] or host:port.
// Header-only: the config reader checks targets with it too.
#pragma once

#include <cstdint>
#include <string>

namespace datasync::redis_connector {

struct RedisTarget {
  std::string host;
  int port = 6379;
  int db = 0;
};

// False, with *error, when `text` is not of that form (port 1..65535,
// db 0..9999).
inline bool ParseRedisTarget(const std::string& text, RedisTarget* out, std::string* error) {
  std::string rest = text;
  if (rest.rfind("redis://", 0) == 0) rest = rest.substr(8);
  auto number = [](const std::string& digits, int max, int* value) {
    if (digits.empty() || digits.size() > 5) return false;
    int v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    *value = v;
    return v <= max;
  };
  RedisTarget t;
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    if (!number(rest.substr(slash + 1), 9999, &t.db)) {
      *error = "expected a database number 0..9999 after '/', in " + text;
      return false;
    }
    rest.resize(slash);
  }
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    *error = "expected redis://host:port[/db] or host:port, got " + text;
    return false;
  }
  if (!number(rest.substr(colon + 1), 65535, &t.port) || t.port == 0) {
    *error = "expected a port 1..65535, in " + text;
    return false;
  }
  t.host = rest.substr(0, colon);
  *out = t;
  return true;
}

}  // namespace datasync::redis_connector
