// What sync-loadgen prints and writes: the progress line of each second,
// the closing summary, and the JSON report (ARCHITECTURE §6).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "acked_check.h"
#include "convergence.h"
#include "datasync/status.h"
#include "histogram.h"
#include "options.h"

namespace datasync {

struct ProgressLine {
  double elapsed_s = 0;
  double rate = 0;               // acknowledged writes/s over the last interval
  uint64_t acked = 0;            // since the start
  uint64_t errors = 0;           // since the start
  LatencyHistogram ack;          // the last interval's
  LatencyHistogram replication;  // the last interval's
  bool replication_tracked = false;
  int64_t lag = 0;  // tracked writes acknowledged, not yet everywhere
  uint32_t sample_every = 1;
};

struct RunReport {
  LoadOptions options;
  std::vector<std::string> node_ids;  // per endpoint, from kStatus
  double duration_s = 0;              // of the write phase, measured
  uint64_t sent = 0;
  uint64_t writes = 0;  // acknowledged
  uint64_t errors = 0;  // failed, refused or unanswered
  std::string last_error;
  LatencyHistogram ack;
  LatencyHistogram replication;
  bool replication_tracked = false;
  uint32_t sample_every = 1;
  int64_t replication_unobserved = 0;  // tracked, never seen everywhere
  // From the start until the last tracked write was visible everywhere
  // (0: nothing tracked): the replication throughput's time.
  double replicated_s = 0;
  ConvergenceResult convergence;
  AckedCheckResult acked_check;
  std::vector<std::string> warnings;

  double throughput() const { return duration_s > 0 ? writes / duration_s : 0; }
  // Writes over the time until the last was everywhere; never over less
  // than the write phase, as the last writes are not all tracked.
  double replication_throughput() const {
    return replicated_s > 0 ? writes / std::max(replicated_s, duration_s) : 0;
  }
  bool ok() const {
    return convergence.converged && errors == 0 && (!acked_check.ran || acked_check.ok());
  }
};

std::string FormatProgress(const ProgressLine& line);
// Several lines, for stderr.
std::string FormatSummary(const RunReport& report);
// One JSON object. Fails with kIoError naming the file.
Status WriteJsonReport(const RunReport& report, const std::string& path);
// The JSON text itself (tests and WriteJsonReport).
std::string ReportJson(const RunReport& report);

}  // namespace datasync
