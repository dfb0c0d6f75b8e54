#include "coordinator_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>
#include <zmq_addon.hpp>

#include "datasync/codec.h"

namespace datasync {
namespace {

// Membership messages are tiny; anything near this is garbage, and ZeroMQ
// drops the connection that sends it before it costs memory.
constexpr int64_t kMaxMessageBytes = 1 << 20;
constexpr auto kMaxPollWait = std::chrono::milliseconds(100);

uint64_t WallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Routing ids of clients are binary; logs show them escaped.
std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes.substr(0, 64)) {
    if (std::isprint(c) && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

}  // namespace

CoordinatorLoop::CoordinatorLoop(zmq::context_t& context, CoordinatorConfig config)
    : context_(context), config_(std::move(config)), table_(WallClockMs()) {}

Status CoordinatorLoop::Bind() {
  try {
    zmq::socket_t socket(context_, zmq::socket_type::router);
    // A restarted node reconnects with its old routing id before we notice
    // its old connection died: let the new connection take the id over.
    socket.set(zmq::sockopt::router_handover, 1);
    // Report unroutable sends (a member that just went away) instead of
    // dropping them silently, so they are counted.
    socket.set(zmq::sockopt::router_mandatory, 1);
    socket.set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
    // Long enough for the last replies (a finished cluster shutdown) to leave
    // when the process closes the socket right after sending them.
    socket.set(zmq::sockopt::linger, 1000);
    socket.bind(config_.bind);
    socket_ = std::move(socket);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot bind " + config_.bind + ": " + e.what());
  }
  spdlog::info("listening on {} (failure timeout {} ms, heartbeat {} ms)", config_.bind,
               config_.failure_timeout_ms, config_.heartbeat_ms);
  return Status::Ok();
}

uint64_t CoordinatorLoop::NowMs() const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_)
          .count());
}

Status CoordinatorLoop::Run(const std::atomic<bool>& stop) {
  SYNC_CHECK(socket_.has_value());
  const auto sweep_period =
      std::chrono::milliseconds(std::clamp<uint64_t>(config_.heartbeat_ms / 2, 10, 100));
  next_expiry_check_ = Clock::now() + sweep_period;
  while (!stop.load() && !finished_) {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    int ready = 0;
    try {
      ready = zmq::poll(&item, 1, kMaxPollWait);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) return Status::IoError(std::string("poll: ") + e.what());
    }
    // Drain in bounded bursts so timers still run under a flood.
    for (int i = 0; ready > 0 && i < 1000 && !finished_; ++i) {
      Status s = ReceiveAndDispatch();
      if (!s.ok()) return s;
      if (!(socket_->get(zmq::sockopt::events) & ZMQ_POLLIN)) break;
    }
    if (Clock::now() >= next_expiry_check_) {
      ExpireSilentMembers();
      next_expiry_check_ = Clock::now() + sweep_period;
    }
    if (shutdown_ && !finished_) AdvanceShutdown();
  }
  return Status::Ok();
}

