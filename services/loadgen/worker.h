// Worker: one connection to one node, on its own thread, writing pipelined
// puts and deletes and measuring how long each takes to be acknowledged.
// Every node gets the same number of workers, so writes spread evenly over
// the nodes, and which node writes which key is random.
//
// Open loop (rate > 0): the connection owns a share of the rate and gives
// every write an intended send time on a fixed schedule; its latency is
// measured from that intended time, not from when it actually left, so a
// stalled node shows up as latency instead of as fewer samples (coordinated
// omission). A connection with max_outstanding writes unanswered stops
// sending; the schedule keeps running and the backlog goes out when answers
// return. Closed loop (rate 0): keeps max_outstanding writes in flight and
// measures from the actual send.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "acked_check.h"
#include "datasync/client.h"
#include "histogram.h"
#include "key_chooser.h"
#include "options.h"
#include "replication_tracker.h"

namespace datasync {

// What one worker did so far. Counters are read lock-free; histograms and
// the last error under mu.
struct WorkerStats {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> errors{0};
  std::mutex mu;
  LatencyHistogram interval;  // acknowledgements since the last TakeInterval
  LatencyHistogram total;
  std::string last_error;
};

struct WorkerSetup {
  size_t node = 0;   // index into options->nodes
  double rate = 0;   // this connection's writes/s; 0: closed loop
  double phase = 0;  // [0, 1): offset of its schedule, in send intervals
  uint64_t seed = 1;
  const LoadOptions* options = nullptr;
  const KeyChooser* keys = nullptr;
  ReplicationTracker* tracker = nullptr;  // null: replication not tracked
  std::atomic<int64_t>* budget = nullptr;  // writes left, shared; null: no limit
};

class Worker {
 public:
  explicit Worker(WorkerSetup setup);

  // Connects and waits for one answer from the node (so that connection
  // set-up is not measured as write latency), becomes ready(), waits until
  // `start_us` is set (non-zero), writes from then until `stop` is set, and
  // waits up to options->timeout_ms for the answers still due. Creates,
  // uses and destroys its NodeClient on the calling thread.
  void Run(const std::atomic<bool>& stop, const std::atomic<int64_t>& start_us);

  // Connected (or failed to), waiting for the start.
  bool ready() const { return ready_.load(); }
  // Done writing and waiting: the budget is spent or `stop` was set.
  bool finished() const { return finished_.load(); }
  WorkerStats& stats() { return stats_; }
  size_t node() const { return setup_.node; }
  // With --check-acked, once Run() has returned.
  const AckedVersions& acked() const { return acked_; }

 private:
  struct InFlight {
    int64_t start_us = 0;  // latency is measured from here
    int64_t sent_us = 0;   // the timeout from here
    uint64_t key = 0;  // the last written, the one sampled
    bool sampled = false;
    uint32_t writes = 1;
  };

  // One status round trip: the connection is up and the node answers.
  Status Handshake(NodeClient& client);
  void RunOpenLoop(NodeClient& client, const std::atomic<bool>& stop, int64_t start_us);
  void RunClosedLoop(NodeClient& client, const std::atomic<bool>& stop);
  void Drain(NodeClient& client);
  // Waits up to timeout_ms for answers and handles them.
  void ReceiveAndHandle(NodeClient& client, int timeout_ms);
  // False when the request could not be queued (counted as a failed write).
  bool SendOne(NodeClient& client, int64_t start_us);
  // The next write of the workload; `key` is its key's number.
  ClientWrite NextWrite(uint64_t* key);
  void Handle(std::vector<ClientReply>& replies);
  // Counts writes unanswered for longer than timeout_ms as failed; at most
  // every 100 ms, as it walks every write in flight.
  void ExpireTimedOut(bool force = false);
  void Fail(const std::string& error, uint64_t writes = 1);

  WorkerSetup setup_;
  const LoadOptions& options_;
  const size_t max_outstanding_;
  const uint32_t sample_every_;
  std::mt19937_64 rng_;
  std::string value_pool_;  // values are slices of it at shifting offsets
  uint64_t writes_ = 0;
  bool spent_ = false;  // the shared budget ran out
  int64_t last_expiry_us_ = 0;
  std::unordered_map<uint64_t, InFlight> in_flight_;  // by request_id
  std::vector<uint64_t> batch_latencies_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> finished_{false};
  WorkerStats stats_;
  AckedVersions acked_;
};

}  // namespace datasync
