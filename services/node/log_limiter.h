// LogLimiter: rate-limits log lines per category, so that a peer sending
// garbage in a tight loop or a disk that keeps failing cannot flood the log
// or slow the event loop down. One thread (the node's loop).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace datasync {

class LogLimiter {
 public:
  // At most `burst` lines per category in each window of `window_ms`.
  explicit LogLimiter(uint64_t burst = 10, uint64_t window_ms = 10000)
      : burst_(burst), window_ms_(window_ms) {}

  // True when a line of `category` may be logged at now_ms. When a new
  // window opens after lines were suppressed, *suppressed says how many.
  bool Allow(const std::string& category, uint64_t now_ms, uint64_t* suppressed);

 private:
  struct Window {
    uint64_t start_ms = 0;
    uint64_t logged = 0;
    uint64_t suppressed = 0;
  };
  uint64_t burst_;
  uint64_t window_ms_;
  std::map<std::string, Window> windows_;
};

}  // namespace datasync
