// --check-acked: the proof that no acknowledged write was lost. Workers
// remember the highest version acknowledged for each key they put; after
// the run every node is asked for every such key, and a key it lacks, or
// holds at a lower version, is a lost write. Writes that were never
// acknowledged (refused, timed out, in flight at a crash) promise nothing
// and are not checked: they may or may not be there.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "datasync/version.h"

namespace datasync {

// Key index -> the highest version acknowledged for it. One per worker
// thread, merged after they end.
using AckedVersions = std::unordered_map<uint64_t, Version>;

void NoteAcked(AckedVersions* acked, uint64_t key, const Version& version);
void MergeAcked(AckedVersions* into, const AckedVersions& from);

struct AckedCheckResult {
  bool ran = false;
  uint64_t keys = 0;                // acknowledged keys checked at each node
  std::vector<uint64_t> lost;       // per node: missing or older
  std::vector<std::string> errors;  // per node: why it could not be checked
  std::string example;              // the first lost key, described

  bool ok() const;
  uint64_t total_lost() const;
};

// Reads every key of `acked` ("k<index>" in `collection`) from every
// endpoint, up to 256 reads in flight per node.
AckedCheckResult CheckAcked(const std::vector<std::string>& endpoints,
                            const std::string& collection, const AckedVersions& acked,
                            int timeout_ms);

}  // namespace datasync