Status CoordinatorLoop::ReceiveAndDispatch() {
  std::vector<zmq::message_t> frames;
  try {
    if (!zmq::recv_multipart(*socket_, std::back_inserter(frames),
                             zmq::recv_flags::dontwait)) {
      return Status::Ok();
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return Status::Ok();
    return Status::IoError(std::string("recv: ") + e.what());
  }
  ++counters_.messages;
  Envelope from;
  from.frames.push_back(frames.front().to_string());
  // DEALER: [id, body]. REQ: [id, "", body]. Anything else is garbage, but
  // its sender can still be told so.
  bool req_style = frames.size() == 3 && frames[1].size() == 0;
  if (req_style) from.frames.emplace_back();
  if (frames.size() != 2 && !req_style) {
    BadInput(from, "message of " + std::to_string(frames.size()) +
                       " frames (want 1, or 2 with an empty delimiter)");
    return Status::Ok();
  }
  Dispatch(from, frames.back().to_string_view());
  return Status::Ok();
}

void CoordinatorLoop::Dispatch(const Envelope& from, std::string_view body) {
  Result<Message> decoded = Decode(body);
  if (!decoded.ok()) {
    BadInput(from, "undecodable message: " + decoded.status().message());
    return;
  }
  const Message& message = decoded.value();
  if (const auto* join = std::get_if<Join>(&message)) {
    OnJoin(from, *join);
  } else if (const auto* ping = std::get_if<Ping>(&message)) {
    OnPing(from, *ping);
  } else if (const auto* leave = std::get_if<Leave>(&message)) {
    OnLeave(from, *leave);
  } else if (const auto* request = std::get_if<ClientRequest>(&message)) {
    OnClientRequest(from, *request);
  } else if (const auto* shutdown = std::get_if<Shutdown>(&message)) {
    OnShutdownRequest(from, shutdown->cluster, std::nullopt);
  } else {
    BadInput(from, std::string("unexpected message type ") + MessageName(message));
  }
}

void CoordinatorLoop::OnJoin(const Envelope& from, const Join& join) {
  const MemberInfo& member = join.member;
  if (member.id != from.routing_id()) {
    BadInput(from, "join of node '" + Printable(member.id) +
                       "' from a socket whose routing id differs");
    return;
  }
  if (!IsValidNodeId(member.id) || member.pub.empty() || member.sync.empty()) {
    BadInput(from, "join with an invalid node id or without pub/sync endpoints");
    return;
  }
  if (shutdown_) {
    // Too late to join a cluster that is stopping: stop this node too.
    Send(from, Shutdown{true});
    return;
  }
  bool changed = table_.Join(member, NowMs());
  if (changed) {
    spdlog::info("{} joined ({} pub {} sync {}): epoch {}, {} member(s)", member.id,
                 member.api, member.pub, member.sync, table_.epoch(),
                 table_.Members().size());
  }
  Send(from, Welcome{table_.epoch(), config_.heartbeat_ms, table_.Members()});
  if (changed) Broadcast(member.id);
}

void CoordinatorLoop::OnPing(const Envelope& from, const Ping& ping) {
  if (ping.node_id != from.routing_id()) {
    BadInput(from, "ping for node '" + Printable(ping.node_id) +
                       "' from a socket whose routing id differs");
    return;
  }
  // Every ping is answered with the current table. Nodes judge from these
  // answers that we are alive (silence makes them join again), a member
  // that missed a broadcast catches up, and an unknown node (we restarted,
  // or expired it) sees a table without itself and joins again.
  table_.Touch(ping.node_id, NowMs());
  Send(from, CurrentMembership());
}

void CoordinatorLoop::OnLeave(const Envelope& from, const Leave& leave) {
  if (leave.node_id != from.routing_id()) {
    BadInput(from, "leave for node '" + Printable(leave.node_id) +
                       "' from a socket whose routing id differs");
    return;
  }
  if (shutdown_) shutdown_->waiting.erase(leave.node_id);
  if (!table_.Remove(leave.node_id)) return;
  spdlog::info("{} left: epoch {}, {} member(s)", leave.node_id, table_.epoch(),
               table_.Members().size());
  Broadcast();
}

void CoordinatorLoop::OnClientRequest(const Envelope& from,
                                      const ClientRequest& request) {
  switch (request.op) {
    case ClientOp::kStatus:
      Send(from, CurrentMembership());
      return;
    case ClientOp::kShutdown:
      OnShutdownRequest(from, request.cluster, request.request_id);
      return;
    default:
      BadInput(from, "the coordinator serves only status and shutdown requests",
               request.request_id);
  }
}

void CoordinatorLoop::ExpireSilentMembers() {
  std::vector<std::string> expired = table_.Expire(NowMs(), config_.failure_timeout_ms);
  if (expired.empty()) return;
  counters_.expired += expired.size();
  for (const std::string& id : expired) {
    spdlog::warn("{} silent for more than {} ms: removed", id,
                 config_.failure_timeout_ms);
    if (shutdown_) shutdown_->waiting.erase(id);
  }
  spdlog::info("epoch {}, {} member(s)", table_.epoch(), table_.Members().size());
  Broadcast();
}

Membership CoordinatorLoop::CurrentMembership() const {
  return Membership{table_.epoch(), table_.Members()};
}

void CoordinatorLoop::Broadcast(const std::string& except) {
  const Membership membership = CurrentMembership();
  for (const MemberInfo& member : membership.members) {
    if (member.id != except) SendToMember(member.id, membership);
  }
}

void CoordinatorLoop::SendToMember(const std::string& id, const Message& message) {
  Send(Envelope{{id}}, message);
}

void CoordinatorLoop::Send(const Envelope& to, const Message& message) {
  const std::string body = Encode(message);
  try {
    for (const std::string& frame : to.frames) {
      if (!socket_->send(zmq::buffer(frame),
                         zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        ++counters_.send_failures;  // peer's queue full: it will ask again
        return;
      }
    }
    // Once the first frame is accepted, the rest of the message is too.
    (void)socket_->send(zmq::buffer(body), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH: the peer is gone; it rejoins or expires.
    ++counters_.send_failures;
    spdlog::debug("cannot send {} to {}: {}", MessageName(message),
                  Printable(to.routing_id()), e.what());
  }
}

void CoordinatorLoop::BadInput(const Envelope& from, const std::string& why,
                               std::optional<uint64_t> request_id) {
  ++counters_.bad_input;
  Clock::time_point now = Clock::now();
  if (now >= next_bad_input_log_) {
    spdlog::warn("bad input from {}: {} ({} bad messages so far, {} not logged)",
                 Printable(from.routing_id()), why, counters_.bad_input,
                 bad_input_unlogged_);
    bad_input_unlogged_ = 0;
    next_bad_input_log_ = now + std::chrono::seconds(1);
  } else {
    ++bad_input_unlogged_;
  }
  ClientReply reply;
  reply.request_id = request_id.value_or(0);
  reply.code = Code::kInvalidArgument;
  reply.message = why;
  Send(from, reply);
}

}  // namespace datasync
