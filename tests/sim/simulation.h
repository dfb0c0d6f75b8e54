// RunSimulation: one seeded run of a simulated cluster, start to verdict.
//
// The run phase (params.run_ms) has client writes and every fault. Then the
// faults stop: partitions heal, crashed replicas restart, nothing is dropped
// any more, and the cluster must converge (every vector equal to every
// origin's own seq, every digest equal, and still so a moment later) within
// params.quiesce_bound_ms of simulated time. Then the final invariants are
// checked. The first violated invariant ends the run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "sim/checker.h"
#include "sim/cluster.h"
#include "sim/network.h"
#include "sim/sim_params.h"
#include "sim/workload.h"

namespace datasync::sim {

struct SimResult {
  bool ok = false;
  std::string failure;  // empty when ok
  std::string replay;   // the command that replays this run with a trace
  uint64_t end_ms = 0;        // simulated time at the verdict
  uint64_t converged_ms = 0;  // simulated time of convergence, if reached
  CheckerStats checker;
  NetworkStats network;
  ClusterStats cluster;
  WorkloadStats workload;
};

// Runs `params`; with `trace` set, logs every event to it.
SimResult RunSimulation(const SimParams& params, std::FILE* trace = nullptr);

// A multi-line report: verdict, replay command, parameters, counts.
std::string DescribeResult(const SimParams& params, const SimResult& result);

}  // namespace datasync::sim
