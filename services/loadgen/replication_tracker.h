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
// is split over shards, one mutex each. Header-only for the unit tests.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "datasync/status.h"
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
  // When the last write so far became visible everywhere (0: none yet).
  int64_t last_visible_us() const { return last_visible_us_.load(); }

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
    uint32_t interest = 0;                       // sampled writes in flight or pending
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
  void RecordLatency(Shard& shard, const PendingWrite& w);
  // Marks `w` visible at `node` at `at_us`; true when now visible everywhere.
  static bool Arrive(PendingWrite& w, size_t node, int64_t at_us);

  std::vector<bool> awaited_;
  std::array<Shard, kShards> shards_;
  std::unique_ptr<std::atomic<uint32_t>[]> filter_;
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> last_visible_us_{0};
};

// --- implementation ---

inline ReplicationTracker::ReplicationTracker(std::vector<bool> awaited)
    : awaited_(std::move(awaited)), filter_(new std::atomic<uint32_t>[kFilterSlots]) {
  SYNC_CHECK(awaited_.size() <= 64);
  for (size_t i = 0; i < kFilterSlots; ++i) filter_[i].store(0);
}

inline void ReplicationTracker::Interest(uint64_t key) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  KeyState& state = shard.keys[key];
  if (state.arrivals.empty()) state.arrivals.resize(awaited_.size());
  ++state.interest;
  // Before the write leaves this process: the watchers must remember every
  // arrival of this key from now on, or a fast replica could be missed.
  FilterOf(key).fetch_add(1);
}

inline void ReplicationTracker::Abandon(uint64_t key) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(key);
  if (it != shard.keys.end()) Release(shard, it, key);
}

inline void ReplicationTracker::Release(
    Shard& shard, std::unordered_map<uint64_t, KeyState>::iterator it, uint64_t key) {
  FilterOf(key).fetch_sub(1);
  if (--it->second.interest == 0) shard.keys.erase(it);
}

inline void ReplicationTracker::RecordLatency(Shard& shard, const PendingWrite& w) {
  const uint64_t latency =
      static_cast<uint64_t>(std::max<int64_t>(0, w.last_arrival_us - w.start_us));
  shard.interval.Record(latency);
  shard.total.Record(latency);
  int64_t last = last_visible_us_.load();
  while (w.last_arrival_us > last &&
         !last_visible_us_.compare_exchange_weak(last, w.last_arrival_us)) {
  }
}

inline bool ReplicationTracker::Arrive(PendingWrite& w, size_t node, int64_t at_us) {
  w.awaiting &= ~(uint64_t{1} << node);
  w.last_arrival_us = std::max(w.last_arrival_us, at_us);
  return w.awaiting == 0;
}

inline void ReplicationTracker::Acked(uint64_t key, const Version& version, size_t writer,
                                      int64_t start_us) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(key);
  if (it == shard.keys.end()) return;  // no Interest(): a caller bug, ignored
  KeyState& state = it->second;
  PendingWrite w{version, start_us, 0, start_us};
  for (size_t node = 0; node < awaited_.size(); ++node) {
    if (awaited_[node] && node != writer) w.awaiting |= uint64_t{1} << node;
  }
  if (w.awaiting == 0) {  // nowhere else to look
    Release(shard, it, key);
    return;
  }
  // Replicas may have applied it before the acknowledgement got here. Each
  // node's arrivals rise in version, so the first that covers it is the
  // moment it became visible there.
  for (size_t node = 0; node < awaited_.size(); ++node) {
    if (((w.awaiting >> node) & 1) == 0) continue;
    for (const Arrival& a : state.arrivals[node]) {
      if (a.version >= version) {
        Arrive(w, node, a.at_us);
        break;
      }
    }
  }
  if (w.awaiting == 0) {
    RecordLatency(shard, w);
    Release(shard, it, key);
    return;
  }
  state.pending.push_back(std::move(w));
  pending_.fetch_add(1, std::memory_order_relaxed);
}

inline void ReplicationTracker::Seen(size_t node, uint64_t key, const Version& version,
                                     int64_t at_us) {
  if (node >= awaited_.size()) return;
  if (FilterOf(key).load(std::memory_order_acquire) == 0) return;
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(key);
  if (it == shard.keys.end()) return;  // another key sharing the filter slot
  KeyState& state = it->second;
  std::vector<Arrival>& arrivals = state.arrivals[node];
  if (arrivals.size() >= kArrivalsKept) arrivals.erase(arrivals.begin());
  arrivals.push_back(Arrival{version, at_us});

  size_t completed = 0;
  for (size_t i = 0; i < state.pending.size();) {
    PendingWrite& w = state.pending[i];
    if (((w.awaiting >> node) & 1) == 0 || version < w.version ||
        !Arrive(w, node, at_us)) {
      ++i;
      continue;
    }
    RecordLatency(shard, w);
    state.pending[i] = std::move(state.pending.back());
    state.pending.pop_back();
    ++completed;
  }
  if (completed == 0) return;
  pending_.fetch_sub(static_cast<int64_t>(completed), std::memory_order_relaxed);
  // Released last: the final release may erase the state iterated above
  // (each pending write holds one unit, so only the last one can).
  for (size_t i = 0; i < completed; ++i) Release(shard, it, key);
}

inline void ReplicationTracker::TakeInterval(LatencyHistogram* interval) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    interval->Merge(shard.interval);
    shard.interval.Reset();
  }
}

inline LatencyHistogram ReplicationTracker::Total() const {
  LatencyHistogram total;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    total.Merge(shard.total);
  }
  return total;
}

}  // namespace datasync
