// CoordinatorLink: this node's membership session with sync-coordinator
// (ARCHITECTURE §1).
//
// A DEALER with our node id as routing id. At start it sends Join with our
// endpoints; Welcome and Membership answers carry the epoch and the members.
// It pings every Welcome.heartbeat_ms. When the coordinator has been silent
// for kSilenceBeats heartbeats it may have restarted with an empty table,
// so Join is sent again until it answers; meanwhile the last membership is
// kept, because data flow must not depend on the coordinator. After such a
// rejoin the first answers may list only the nodes that rejoined so far:
// for a grace period members are added but not removed. A member list
// without this node (the coordinator restarted or expired us) triggers a
// Join too. One thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "datasync/messages.h"
#include "datasync/status.h"
#include "transport/zmq_util.h"

namespace datasync {

class CoordinatorLink {
 public:
  static constexpr uint64_t kSilenceBeats = 3;
  static constexpr uint64_t kDefaultHeartbeatMs = 500;
  static constexpr uint64_t kJoinRetryMs = 250;

  CoordinatorLink(zmq::context_t* context, std::string endpoint, MemberInfo self,
                  transport::SocketOptions options);

  // Creates and connects the DEALER (it connects in the background).
  Status Open();

  // Sends Join or Ping when due. now_ms is monotonic.
  void Tick(uint64_t now_ms);
  // A message that came from the coordinator. False when it is not one the
  // coordinator sends to nodes (the caller counts it as bad input).
  bool OnMessage(const Message& message, uint64_t now_ms);

  // The members the coordinator lists, as of now (including us).
  const std::map<std::string, MemberInfo>& members() const { return members_; }
  // True once after the members changed.
  bool TakeMembersChanged();
  // True once after the coordinator told this node to shut down.
  bool shutdown_requested() const { return shutdown_requested_; }

  void SendShutdown(bool cluster);
  void SendLeave();
  void Close() { socket_.close(); }

  zmq::socket_t& socket() { return socket_; }
  const std::string& endpoint() const { return endpoint_; }
  uint64_t epoch() const { return epoch_; }
  // "joining", "joined" or "silent" (no answer for kSilenceBeats beats).
  const char* state(uint64_t now_ms) const;
  uint64_t sends_dropped() const { return sends_dropped_; }

 private:
  bool Silent(uint64_t now_ms) const;
  // A member list from the coordinator: rejoins when we are not in it.
  void OnMembers(const std::vector<MemberInfo>& members, uint64_t now_ms);
  void SetMembers(const std::vector<MemberInfo>& members, uint64_t now_ms);
  void Send(const Message& message);

  zmq::context_t* context_;
  std::string endpoint_;
  MemberInfo self_;
  transport::SocketOptions options_;
  zmq::socket_t socket_;

  bool welcomed_ = false;
  uint64_t heartbeat_ms_ = kDefaultHeartbeatMs;
  uint64_t last_heard_ms_ = 0;
  uint64_t next_join_ms_ = 0;
  uint64_t next_ping_ms_ = 0;
  uint64_t epoch_ = 0;
  bool rejoining_ = false;       // we had a membership when the silence began
  uint64_t grace_until_ms_ = 0;  // no removals before this, after a rejoin
  std::map<std::string, MemberInfo> members_;
  std::map<std::string, MemberInfo> latest_;  // as the coordinator last said
  bool members_changed_ = false;
  bool shutdown_requested_ = false;
  uint64_t sends_dropped_ = 0;
};

}  // namespace datasync
