// NodeLoop: the event loop of sync-node (ARCHITECTURE §1, §3).
//
// One thread owns every socket, the store and the Replica. Each iteration
// polls the sockets (api, sync, SUB, the per-peer catch-up DEALERs and the
// coordinator DEALER) with a timeout no longer than the next timer, drains
// each ready socket up to a bound, feeds the Replica, and then carries out
// its output in the one order that keeps acknowledged writes safe: commit
// the batch, then publish and send its messages, then answer the clients,
// then stream the changes to watchers. Taking the output once per iteration
// is what groups concurrent client writes into one store transaction.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "connector_link.h"
#include "coordinator_link.h"
#include "datasync/config.h"
#include "datasync/replica.h"
#include "datasync/store.h"
#include "log_limiter.h"
#include "peer_links.h"
#include "watchers.h"

namespace datasync {

// What the loop counts beyond ReplicaCounters (shown by `syncctl status`).
struct NodeCounters {
  uint64_t bad_input_api = 0;
  uint64_t bad_input_sub = 0;
  uint64_t bad_input_sync = 0;
  uint64_t bad_input_coordinator = 0;
  uint64_t commits = 0;
  uint64_t commit_errors = 0;
  uint64_t busy_replies = 0;     // requests refused with kBusy
  uint64_t replies_dropped = 0;  // client gone or its queue full
  uint64_t sends_dropped = 0;    // peer messages that could not be queued
};

// Every ReplicaCounters field with its name in `syncctl status`.
inline constexpr std::pair<const char*, uint64_t ReplicaCounters::*>
    kReplicaCounterFields[] = {
        {"local_writes", &ReplicaCounters::local_writes},
        {"remote_applied", &ReplicaCounters::remote_applied},
        {"remote_superseded", &ReplicaCounters::remote_superseded},
        {"duplicates", &ReplicaCounters::duplicates},
        {"gaps_detected", &ReplicaCounters::gaps_detected},
        {"catch_up_requests", &ReplicaCounters::catch_up_requests},
        {"catch_up_completed", &ReplicaCounters::catch_up_completed},
        {"catch_up_timeouts", &ReplicaCounters::catch_up_timeouts},
        {"catch_up_pages_served", &ReplicaCounters::catch_up_pages_served},
        {"catch_up_refused", &ReplicaCounters::catch_up_refused},
        {"clock_skew_reports", &ReplicaCounters::clock_skew_reports},
        {"ignored_messages", &ReplicaCounters::ignored_messages},
        {"rejected_writes", &ReplicaCounters::rejected_writes},
};
static_assert(sizeof(ReplicaCounters) ==
                  std::size(kReplicaCounterFields) * sizeof(uint64_t),
              "a ReplicaCounters field is missing from kReplicaCounterFields");

class NodeLoop {
 public:
  // After forwarding a cluster shutdown, stop anyway if the coordinator has
  // not told us to within this time.
  static constexpr uint64_t kClusterShutdownFallbackMs = 5000;

  // `store` is the opened store of config.store.type.
  NodeLoop(NodeConfig config, std::unique_ptr<Store> store);
  ~NodeLoop();
  NodeLoop(const NodeLoop&) = delete;
  NodeLoop& operator=(const NodeLoop&) = delete;

  // Opens the Replica from the store, binds and connects every socket.
  // Fails naming the endpoint or the store; nothing is left bound then.
  Status Start();

  // Runs until SIGTERM/SIGINT, a kShutdown request or the coordinator's
  // Shutdown, then shuts down gracefully and returns ok. Returns an error
  // only when the node cannot go on (its store cannot be read back after a
  // failed commit).
  Status Run();

 private:
  struct PendingWrite {
    std::vector<std::string> envelope;
    uint64_t request_id = 0;
    std::string collection;
    std::string key;
    bool deleted = false;
  };
  struct DeferredRead {
    std::vector<std::string> envelope;
    ClientRequest request;
  };
  // A local write captured by a connector, until its reply.
  struct CapturedWrite {
    ConnectorLink* connector = nullptr;
    std::string collection;
    std::string key;
  };
  enum class Source { kApi, kSync, kSub, kCoordinator, kPeer, kConnector };

