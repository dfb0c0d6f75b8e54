// Parameters of one simulation run, all derived from a single seed.
//
// One number replays everything: the seed picks the cluster size, the key
// space, the fault rates and the replica tuning, so a failing seed printed
// by a test reruns identically under `datasync-sim --seed N`. The only
// inputs not derived from the seed are the deliberate replica bugs used by
// the "teeth" tests, which the replay command names explicitly.
#pragma once

#include <cstdint>
#include <string>

#include "datasync/replica.h"

namespace datasync::sim {

// Which replicas get the deliberate bugs of ReplicaOptions::TestFaults.
enum class FaultTarget { kNone, kOne, kAll };

struct InjectedFaults {
  ReplicaOptions::TestFaults faults;
  FaultTarget target = FaultTarget::kNone;
};

struct SimParams {
  uint64_t seed = 0;

  // Cluster and workload.
  int replicas = 3;         // 2..7
  int collections = 1;      // 1..3
  int keys = 5;             // per collection, 1..20
  int ops = 100;            // client writes issued during the run phase
  double delete_ratio = 0.2;
  double burst_ratio = 0.2;  // ops that come as same-ms writes on several nodes
  uint64_t run_ms = 3000;    // faults and writes happen in [0, run_ms)

  // Network faults, per delivery. Point-to-point messages (catch-up) are
  // duplicated too unless p2p_dup is cleared (a replay flag, not derived
  // from the seed): a ZeroMQ connection never duplicates, but the replica
  // must not depend on that.
  double drop_rate = 0.0;
  double dup_rate = 0.0;
  bool p2p_dup = true;
  uint64_t min_delay_ms = 0;
  uint64_t max_delay_ms = 10;

  // Episodes during the run phase.
  int partitions = 0;
  int crashes = 0;
  int late_joiners = 0;  // replicas that start empty, during the run phase
  int clock_jumps = 0;
  uint64_t max_clock_skew_ms = 0;

  // Event loop.
  uint64_t tick_interval_ms = 10;
  uint64_t max_flush_delay_ms = 2;  // group commit: inputs wait this long

  // After the run phase: no faults; convergence must come before this.
  uint64_t quiesce_bound_ms = 60000;

  // Replica tuning (node_id and faults are set per replica).
  ReplicaOptions replica;
  InjectedFaults injected;

  // Command-line flags that overrode derived parameters, for the replay.
  std::string override_flags;
};

// The parameters of `seed`, with the given deliberate bugs.
SimParams ParamsFromSeed(uint64_t seed, const InjectedFaults& injected = {});

// A one-line shell command that replays this run with a trace.
std::string ReplayCommand(const SimParams& params);

// One line summarizing the parameters, for traces and reports.
std::string DescribeParams(const SimParams& params);

// splitmix64: derives independent stream seeds from one seed.
uint64_t MixSeed(uint64_t seed, uint64_t stream);

}  // namespace datasync::sim
