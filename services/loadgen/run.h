// One run of sync-loadgen, start to verdict:
//   1. every node answers (else exit 3);
//   2. one watcher per node follows its change feed, confirmed by a probe;
//   3. nodes x connections workers write for --duration, a progress line
//      per second on stderr;
//   4. writing stops, every answer is awaited (or timed out);
//   5. quiescence: equal, stable digests of the collection at every node,
//      for at most --quiesce-timeout;
//   6. summary on stderr, JSON report, exit code.
// SIGINT/SIGTERM end the write phase early; a second one skips the wait
// for quiescence (the verdict is then "not converged" unless already equal).
#pragma once

#include "options.h"

namespace datasync {

int RunLoad(const LoadOptions& options);

}  // namespace datasync
