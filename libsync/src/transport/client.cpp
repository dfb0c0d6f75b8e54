// NodeClient: the DEALER side of the api protocol. Every zmq::error_t is
// caught here and turned into a Status (STYLE: no exception crosses libsync).

#include "datasync/client.h"

#include <algorithm>
#include <random>
#include <utility>
#include <zmq_addon.hpp>

namespace datasync {
namespace {

using Clock = std::chrono::steady_clock;

// Waits are sliced so that Watch() notices its stop flag promptly.
constexpr auto kMaxSlice = std::chrono::milliseconds(100);
// Receive() hands back at most this many replies per call.
constexpr size_t kMaxBatch = 4096;

Status ZmqStatus(const char* what, const zmq::error_t& e) {
  return Status::IoError(std::string(what) + ": " + e.what());
}

// Request ids start at a random point so that a client reusing a fixed
// routing id never takes its predecessor's late replies for its own.
uint64_t RandomFirstRequestId() {
  std::random_device device;
  return (uint64_t{device()} << 20) + 1;
}

// Rounded up: rounding down would turn the last millisecond of every wait
// into a busy loop of zero-timeout polls.
std::chrono::milliseconds Remaining(Clock::time_point deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), kMaxSlice);
}

}  // namespace

zmq::context_t& ProcessContext() {
  static zmq::context_t* context = new zmq::context_t(1);
  return *context;
}

NodeClient::NodeClient(zmq::socket_t socket, std::string endpoint, CodecLimits limits)
    : socket_(std::move(socket)),
      endpoint_(std::move(endpoint)),
      limits_(limits),
      next_request_id_(RandomFirstRequestId()) {}

Result<NodeClient> NodeClient::Connect(zmq::context_t& context,
                                       const std::string& endpoint,
                                       const ClientOptions& options) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    // Not ZMQ_IMMEDIATE, although it would keep requests for a node that is
    // down from being delivered once it is back: with it, libzmq discards
    // the replies still unread when the connection drops, and a server that
    // answers and then exits (shutdown) would lose its answer. A request
    // that timed out may therefore still be delivered later; its reply is
    // then recognised as stale.
    socket.set(zmq::sockopt::sndhwm, options.sndhwm);
    socket.set(zmq::sockopt::rcvhwm, options.rcvhwm);
    socket.set(zmq::sockopt::maxmsgsize,
               static_cast<int64_t>(options.limits.max_message_bytes));
    if (!options.routing_id.empty()) {
      socket.set(zmq::sockopt::routing_id, options.routing_id);
    }
    socket.connect(endpoint);
    return NodeClient(std::move(socket), endpoint, options.limits);
  } catch (const zmq::error_t& e) {
    return Status::Invalid("cannot connect to " + endpoint + ": " + e.what());
  }
}

Status NodeClient::NoAnswer(int timeout_ms) const {
  return Status::Unavailable("no answer from " + endpoint_ + " within " +
                             std::to_string(timeout_ms) + " ms");
}

Result<bool> NodeClient::WaitFor(short events, Clock::time_point deadline) {
  zmq::pollitem_t item{socket_.handle(), 0, events, 0};
  try {
    do {
      if (zmq::poll(&item, 1, Remaining(deadline)) > 0) return true;
    } while (Clock::now() < deadline);
    return false;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    return ZmqStatus("poll", e);
  }
}

Result<bool> NodeClient::SendBefore(const std::string& bytes,
                                    Clock::time_point deadline) {
  Result<bool> ready = WaitFor(ZMQ_POLLOUT, deadline);
  if (!ready.ok() || !ready.value()) return ready;
  try {
    auto sent = socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
    return sent.has_value();
  } catch (const zmq::error_t& e) {
    return ZmqStatus("send", e);
  }
}

Result<std::optional<Message>> NodeClient::ReceiveBefore(Clock::time_point deadline) {
  Result<bool> ready = WaitFor(ZMQ_POLLIN, deadline);
  if (!ready.ok()) return ready.status();
  if (!ready.value()) return std::optional<Message>();
  std::vector<zmq::message_t> frames;
  try {
    auto got = zmq::recv_multipart(socket_, std::back_inserter(frames),
                                   zmq::recv_flags::dontwait);
    if (!got) return std::optional<Message>();
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return std::optional<Message>();
    return ZmqStatus("recv", e);
  }
  // A server may put an empty delimiter before the body (REQ style).
  bool framed = !frames.empty() &&
                std::all_of(frames.begin(), frames.end() - 1,
                            [](const zmq::message_t& f) { return f.size() == 0; });
  if (!framed) {
    ++bad_replies_;
    return std::optional<Message>();
  }
  Result<Message> decoded = Decode(frames.back().to_string_view(), limits_);
  if (!decoded.ok()) {
    ++bad_replies_;
    return std::optional<Message>();
  }
  return std::optional<Message>(std::move(decoded).value());
}

