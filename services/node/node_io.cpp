// The node's peer-facing sockets: SUB (changes and heartbeats of every
// peer), the sync ROUTER (catch-up served to peers), the per-peer DEALERs
// (our own catch-up) and the coordinator DEALER. Everything received goes
// through Decode, which is total; whatever is malformed, of the wrong type
// or claims a sender it did not come from is counted as bad input and
// dropped. Nothing a peer sends can stop the loop.
#include <spdlog/spdlog.h>

#include "datasync/codec.h"
#include "node_loop.h"
#include "transport/zmq_util.h"

namespace datasync {
namespace {

using transport::RecvResult;
using transport::View;

// Receives one message of exactly `frames` frames. False when nothing more
// is waiting (or the socket failed); *bad is set for a message of another
// shape, which has been consumed.
bool RecvShaped(zmq::socket_t& socket, size_t frames, std::vector<zmq::message_t>* out,
                bool* bad) {
  const RecvResult r = transport::RecvFrames(socket, frames, out);
  *bad =
      r == RecvResult::kTooLarge || (r == RecvResult::kReceived && out->size() != frames);
  return r == RecvResult::kReceived || r == RecvResult::kTooLarge;
}

}  // namespace

bool NodeLoop::DrainSub(size_t budget) {
  std::vector<zmq::message_t> frames;
  const uint64_t wall = ReplicaNowMs();
  const uint64_t now = SteadyMs();
  for (size_t i = 0; i < budget; ++i) {
    bool bad = false;
    if (!RecvShaped(peers_->sub(), 2, &frames, &bad)) return false;
    if (bad) {
      BadInput(&counters_.bad_input_sub, "sub", "expected 2 frames [topic, body]");
      continue;
    }
    Result<Message> m = Decode(View(frames[1]), config_.limits);
    if (!m.ok()) {
      BadInput(&counters_.bad_input_sub, "sub", m.status().message());
      continue;
    }
    if (const auto* hb = std::get_if<Heartbeat>(&m.value())) {
      // Only current peers: a stranger's heartbeats must not grow this map.
      if (peers_->dealer(hb->origin)) heard_ms_[hb->origin] = now;
    } else if (!std::holds_alternative<ChangeBatch>(m.value())) {
      BadInput(&counters_.bad_input_sub, "sub",
               std::string("unexpected ") + MessageName(m.value()));
      continue;
    }
    replica_->OnMessage(std::move(m).value(), wall);
  }
  return true;
}

bool NodeLoop::DrainSync(size_t budget) {
  std::vector<zmq::message_t> frames;
  const uint64_t wall = ReplicaNowMs();
  for (size_t i = 0; i < budget; ++i) {
    bool bad = false;
    if (!RecvShaped(sync_, 2, &frames, &bad)) return false;
    if (bad) {
      BadInput(&counters_.bad_input_sync, "sync", "expected [routing id, body]");
      continue;
    }
    Result<Message> m = Decode(View(frames[1]), config_.limits);
    if (!m.ok()) {
      BadInput(&counters_.bad_input_sync, "sync", m.status().message());
      continue;
    }
    // Pages are routed back by the requester's `from`, which must therefore
    // be the routing id it connected with (its node id).
    const std::string_view sender = View(frames[0]);
    const auto* req = std::get_if<CatchUpRequest>(&m.value());
    const auto* next = std::get_if<CatchUpNext>(&m.value());
    if (!(req && req->from == sender) && !(next && next->from == sender)) {
      BadInput(&counters_.bad_input_sync, "sync",
               std::string("unexpected ") + MessageName(m.value()) +
                   " or sender not its routing id");
      continue;
    }
    replica_->OnMessage(std::move(m).value(), wall);
  }
  return true;
}

bool NodeLoop::DrainPeer(const std::string& peer_id, zmq::socket_t* dealer,
                         size_t budget) {
  if (dealer == nullptr) return false;
  std::vector<zmq::message_t> frames;
  const uint64_t wall = ReplicaNowMs();
  for (size_t i = 0; i < budget; ++i) {
    bool bad = false;
    if (!RecvShaped(*dealer, 1, &frames, &bad)) return false;
    if (bad) {
      BadInput(&counters_.bad_input_sync, "sync", "expected 1 frame from " + peer_id);
      continue;
    }
    Result<Message> m = Decode(View(frames[0]), config_.limits);
    if (!m.ok()) {
      BadInput(&counters_.bad_input_sync, "sync", m.status().message());
      continue;
    }
    const auto* page = std::get_if<CatchUpPage>(&m.value());
    if (!page || page->from != peer_id) {
      BadInput(&counters_.bad_input_sync, "sync",
               std::string("unexpected ") + MessageName(m.value()) + " from " + peer_id);
      continue;
    }
    replica_->OnMessage(std::move(m).value(), wall);
  }
  return true;
}

bool NodeLoop::DrainCoordinator(size_t budget) {
  std::vector<zmq::message_t> frames;
  for (size_t i = 0; i < budget; ++i) {
    bool bad = false;
    if (!RecvShaped(coordinator_->socket(), 1, &frames, &bad)) return false;
    if (bad) {
      BadInput(&counters_.bad_input_coordinator, "coordinator", "expected 1 frame");
      continue;
    }
    Result<Message> m = Decode(View(frames[0]), config_.limits);
    if (!m.ok()) {
      BadInput(&counters_.bad_input_coordinator, "coordinator", m.status().message());
      continue;
    }
    if (!coordinator_->OnMessage(m.value(), SteadyMs())) {
      BadInput(&counters_.bad_input_coordinator, "coordinator",
               std::string("unexpected ") + MessageName(m.value()));
    }
  }
  return true;
}

void NodeLoop::SendMessages(const std::vector<Outgoing>& messages) {
  for (const Outgoing& o : messages) {
    if (o.to.empty()) {
      if (std::holds_alternative<ChangeBatch>(o.message)) {
        Publish("change", o.message);
      } else if (std::holds_alternative<Heartbeat>(o.message)) {
        Publish("heartbeat", o.message);
      } else {
        ++counters_.sends_dropped;  // nothing else is ever broadcast
      }
      continue;
    }
    // Pages answer a peer's DEALER through our sync ROUTER; our own
    // requests go out on our DEALER to that peer.
    zmq::socket_t* socket = nullptr;
    std::vector<std::string> head;
    if (std::holds_alternative<CatchUpPage>(o.message)) {
      socket = &sync_;
      head.push_back(o.to);
    } else {
      socket = peers_->dealer(o.to);
    }
    if (socket == nullptr) {
      ++counters_.sends_dropped;  // not a peer (any more)
      continue;
    }
    if (transport::SendFrames(*socket, head, Encoded(o.message)) !=
        transport::SendResult::kSent) {
      // The replica's catch-up timeouts and anti-entropy repeat what matters.
      ++counters_.sends_dropped;
    }
  }
}

void NodeLoop::Publish(const char* topic, const Message& message) {
  // PUB never blocks: a subscriber over its high-water mark loses messages,
  // which catch-up repairs (ARCHITECTURE §3).
  (void)transport::SendFrames(pub_, {topic}, Encoded(message));
}

const std::string& NodeLoop::Encoded(const Message& message) {
  // One large catch-up page must not pin its memory for the process's life.
  if (encode_buffer_.capacity() > (8u << 20)) encode_buffer_ = std::string();
  encode_buffer_.clear();
  EncodeTo(message, &encode_buffer_);
  return encode_buffer_;
}

void NodeLoop::BadInput(uint64_t* counter, const char* where, const std::string& what) {
  ++*counter;
  uint64_t suppressed = 0;
  if (!log_limiter_.Allow(std::string("bad_input.") + where, SteadyMs(), &suppressed)) {
    return;
  }
  if (suppressed)
    spdlog::warn("({} more bad inputs on {} suppressed)", suppressed, where);
  spdlog::warn("bad input on {}: {}", where, what);
}

}  // namespace datasync
