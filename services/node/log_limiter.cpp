#include "log_limiter.h"

namespace datasync {

bool LogLimiter::Allow(const std::string& category, uint64_t now_ms,
                       uint64_t* suppressed) {
  *suppressed = 0;
  Window& w = windows_[category];
  if (w.logged == 0 || now_ms >= w.start_ms + window_ms_) {
    *suppressed = w.suppressed;
    w = Window{now_ms, 0, 0};
  }
  if (w.logged >= burst_) {
    ++w.suppressed;
    return false;
  }
  ++w.logged;
  return true;
}

}  // namespace datasync
