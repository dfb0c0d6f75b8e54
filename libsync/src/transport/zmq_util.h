// Small helpers over cppzmq shared by the processes of this project (node,
// coordinator, client library).
//
// cppzmq reports failures by throwing zmq::error_t. These helpers are the
// place where that becomes a value: a Status for setup (bind, connect,
// options) and a SendResult for the hot path, so an event loop never has to
// guess which call may throw. Nothing here blocks: sends and receives use
// ZMQ_DONTWAIT. A socket is used only by the thread that made it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "datasync/status.h"

namespace datasync::transport {

struct SocketOptions {
  int linger_ms = 100;             // on close: how long unsent frames may wait
  int64_t max_message_bytes = -1;  // ZMQ_MAXMSGSIZE; -1 keeps libzmq's default
  int sndhwm = -1;                 // -1 keeps libzmq's default (1000)
  int rcvhwm = -1;
  std::string routing_id;         // ZMQ_ROUTING_ID when not empty
  bool router_mandatory = false;  // ROUTER: unroutable sends fail, not vanish
  bool router_handover = false;   // ROUTER: a reconnecting id takes over
  bool immediate = false;         // queue only to completed connections
};

// Applies `options`; kInvalidArgument naming the option libzmq refused.
Status Configure(zmq::socket_ref socket, const SocketOptions& options);

// Bind / connect / disconnect, with the endpoint and libzmq's reason in the
// error (kUnavailable).
Status Bind(zmq::socket_ref socket, const std::string& endpoint);
Status Connect(zmq::socket_ref socket, const std::string& endpoint);
Status Disconnect(zmq::socket_ref socket, const std::string& endpoint);

enum class SendResult {
  kSent,
  kWouldBlock,   // high-water mark reached, or no peer to send to (EAGAIN)
  kUnreachable,  // ROUTER_MANDATORY: no such routing id (EHOSTUNREACH)
  kFailed,       // anything else (socket closed, context terminated)
};

// Sends `head` frames then `last` as one multipart message, without
// blocking. `head` is a routing envelope, a topic, or empty.
SendResult SendFrames(zmq::socket_ref socket, const std::vector<std::string>& head,
                      std::string_view last);

enum class RecvResult {
  kNone,      // nothing was waiting
  kReceived,  // *frames holds one whole message
  kTooLarge,  // more than max_frames frames: the message was read and dropped
  kFailed,    // libzmq error (socket closed, context terminated)
};

// Receives one whole multipart message without blocking. Every frame of it
// is consumed even when it is refused, so the next call starts at a message
// boundary.
RecvResult RecvFrames(zmq::socket_ref socket, size_t max_frames,
                      std::vector<zmq::message_t>* frames);

inline std::string_view View(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

}  // namespace datasync::transport
