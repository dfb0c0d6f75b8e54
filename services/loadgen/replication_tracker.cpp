#include "replication_tracker.h"

#include <algorithm>
#include <utility>

#include "datasync/status.h"

namespace datasync {

ReplicationTracker::ReplicationTracker(std::vector<bool> awaited)
    : awaited_(std::move(awaited)),
      filter_(new std::atomic<uint32_t>[kFilterSlots]) {
  SYNC_CHECK(awaited_.size() <= 64);
  for (size_t i = 0; i < kFilterSlots; ++i) filter_[i].store(0);
}

void ReplicationTracker::Interest(uint64_t key) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  KeyState& state = shard.keys[key];
  if (state.arrivals.empty()) state.arrivals.resize(awaited_.size());
  ++state.interest;
  // Before the write leaves this process: the watchers must remember every
  // arrival of this key from now on, or a fast replica could be missed.
  FilterOf(key).fetch_add(1);
}

void ReplicationTracker::Abandon(uint64_t key) {
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(key);
  if (it != shard.keys.end()) Release(shard, it, key);
}

void ReplicationTracker::Release(Shard& shard,
                                 std::unordered_map<uint64_t, KeyState>::iterator it,
                                 uint64_t key) {
  FilterOf(key).fetch_sub(1);
  if (--it->second.interest == 0) shard.keys.erase(it);
}

void ReplicationTracker::RecordLatency(Shard& shard, const PendingWrite& w) {
  const uint64_t latency =
      static_cast<uint64_t>(std::max<int64_t>(0, w.last_arrival_us - w.start_us));
  shard.interval.Record(latency);
  shard.total.Record(latency);
}

bool ReplicationTracker::Arrive(PendingWrite& w, size_t node, int64_t at_us) {
  w.awaiting &= ~(uint64_t{1} << node);
  w.last_arrival_us = std::max(w.last_arrival_us, at_us);
  return w.awaiting == 0;
}

void ReplicationTracker::Acked(uint64_t key, const Version& version, size_t writer,
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

void ReplicationTracker::Seen(size_t node, uint64_t key, const Version& version,
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
    if (((w.awaiting >> node) & 1) == 0 || version < w.version || !Arrive(w, node, at_us)) {
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

void ReplicationTracker::TakeInterval(LatencyHistogram* interval) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    interval->Merge(shard.interval);
    shard.interval.Reset();
  }
}

LatencyHistogram ReplicationTracker::Total() const {
  LatencyHistogram total;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    total.Merge(shard.total);
  }
  return total;
}

}  // namespace datasync
