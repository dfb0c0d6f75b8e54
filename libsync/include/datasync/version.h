// Version: what makes one write of a key win over another (ARCHITECTURE §2).
//
// A version is (hlc, origin). Versions are totally ordered by hlc, then by
// origin id, which makes last-writer-wins commutative, associative and
// idempotent: replicas converge whatever the delivery order.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "datasync/hlc.h"

namespace datasync {

struct Version {
  HlcTimestamp hlc = 0;
  std::string origin;  // node id of the writer; empty only for "no version"

  bool empty() const { return hlc == 0 && origin.empty(); }
  auto operator<=>(const Version&) const = default;
  bool operator==(const Version&) const = default;
};

// Identifies one write of one origin: its `seq`, 1, 2, 3, ... per origin.
struct OriginSeq {
  std::string origin;
  uint64_t seq = 0;
  auto operator<=>(const OriginSeq&) const = default;
  bool operator==(const OriginSeq&) const = default;
};

}  // namespace datasync
