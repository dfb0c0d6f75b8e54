// The end of a run: wait until every node reports the same digest of the
// load's collection twice in a row (equal and stable), or until the
// quiescence timeout, then give the verdict.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace datasync {

struct ConvergenceResult {
  bool converged = false;
  std::vector<std::string> digests;  // per node, the last answer; "" if none
  std::vector<std::string> errors;   // per node, why there is no digest
  double waited_s = 0;               // from the call to the verdict
};

// Polls kDigest of `collection` at every endpoint, with a pause between
// rounds of at least 250 ms and, until the digests agree, twice the last
// round's duration (a digest scans the whole collection, on the node's
// event loop). Prints a line on
// stderr about once per second while waiting. Returns early, not
// converged, once `aborted()` is true.
ConvergenceResult AwaitConvergence(const std::vector<std::string>& endpoints,
                                   const std::string& collection, int timeout_ms,
                                   double quiesce_timeout_s,
                                   const std::function<bool()>& aborted);

}  // namespace datasync
