#include "datasync/hlc.h"

#include <algorithm>

namespace datasync {

namespace {

// The smallest timestamp greater than `t`. A full logical counter carries
// into the physical part: that millisecond is borrowed from the future and
// repaid as soon as the wall clock passes it.
HlcTimestamp Successor(HlcTimestamp t) { return t + 1; }

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
