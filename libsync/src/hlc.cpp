#include "datasync/hlc.h"

#include <algorithm>
#include <limits>

namespace datasync {

namespace {

// The smallest timestamp greater than `t`. A full logical counter carries
// into the physical part: that millisecond is borrowed from the future and
// repaid as soon as the wall clock passes it. The largest timestamp is its
// own successor: wrapping to 0 would send the clock back to the wall clock,
// below a timestamp already seen. Only a peer sending an absurd timestamp
// (reported by Update) gets the clock there.
HlcTimestamp Successor(HlcTimestamp t) {
  return t == std::numeric_limits<HlcTimestamp>::max() ? t : t + 1;
}

}  // namespace

HlcTimestamp Hlc::Now(uint64_t wall_ms) {
  const HlcTimestamp wall = MakeHlc(std::min(wall_ms, kHlcMaxPhysicalMs), 0);
  last_ = std::max(wall, Successor(last_));
  return last_;
}

bool Hlc::Update(HlcTimestamp remote, uint64_t wall_ms) {
  last_ = std::max(last_, remote);
  return HlcPhysicalMs(remote) <= wall_ms + max_offset_ms_;
}

}  // namespace datasync
