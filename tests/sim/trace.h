// Trace: the human-readable event log of a simulation run (--trace).
//
// Off by default; callers test enabled() before building a line, so a
// silent run pays nothing for it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "datasync/messages.h"
#include "datasync/record.h"
#include "datasync/version_vector.h"

namespace datasync::sim {

class Tracer {
 public:
  explicit Tracer(std::FILE* out = nullptr) : out_(out) {}
  bool enabled() const { return out_ != nullptr; }
  void Log(uint64_t now_ms, const std::string& line) const;

 private:
  std::FILE* out_;
};

// "12.3@r1": physical ms relative to the simulation epoch, logical, origin.
std::string FormatVersion(const Version& v);
// A bare timestamp, same format without the origin.
std::string FormatHlc(HlcTimestamp t);
std::string FormatVv(const VersionVector& vv);
std::string FormatRecord(const Record& r);
// One line per message: type and the fields that matter for debugging.
std::string DescribeMessage(const Message& m);

// Simulated wall clocks start here, so HLC values look like real ones.
constexpr uint64_t kEpochMs = 1'700'000'000'000ULL;

}  // namespace datasync::sim
