// Network: the simulated wires between replicas.
//
// Each delivery is independently dropped, duplicated or delayed (which
// reorders) according to the run's fault rates, and dropped when the two
// ends are on different sides of a partition at delivery time. A publish
// (Outgoing::to empty) fans out to every other replica, like PUB/SUB; a
// message with `to` set goes to that peer only, like ROUTER/DEALER. Whether
// the receiver is up is the cluster's business (the deliver callback).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "datasync/replica.h"
#include "sim/event_queue.h"
#include "sim/sim_params.h"
#include "sim/trace.h"

namespace datasync::sim {

struct NetworkStats {
  uint64_t sent = 0;         // deliveries attempted (one per receiver)
  uint64_t delivered = 0;
  uint64_t dropped = 0;      // by the fault rate
  uint64_t duplicated = 0;
  uint64_t partitioned = 0;  // dropped by a partition
  uint64_t unknown_peer = 0; // `to` names no replica
};

class Network {
 public:
  // sent_ms: when the message was sent, so the receiver can tell messages
  // that predate its current incarnation.
  using DeliverFn =
      std::function<void(int from, int to, const Message& m, uint64_t sent_ms)>;

  Network(const SimParams& params, std::vector<std::string> ids, EventQueue* queue,
          const Tracer* tracer);

  void set_deliver(DeliverFn fn) { deliver_ = std::move(fn); }

  // Routes one output message of replica `from`.
  void Send(int from, const Outgoing& out);

  // Splits the replicas: side[i] is 0 or 1. Replaces any earlier partition.
  void Partition(const std::vector<int>& side);
  void Heal();
  bool Connected(int a, int b) const { return side_[a] == side_[b]; }

  // From now on nothing is dropped or duplicated (delays remain).
  void StopFaults() { faults_on_ = false; }

  const NetworkStats& stats() const { return stats_; }
  int IndexOf(const std::string& id) const;

 private:
  void SendOne(int from, int to, const Message& m, bool may_duplicate);
  void Schedule(int from, int to, const Message& m);
  uint64_t DrawDelay();

  const SimParams& params_;
  std::vector<std::string> ids_;
  EventQueue* queue_;
  const Tracer* tracer_;
  DeliverFn deliver_;
  std::mt19937_64 rng_;
  std::vector<int> side_;
  bool faults_on_ = true;
  NetworkStats stats_;
};

}  // namespace datasync::sim
