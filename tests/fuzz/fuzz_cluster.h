// FuzzCluster: a few Replicas over MemoryStores whose whole schedule is
// chosen by the caller (the sequence fuzz target): which client writes
// happen where, which message in flight is delivered, dropped or duplicated,
// when each replica ticks, flushes, crashes and restarts.
//
// It plays the node loop as tests/sim's Cluster does (commit, then send,
// then reply) and reports everything to the simulator's Checker, so the
// invariants are the simulator's, stated once. It adds one of its own: a
// replica's version vector never goes down within an incarnation, and a
// reopened replica's vector is at least the one it last committed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasync/replica.h"
#include "datasync/store.h"
#include "sim/checker.h"
#include "sim/event_queue.h"

namespace datasync::fuzz {

class FuzzCluster {
 public:
  // With `trace`, every step and message goes to stderr (FUZZ_TRACE=1 when
  // replaying one input: build-fuzz/bin/fuzz_sequence INPUT).
  explicit FuzzCluster(int nodes, bool trace = false);

  int size() const { return static_cast<int>(nodes_.size()); }
  bool up(int i) const { return nodes_[i].replica != nullptr; }
  size_t in_flight() const { return network_.size(); }
  const sim::Checker& checker() const { return checker_; }

  // Time passes for every node; their clocks only move forward.
  void Advance(uint64_t ms);
  // No-ops on a node that is down.
  void Write(int i, const std::string& key, const std::string* value);
  void Tick(int i);
  void Flush(int i);
  void Crash(int i);  // loses whatever output was not flushed
  void Restart(int i);

  // REQUIRES: k < in_flight().
  void Deliver(size_t k);
  void Drop(size_t k);
  void Duplicate(size_t k);

  // Restarts every node, then delivers everything and lets timers run until
  // the replicas agree (or a bound passes), then runs the Checker's final
  // checks. The verdict is in checker().
  void Settle();

 private:
  struct Node {
    std::string id;
    std::unique_ptr<Store> store;
    std::unique_ptr<Replica> replica;  // null while down
    VersionVector seen_vv;             // highest vector this incarnation showed
    VersionVector committed_vv;        // last committed metadata's vector
  };
  struct InFlight {
    int from = 0;
    int to = 0;
    Message message;
  };

  uint64_t now() const { return queue_.now(); }
  void Open(int i);
  void CheckVector(int i);
  bool Converged();
  void Trace(const std::string& line) const;

  sim::EventQueue queue_;  // the Checker's clock; nothing is scheduled on it
  sim::Checker checker_;
  std::vector<Node> nodes_;
  std::vector<InFlight> network_;
  ClientToken next_token_ = 1;
  bool trace_ = false;
};

}  // namespace datasync::fuzz
