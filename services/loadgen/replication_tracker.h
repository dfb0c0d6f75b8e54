// ReplicationTracker: when does an acknowledged write become visible at
// every other node?
//
// Writers register a sampled write before sending it (Interest), then its
// version once acknowledged (Acked). One watcher per node reports every
// change that node's feed shows (Seen). A write counts as visible at a
// node once that node has applied its version or a higher one of the same
// key (a higher version supersedes it: the lower one may never be applied
// there). Its replication latency is the last such arrival at the other
// nodes minus the write's start time (the intended send time in open loop,
// the actual one in closed loop), the same start as its ack latency.
//
// Arrivals may beat the acknowledgement to the load generator, so arrivals
// are remembered for every key with a sampled write in flight; Interest()
// runs before the send, which makes that race-free. Memory is bounded by
// the writes in flight, not by the key space. Watchers skip keys nobody is
// interested in through a lock-free counting filter.
//
// Thread-safe: writers and watchers call in from their own threads; state
// is split over shards, one mutex each.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "datasync/version.h"
#include "histogram.h"

namespace datasync {

class ReplicationTracker {
 public:
  // `awaited[i]`: whether visibility at node i is waited for (false for a
  // node whose feed cannot be followed). REQUIRES: awaited.size() <= 64.
  explicit ReplicationTracker(std::vector<bool> awaited);

  // Stops (or resumes) waiting for node `node`. REQUIRES: no Interest()
  // yet, and the writers' threads started after this call.
  void SetAwaited(size_t node, bool awaited) { awaited_.at(node) = awaited; }

  // Before sending a sampled write of `key`.
  void Interest(uint64_t key);
  // The sampled write failed or timed out: undoes Interest().
  void Abandon(uint64_t key);
  // The sampled write was acknowledged by node `writer` with `version`.
  void Acked(uint64_t key, const Version& version, size_t writer, int64_t start_us);
  // Node `node`'s feed showed `version` of `key` at `at_us`.
  void Seen(size_t node, uint64_t key, const Version& version, int64_t at_us);

  // Adds the latencies completed since the last call to *interval (and
  // keeps them in the run's total).
  void TakeInterval(LatencyHistogram* interval);
  LatencyHistogram Total() const;
  // Acknowledged sampled writes not yet visible everywhere.
  int64_t pending() const { return pending_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kShards = 64;
  static constexpr size_t kFilterSlots = size_t{1} << 20;
  // Arrivals kept per node and key; enough unless one key is rewritten
  // many times while a sampled write of it is in flight.
  static constexpr size_t kArrivalsKept = 4;

  struct Arrival {
    Version version;
    int64_t at_us = 0;
  };
  struct PendingWrite {
    Version version;
    int64_t start_us = 0;
    uint64_t awaiting = 0;  // bit i: not yet visible at node i
    int64_t last_arrival_us = 0;
  };
  struct KeyState {
    uint32_t interest = 0;  // sampled writes in flight or pending
    std::vector<std::vector<Arrival>> arrivals;  // per node, oldest first
    std::vector<PendingWrite> pending;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, KeyState> keys;
    LatencyHistogram interval;
    LatencyHistogram total;
  };

  Shard& ShardOf(uint64_t key) { return shards_[key % kShards]; }
  std::atomic<uint32_t>& FilterOf(uint64_t key) {
    return filter_[key & (kFilterSlots - 1)];
  }
  // Drops one unit of interest; erases the key's state when none is left.
  // REQUIRES: shard.mu held.
  void Release(Shard& shard, std::unordered_map<uint64_t, KeyState>::iterator it,
               uint64_t key);
  // REQUIRES: shard.mu held.
  static void RecordLatency(Shard& shard, const PendingWrite& w);
  // Marks `w` visible at `node` at `at_us`; true when now visible everywhere.
  static bool Arrive(PendingWrite& w, size_t node, int64_t at_us);

  std::vector<bool> awaited_;
  std::array<Shard, kShards> shards_;
  std::unique_ptr<std::atomic<uint32_t>[]> filter_;
  std::atomic<int64_t> pending_{0};
};

}  // namespace datasync
