// CoordinatorLoop: the coordinator's one thread, one ROUTER socket.
//
// Nodes connect a DEALER whose routing id is their node id and send Join,
// Ping and Leave; the loop keeps the MembershipTable, answers a Join with a
// Welcome and every Ping with the current Membership, tells everyone else
// about every change with a Membership, and removes members that stay
// silent for failure_timeout_ms. Clients
// (syncctl) connect a DEALER with any routing id and ask for the membership
// (ClientRequest kStatus) or for a cluster shutdown (Shutdown{cluster} or
// ClientRequest kShutdown; a node forwards its client's request this way).
// Nothing is durable: a restarted coordinator answers a Ping from a node it
// does not know with a Membership lacking that node, and the node joins
// again. Bytes from the network never crash the loop: bad input is counted,
// logged at a bounded rate and answered with an error.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "datasync/config.h"
#include "datasync/messages.h"
#include "datasync/status.h"
#include "membership.h"

namespace datasync {

struct CoordinatorCounters {
  uint64_t messages = 0;
  uint64_t bad_input = 0;
  uint64_t send_failures = 0;
  uint64_t expired = 0;
};

class CoordinatorLoop {
 public:
  // How long a cluster shutdown waits for the members' Leave messages.
  static constexpr std::chrono::milliseconds kShutdownWait{10000};

  CoordinatorLoop(zmq::context_t& context, CoordinatorConfig config);

  // Creates and binds the ROUTER socket. kUnavailable when the endpoint
  // cannot be bound (in use, bad address).
  Status Bind();

  // REQUIRES: Bind() succeeded. Serves until `stop` becomes true (checked at
  // least every 100 ms) or a requested cluster shutdown has finished.
  // Returns a non-ok Status only when the socket itself fails.
  Status Run(const std::atomic<bool>& stop);

  const CoordinatorCounters& counters() const { return counters_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Who to answer: the routing id, plus an empty delimiter frame when the
  // sender is a REQ socket.
  struct Envelope {
    std::vector<std::string> frames;
    const std::string& routing_id() const { return frames.front(); }
  };

  struct ShutdownRequester {
    Envelope envelope;
    std::optional<uint64_t> request_id;  // set when it sent a ClientRequest
  };

  struct ClusterShutdown {
    std::vector<ShutdownRequester> requesters;
    std::set<std::string> waiting;  // members that have not left yet
    Clock::time_point deadline;
    Clock::time_point next_resend;
  };

  Status ReceiveAndDispatch();
  void Dispatch(const Envelope& from, std::string_view body);
  void OnJoin(const Envelope& from, const Join& join);
  void OnPing(const Envelope& from, const Ping& ping);
  void OnLeave(const Envelope& from, const Leave& leave);
  void OnClientRequest(const Envelope& from, const ClientRequest& request);
  void OnShutdownRequest(const Envelope& from, bool cluster,
                         std::optional<uint64_t> request_id);

  void ExpireSilentMembers();
  void AdvanceShutdown();
  void FinishShutdown();

  void Send(const Envelope& to, const Message& message);
  void SendToMember(const std::string& id, const Message& message);
  // Tells every member except `except` the current membership.
  void Broadcast(const std::string& except = "");
  Membership CurrentMembership() const;
  void BadInput(const Envelope& from, const std::string& why,
                std::optional<uint64_t> request_id = std::nullopt);
  uint64_t NowMs() const;

  zmq::context_t& context_;
  CoordinatorConfig config_;
  std::optional<zmq::socket_t> socket_;
  MembershipTable table_;
  CoordinatorCounters counters_;
  std::optional<ClusterShutdown> shutdown_;
  bool finished_ = false;
  Clock::time_point started_ = Clock::now();
  Clock::time_point next_expiry_check_;
  // Rate limit of bad-input logs: at most one line per second.
  Clock::time_point next_bad_input_log_;
  uint64_t bad_input_unlogged_ = 0;
};

}  // namespace datasync
