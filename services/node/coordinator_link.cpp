#include "coordinator_link.h"

#include <algorithm>
#include <utility>

#include "datasync/codec.h"

namespace datasync {

CoordinatorLink::CoordinatorLink(zmq::context_t* context, std::string endpoint,
                                 MemberInfo self, transport::SocketOptions options)
    : context_(context),
      endpoint_(std::move(endpoint)),
      self_(std::move(self)),
      options_(std::move(options)) {
  options_.routing_id = self_.id;
  // Queue nothing while the coordinator is away: Join is re-sent anyway, and
  // a backlog of stale pings would only flood it when it returns.
  options_.immediate = true;
}

Status CoordinatorLink::Open() {
  try {
    socket_ = zmq::socket_t(*context_, zmq::socket_type::dealer);
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("cannot create DEALER socket: ") + e.what());
  }
  Status s = transport::Configure(socket_, options_);
  if (s.ok()) s = transport::Connect(socket_, endpoint_);
  return s;
}

bool CoordinatorLink::Silent(uint64_t now_ms) const {
  return welcomed_ && now_ms > last_heard_ms_ + kSilenceBeats * heartbeat_ms_;
}

void CoordinatorLink::Tick(uint64_t now_ms) {
  if (grace_until_ms_ != 0 && now_ms >= grace_until_ms_) {
    grace_until_ms_ = 0;
    if (members_ != latest_) {
      members_ = latest_;
      members_changed_ = true;
    }
  }
  const bool silent = Silent(now_ms);
  if (silent) rejoining_ = true;
  if (!welcomed_ || silent) {
    if (now_ms >= next_join_ms_) {
      Send(Join{self_});
      next_join_ms_ = now_ms + (welcomed_ ? heartbeat_ms_ : kJoinRetryMs);
    }
    return;
  }
  if (now_ms >= next_ping_ms_) {
    Send(Ping{self_.id, epoch_});
    next_ping_ms_ = now_ms + heartbeat_ms_;
  }
}

bool CoordinatorLink::OnMessage(const Message& message, uint64_t now_ms) {
  if (const auto* w = std::get_if<Welcome>(&message)) {
    last_heard_ms_ = now_ms;
    heartbeat_ms_ = w->heartbeat_ms == 0
                        ? kDefaultHeartbeatMs
                        : std::clamp<uint64_t>(w->heartbeat_ms, 10, 60000);
    epoch_ = w->epoch;
    if (rejoining_) grace_until_ms_ = now_ms + kSilenceBeats * heartbeat_ms_;
    rejoining_ = false;
    welcomed_ = true;
    next_ping_ms_ = now_ms + heartbeat_ms_;
    OnMembers(w->members, now_ms);
    return true;
  }
  if (const auto* m = std::get_if<Membership>(&message)) {
    // One connection delivers in order, so the latest message is the
    // current membership, even when a restarted coordinator's epochs went
    // back to small numbers.
    last_heard_ms_ = now_ms;
    epoch_ = m->epoch;
    OnMembers(m->members, now_ms);
    return true;
  }
  if (std::holds_alternative<Shutdown>(message)) {
    last_heard_ms_ = now_ms;
    shutdown_requested_ = true;
    return true;
  }
  return false;
}

void CoordinatorLink::OnMembers(const std::vector<MemberInfo>& members, uint64_t now_ms) {
  const bool listed = std::any_of(members.begin(), members.end(),
                                  [&](const MemberInfo& m) { return m.id == self_.id; });
  if (!listed && welcomed_) {
    // The coordinator does not know us: it restarted, or expired us while
    // we were paused. Join again; until the table is rebuilt, a member
    // missing from it may just not have rejoined yet, so keep our peers.
    rejoining_ = true;
    grace_until_ms_ = std::max(grace_until_ms_, now_ms + kSilenceBeats * heartbeat_ms_);
    if (now_ms >= next_join_ms_) {
      Send(Join{self_});
      next_join_ms_ = now_ms + kJoinRetryMs;
    }
  }
  SetMembers(members, now_ms);
}

void CoordinatorLink::SetMembers(const std::vector<MemberInfo>& members,
                                 uint64_t now_ms) {
  latest_.clear();
  for (const MemberInfo& m : members) latest_[m.id] = m;
  std::map<std::string, MemberInfo> next = latest_;
  if (now_ms < grace_until_ms_) {
    // Rebuilding after a coordinator restart: a member missing from its
    // table may simply not have rejoined yet.
    for (const auto& [id, m] : members_) next.emplace(id, m);
  }
  if (next != members_) {
    members_ = std::move(next);
    members_changed_ = true;
  }
}

bool CoordinatorLink::TakeMembersChanged() {
  return std::exchange(members_changed_, false);
}

void CoordinatorLink::SendShutdown(bool cluster) { Send(Shutdown{cluster}); }

void CoordinatorLink::SendLeave() { Send(Leave{self_.id}); }

void CoordinatorLink::Send(const Message& message) {
  if (transport::SendFrames(socket_, {}, Encode(message)) !=
      transport::SendResult::kSent) {
    ++sends_dropped_;
  }
}

const char* CoordinatorLink::state(uint64_t now_ms) const {
  if (!welcomed_) return "joining";
  return Silent(now_ms) ? "silent" : "joined";
}

}  // namespace datasync