Result<ClientReply> NodeClient::Call(ClientRequest request, int timeout_ms) {
  Result<Message> reply = CallRaw(Message(std::move(request)), timeout_ms);
  if (!reply.ok()) return reply.status();
  if (auto* client_reply = std::get_if<ClientReply>(&reply.value())) {
    return std::move(*client_reply);
  }
  ++bad_replies_;
  return Status::Corruption("unexpected " + std::string(MessageName(reply.value())) +
                            " from " + endpoint_ + " in answer to a request");
}

Result<Message> NodeClient::CallRaw(const Message& message, int timeout_ms) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  Message outgoing = message;
  uint64_t id = 0;
  if (auto* request = std::get_if<ClientRequest>(&outgoing)) {
    id = request->request_id = next_request_id_++;
  }
  Result<bool> sent = SendBefore(Encode(outgoing), deadline);
  if (!sent.ok()) return sent.status();
  if (!sent.value()) return NoAnswer(timeout_ms);
  while (Clock::now() < deadline) {
    Result<std::optional<Message>> got = ReceiveBefore(deadline);
    if (!got.ok()) return got.status();
    if (!got.value().has_value()) continue;
    Message& answer = *got.value();
    const auto* reply = std::get_if<ClientReply>(&answer);
    if (id != 0 && reply != nullptr && reply->request_id != id) {
      ++stale_replies_;
      continue;
    }
    return std::move(answer);
  }
  return NoAnswer(timeout_ms);
}

Result<uint64_t> NodeClient::Send(ClientRequest request, int timeout_ms) {
  request.request_id = next_request_id_++;
  const uint64_t id = request.request_id;
  Result<bool> sent =
      SendBefore(Encode(Message(std::move(request))),
                 Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0)));
  if (!sent.ok()) return sent.status();
  if (!sent.value()) {
    return Status::Unavailable("cannot send to " + endpoint_ + " within " +
                               std::to_string(timeout_ms) + " ms");
  }
  return id;
}

Result<std::vector<ClientReply>> NodeClient::Receive(int timeout_ms) {
  Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  std::vector<ClientReply> replies;
  while (replies.size() < kMaxBatch) {
    Result<std::optional<Message>> got = ReceiveBefore(deadline);
    if (!got.ok()) return got.status();
    if (got.value().has_value()) {
      if (auto* reply = std::get_if<ClientReply>(&*got.value())) {
        replies.push_back(std::move(*reply));
      } else {
        ++bad_replies_;
      }
    } else if (Clock::now() >= deadline) {
      break;
    }
    // Once something came, take only what is already queued.
    if (!replies.empty()) deadline = Clock::now();
  }
  return replies;
}

Status NodeClient::Watch(const std::string& collection,
                         const std::function<void(const Record&)>& on_record,
                         const std::atomic<bool>& stop, int timeout_ms, int renew_ms) {
  ClientRequest request;
  request.op = ClientOp::kWatch;
  request.collection = collection;
  // Every renewal gets its own id; replies to any of them belong to the feed,
  // while replies to calls made before the watch are older than first_id.
  const uint64_t first_id = next_request_id_;
  const auto renew_period = std::chrono::milliseconds(std::max(renew_ms, 1));
  const Clock::time_point answer_deadline =
      Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0));
  Clock::time_point next_renew = Clock::now();
  bool answered = false;
  while (!stop.load()) {
    Clock::time_point now = Clock::now();
    if (!answered && now >= answer_deadline) return NoAnswer(timeout_ms);
    if (now >= next_renew) {
      request.request_id = next_request_id_++;
      // A renewal that cannot be queued now (node down) waits for the next
      // period; the feed resumes once the node is back.
      Clock::time_point send_by = answered ? now : answer_deadline;
      Result<bool> sent = SendBefore(Encode(Message(request)), send_by);
      if (!sent.ok()) return sent.status();
      next_renew = Clock::now() + renew_period;
    }
    Clock::time_point wait_until = std::min(next_renew, Clock::now() + kMaxSlice);
    if (!answered) wait_until = std::min(wait_until, answer_deadline);
    Result<std::optional<Message>> got = ReceiveBefore(wait_until);
    if (!got.ok()) return got.status();
    if (!got.value().has_value()) continue;
    const auto* reply = std::get_if<ClientReply>(&*got.value());
    if (reply == nullptr) {
      ++bad_replies_;
      continue;
    }
    if (reply->request_id < first_id || reply->request_id >= next_request_id_) {
      ++stale_replies_;
      continue;
    }
    if (reply->code != Code::kOk) return Status(reply->code, reply->message);
    answered = true;
    for (const Record& record : reply->records) on_record(record);
  }
  return Status::Ok();
}

}  // namespace datasync
