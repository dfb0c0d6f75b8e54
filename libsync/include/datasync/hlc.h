// Hybrid logical clock (ARCHITECTURE §2).
//
// A timestamp packs 48 bits of wall-clock milliseconds over 16 bits of
// logical counter, so plain integer comparison orders timestamps. The clock
// never goes backwards, whatever the wall clock does, and advances past every
// timestamp it receives (causality). The wall clock is passed in by the
// caller, which keeps this type free of I/O and deterministic to test.
// Not thread-safe: owned by one Replica.
#pragma once

#include <cstdint>

namespace datasync {

using HlcTimestamp = uint64_t;

constexpr int kHlcLogicalBits = 16;
constexpr uint64_t kHlcLogicalMask = (uint64_t{1} << kHlcLogicalBits) - 1;
constexpr uint64_t kHlcMaxPhysicalMs = (uint64_t{1} << 48) - 1;

inline uint64_t HlcPhysicalMs(HlcTimestamp t) { return t >> kHlcLogicalBits; }
inline uint64_t HlcLogical(HlcTimestamp t) { return t & kHlcLogicalMask; }
inline HlcTimestamp MakeHlc(uint64_t physical_ms, uint64_t logical) {
  return (physical_ms << kHlcLogicalBits) | (logical & kHlcLogicalMask);
}

class Hlc {
 public:
  // max_offset_ms: a received timestamp further than this ahead of our wall
  // clock is reported by Update() (it is still honoured, see Update).
  explicit Hlc(uint64_t max_offset_ms = 500, HlcTimestamp last = 0)
      : max_offset_ms_(max_offset_ms), last_(last) {}

  // A new timestamp for a local event, strictly greater than every timestamp
  // returned or observed before. When the logical counter would overflow,
  // the physical part is borrowed one millisecond ahead.
  HlcTimestamp Now(uint64_t wall_ms);

  // Observes a received timestamp: afterwards Now() returns something
  // greater. Returns false when `remote` is ahead of wall_ms by more than
  // max_offset_ms: the caller reports it (log + metric). The clock still
  // advances, because refusing would let a later local write lose to a value
  // it was written after (§2: never silently trusted, never silently dropped).
  bool Update(HlcTimestamp remote, uint64_t wall_ms);

  HlcTimestamp last() const { return last_; }
  uint64_t max_offset_ms() const { return max_offset_ms_; }

 private:
  uint64_t max_offset_ms_;
  HlcTimestamp last_;
};

}  // namespace datasync
