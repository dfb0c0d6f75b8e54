// Workload: what happens to the cluster during the run phase.
//
// Client writes on random replicas over a small key space, many of them in
// bursts (the same key written on several replicas in the same millisecond,
// so HLC ties are common and broken by origin), and fault episodes: crashes
// with later restarts, partitions with later heals, wall clocks that are
// skewed and jump backwards. Times and targets come from the workload's own
// random stream, so the same seed yields the same workload whatever the
// network does; choices that depend on the cluster's state (which replica is
// up) are made when the event runs.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sim/cluster.h"
#include "sim/event_queue.h"
#include "sim/network.h"
#include "sim/sim_params.h"
#include "sim/trace.h"

namespace datasync::sim {

struct WorkloadStats {
  uint64_t writes_sent = 0;
  uint64_t writes_to_down = 0;  // client found its replica down
};

class Workload {
 public:
  Workload(const SimParams& params, EventQueue* queue, Cluster* cluster,
           Network* network, const Tracer* tracer);

  // Sets the initial clock skew and schedules every event of the run phase.
  void Schedule();

  const WorkloadStats& stats() const { return stats_; }

 private:
  struct Op {
    int node;
    std::string collection;
    std::string key;
    std::string value;  // empty: delete
  };

  uint64_t Int(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int64_t Skew();

  void ScheduleWrites();
  Op DrawOp(int node, const std::string& collection, const std::string& key);
  void RunOp(const Op& op);
  void ScheduleCrashes();
  void CrashAndRestart(int node, int again);
  void SchedulePartitions();
  void ScheduleClocks();
  void ScheduleJoiners();
  int CrashVictim();

  const SimParams& params_;
  EventQueue* queue_;
  Cluster* cluster_;
  Network* network_;
  const Tracer* tracer_;
  std::mt19937_64 rng_;
  uint64_t next_value_ = 1;
  uint64_t partition_epoch_ = 0;
  WorkloadStats stats_;
};

}  // namespace datasync::sim
