// The one time base of sync-loadgen: microseconds on the steady clock.
// Send times, acknowledgements and change-feed arrivals are all read from
// it, in this process, so their differences need no clock synchronisation.
#pragma once

#include <chrono>
#include <cstdint>

namespace datasync {

using LoadClock = std::chrono::steady_clock;

inline int64_t ToUs(LoadClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch())
      .count();
}

inline int64_t NowUs() { return ToUs(LoadClock::now()); }

}  // namespace datasync
