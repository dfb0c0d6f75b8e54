// Cluster: the simulated nodes, each a Replica over its own MemoryStore.
//
// Plays the node's event loop (ARCHITECTURE §5, STYLE "pure core"): feeds
// the replica client writes, messages and ticks, and at each flush takes its
// output, commits the batch, then hands the messages to the network, then
// delivers the replies. Inputs wait up to max_flush_delay_ms before a flush,
// which is group commit. A crash drops the Replica and whatever output it had
// not committed; the store keeps only committed batches, and a restart
// reopens the replica from it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "datasync/replica.h"
#include "datasync/store.h"
#include "sim/checker.h"
#include "sim/event_queue.h"
#include "sim/network.h"
#include "sim/sim_params.h"
#include "sim/trace.h"

namespace datasync::sim {

// Where a crash strikes.
enum class CrashPoint {
  kNow,           // whatever output is pending is lost
  kBeforeCommit,  // at the next flush with a batch: output taken, batch lost
  kAfterCommit,   // at the next flush with a batch: durable, nothing sent
};

struct ClusterStats {
  uint64_t commits = 0;
  uint64_t crashes = 0;
  uint64_t restarts = 0;
  uint64_t lost_batches = 0;    // taken from a replica, never committed
  uint64_t delivered_to_down = 0;
  uint64_t warnings = 0;
  // Catch-up pages and nexts that crossed a restart of their requester and
  // carry a request id its new incarnation uses too (see NoteStaleCatchUp).
  uint64_t stale_catch_up = 0;
};

class Cluster {
 public:
  Cluster(const SimParams& params, const std::vector<std::string>& ids,
          EventQueue* queue, Network* network, Checker* checker, const Tracer* tracer);

  // Keeps `node` down at Start(): it joins later through Restart().
  // REQUIRES: before Start().
  void JoinLater(int node) { nodes_[node].join_later = true; }
  // Opens every replica (except late joiners) and starts their ticks.
  void Start();

  int size() const { return static_cast<int>(nodes_.size()); }
  bool up(int i) const { return nodes_[i].replica != nullptr; }
  const std::string& id(int i) const { return nodes_[i].id; }
  const Replica& replica(int i) const { return *nodes_[i].replica; }
  const Store& store(int i) const { return *nodes_[i].store; }
  // Flushes every replica now, so its store and memory agree.
  void FlushAll();

  // Client writes; value == nullptr is a delete. REQUIRES: up(node).
  void Write(int node, const std::string& collection, const std::string& key,
             const std::string* value);
  void Deliver(int from, int to, const Message& m, uint64_t sent_ms);

  // No-op when the node is down or crashes are stopped.
  void Crash(int node, CrashPoint point);
  void Restart(int node);
  void SetClockOffset(int node, int64_t offset_ms);
  // The end of the run phase: no more crashes strike.
  void StopCrashes();

  const ClusterStats& stats() const { return stats_; }

 private:
  struct Node {
    std::string id;
    ReplicaOptions options;
    std::unique_ptr<Store> store;
    std::unique_ptr<Replica> replica;  // null while crashed
    int64_t clock_offset_ms = 0;
    bool flush_scheduled = false;
    bool join_later = false;
    uint64_t opened_ms = 0;
    // (peer, request id) of the catch-ups this incarnation asked for.
    std::set<std::pair<std::string, uint64_t>> requests;
    std::optional<CrashPoint> pending_crash;
  };

  uint64_t Wall(int node) const;
  void CrashNow(int node);
  bool CrashPending(int node, CrashPoint point) const {
    return nodes_[node].pending_crash == point;
  }
  void Open(int node);
  void TickLoop(int node);
  void MarkDirty(int node);
  void Flush(int node);
  void Route(int node, ReplicaOutput& out);
  void NoteStaleCatchUp(int from, int to, const Message& m, uint64_t sent_ms);
  void Trace(const std::string& line) const;

  const SimParams& params_;
  EventQueue* queue_;
  Network* network_;
  Checker* checker_;
  const Tracer* tracer_;
  std::mt19937_64 rng_;
  std::vector<Node> nodes_;
  ClientToken next_token_ = 1;
  bool crashes_on_ = true;
  ClusterStats stats_;
};

}  // namespace datasync::sim
