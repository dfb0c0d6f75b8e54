// NodeClient: talks to a node's api socket (or the coordinator's) over
// ZeroMQ, for syncctl, sync-loadgen, tests and applications.
//
// A NodeClient owns one DEALER socket connected to one endpoint. Requests
// are ClientRequest messages; the client numbers them (request_id) and pairs
// each reply with its request, so a reply that arrives after its request
// timed out is recognised and dropped instead of answering the next call.
//
// Thread rules (the ZeroMQ guide's): one context per process, shared by all
// threads (ProcessContext()); one NodeClient per thread, created, used and
// destroyed by that thread only. A NodeClient is movable, not copyable, and
// not thread-safe. Nothing here throws: ZeroMQ and codec errors come back as
// Status values.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "datasync/codec.h"
#include "datasync/messages.h"
#include "datasync/status.h"

namespace datasync {

// The process's one ZeroMQ context, created on first use (thread-safe) and
// deliberately never destroyed: terminating a context blocks until every
// socket of every thread is closed, which must not hold up process exit.
zmq::context_t& ProcessContext();

struct ClientOptions {
  // Limits applied when decoding replies; the socket also refuses frames
  // larger than limits.max_message_bytes.
  CodecLimits limits;
  // Outgoing and incoming queue bounds, in messages (0: unlimited). A load
  // generator that pipelines many requests may raise them.
  int sndhwm = 100000;
  int rcvhwm = 100000;
  // Empty: ZeroMQ picks a random routing id, which is what clients want. A
  // fixed id lets a restarted client take over its predecessor's replies.
  std::string routing_id;
};

class NodeClient {
 public:
  // Creates the socket and starts connecting to `endpoint` in the
  // background; it never waits for the server. Fails (kInvalidArgument)
  // when ZeroMQ rejects the endpoint or an option.
  static Result<NodeClient> Connect(zmq::context_t& context, const std::string& endpoint,
                                    const ClientOptions& options = {});

  NodeClient(NodeClient&&) = default;
  NodeClient& operator=(NodeClient&&) = default;

  const std::string& endpoint() const { return endpoint_; }

  // Sends `request` with a fresh request_id (any id it carries is replaced)
  // and waits up to timeout_ms for the reply with that id. Returns the reply
  // whatever its code: a reply carrying an error is still an answer. Fails
  // with kUnavailable "no answer from EP within N ms" when the server is not
  // reachable or does not answer in time. A request that timed out may
  // still reach the server later (ZeroMQ queues it until it connects), so
  // a timed-out write may or may not have been applied: retry writes only
  // when doing them twice is harmless (it is for put and del).
  Result<ClientReply> Call(ClientRequest request, int timeout_ms);

  // Pipelining, for load generators: Send() queues one request and returns
  // the request_id it assigned, waiting at most timeout_ms for room in the
  // outgoing queue (full after sndhwm requests: kUnavailable). Receive() waits up
  // to timeout_ms for at least one reply, then also takes every reply that
  // is already queued; an empty vector means none came in time. Replies
  // that cannot be decoded are counted in bad_replies() and skipped.
  Result<uint64_t> Send(ClientRequest request, int timeout_ms = 1000);
  Result<std::vector<ClientReply>> Receive(int timeout_ms);

  // Sends any message and returns the first decodable one that comes back
  // within timeout_ms, for servers that answer with other types (the
  // coordinator answers a status request with a Membership). When `message`
  // is a ClientRequest it gets a fresh request_id and ClientReplies with
  // another id are dropped, as in Call().
  Result<Message> CallRaw(const Message& message, int timeout_ms);

  // The change feed: sends kWatch for `collection` (empty: every
  // collection), renews it every renew_ms (the node drops a watch that is
  // not renewed) and calls on_record with every record of every watch
  // reply, in arrival order, from this thread. Returns Ok once `stop` is
  // true (checked at least every 100 ms); fails with kUnavailable when the
  // first kWatch gets no answer within timeout_ms, or with the error the
  // node answered (such as kRefused). After the first answer it rides out
  // node restarts: renewals resume the feed, changes made while the node
  // was unreachable are not replayed.
  Status Watch(const std::string& collection,
               const std::function<void(const Record&)>& on_record,
               const std::atomic<bool>& stop, int timeout_ms, int renew_ms = 3000);

  // Replies dropped because they could not be decoded, were not client
  // replies, or answered a request that had already timed out.
  uint64_t bad_replies() const { return bad_replies_; }
  uint64_t stale_replies() const { return stale_replies_; }

 private:
  using Clock = std::chrono::steady_clock;

  NodeClient(zmq::socket_t socket, std::string endpoint, CodecLimits limits);

  // True when the socket is ready for `events` before `deadline`; false on
  // timeout or when a signal interrupted the wait.
  Result<bool> WaitFor(short events, Clock::time_point deadline);
  // Sends `bytes` once the socket accepts it; false when `deadline` passed.
  Result<bool> SendBefore(const std::string& bytes, Clock::time_point deadline);
  // One decoded message, or an empty optional on timeout or interruption.
  // Undecodable frames are counted and yield an empty optional too.
  Result<std::optional<Message>> ReceiveBefore(Clock::time_point deadline);
  Status NoAnswer(int timeout_ms) const;

  zmq::socket_t socket_;
  std::string endpoint_;
  CodecLimits limits_;
  uint64_t next_request_id_;
  uint64_t bad_replies_ = 0;
  uint64_t stale_replies_ = 0;
};

}  // namespace datasync