  // node_loop.cpp: the iteration, timers, group commit, shutdown.
  void Iterate();
  // Waits for input or the next timer, then drains every ready socket.
  // True when a drain stopped at its budget (more input is waiting).
  bool PollAndDrain();
  int PollTimeoutMs(uint64_t now) const;
  void OnTimers(uint64_t now);
  bool FlushDue(uint64_t now) const;
  void Flush();
  void OnCommitFailed(ReplicaOutput* out, const Status& error);
  void Shutdown();
  void RefreshPeers();
  void LogReplicaWarnings(const std::vector<std::string>& warnings);
  // The time given to the Replica: wall-clock milliseconds, never going back.
  uint64_t ReplicaNowMs();

  // node_io.cpp: the peer and coordinator sockets. Drains take at most
  // `budget` messages and return true when they stopped at the budget.
  bool DrainSub(size_t budget);
  bool DrainSync(size_t budget);
  bool DrainPeer(const std::string& peer_id, zmq::socket_t* dealer, size_t budget);
  bool DrainCoordinator(size_t budget);
  void SendMessages(const std::vector<Outgoing>& messages);
  void Publish(const char* topic, const Message& message);
  // The encoding of `message`, in a buffer reused until the next call.
  const std::string& Encoded(const Message& message);
  void BadInput(uint64_t* counter, const char* where, const std::string& what);

  // node_api.cpp: client requests.
  bool DrainApi(size_t budget);
  void OnRequest(std::vector<std::string> envelope, ClientRequest request);
  void OnWrite(std::vector<std::string> envelope, ClientRequest request);
  void OnShutdownRequest(const std::vector<std::string>& envelope,
                         const ClientRequest& request);
  void SendWriteReplies(const std::vector<Reply>& replies);
  void ServeReads();
  ClientReply Read(const ClientRequest& request);
  ClientReply Scan(const ClientRequest& request);
  void SendReply(const std::vector<std::string>& envelope, ClientReply reply);
  size_t pending_requests() const { return pending_writes_.size() + reads_.size(); }

  // node_connectors.cpp: the connectors' sockets and threads.
  Status StartConnectors();
  void StopConnectors();
  ConnectorLink* FindConnector(const std::string& name);
  bool DrainConnector(ConnectorLink* link, size_t budget);
  void OnCaptured(ConnectorLink* link, const ConnectorCaptured& captured);
  void OnResync(ConnectorLink* link, const ConnectorResync& resync);
  void OnConnectorFailures(ConnectorLink* link, const ConnectorFailures& failures);
  void SendToConnector(ConnectorLink* link, const NodeToConnector& message);
  // After a group commit (or its failure): the replies to captured writes,
  // the capture acks, and the accepted records for each applying connector.
  void ConnectorsAfterCommit(std::vector<Reply>* replies,
                             const std::vector<RecordWrite>& writes, bool committed);
  void OnConnectorRequest(const std::vector<std::string>& envelope,
                          const ClientRequest& request);
  void ConnectorStatus(NodeStatus* status) const;

  // node_status.cpp
  NodeStatus BuildStatus() const;

  NodeConfig config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Replica> replica_;
  ReplicaCounters retired_counters_;  // of replicas discarded after a failed commit

  zmq::context_t context_;
  zmq::socket_t api_;
  zmq::socket_t pub_;
  zmq::socket_t sync_;
  std::unique_ptr<PeerLinks> peers_;
  std::unique_ptr<CoordinatorLink> coordinator_;
  Watchers watchers_;
  std::vector<std::unique_ptr<ConnectorLink>> connectors_;
  std::map<ClientToken, CapturedWrite> captured_writes_;

  std::map<ClientToken, PendingWrite> pending_writes_;
  ClientToken next_token_ = 1;
  std::vector<DeferredRead> reads_;
  size_t writes_waiting_ = 0;    // client writes fed since the last flush
  uint64_t first_write_ms_ = 0;  // steady time of the first of them
  uint64_t next_tick_ms_ = 0;
  uint64_t replica_now_ms_ = 0;               // last ReplicaNowMs()
  uint64_t replica_steady_ms_ = 0;            // SteadyMs() at that time
  bool more_input_ = false;                   // a drain stopped at its budget
  std::map<std::string, uint64_t> heard_ms_;  // peer id -> last heartbeat (steady)
  std::vector<std::string> logged_peers_;

  bool stopping_ = false;
  std::optional<uint64_t> cluster_shutdown_deadline_ms_;
  Status fatal_;

  NodeCounters counters_;
  LogLimiter log_limiter_;
  std::string encode_buffer_;  // reused by every send, to spare allocations
};

// Milliseconds: the wall clock (for the HLC), and a monotonic clock for the
// loop's own timers.
uint64_t WallMs();
uint64_t SteadyMs();

}  // namespace datasync
