#include "transport/zmq_util.h"

#include <cerrno>

namespace datasync::transport {
namespace {

// The C API, because it reports errors through errno instead of throwing.
template <typename T>
Status SetOption(zmq::socket_ref socket, int option, T value, const char* name) {
  if (zmq_setsockopt(socket.handle(), option, &value, sizeof value) != 0) {
    return Status::Invalid(std::string(name) + ": " + zmq_strerror(zmq_errno()));
  }
  return Status::Ok();
}

}  // namespace

Status Configure(zmq::socket_ref socket, const SocketOptions& options) {
  Status s = SetOption(socket, ZMQ_LINGER, options.linger_ms, "ZMQ_LINGER");
  if (s.ok() && options.max_message_bytes >= 0) {
    s = SetOption(socket, ZMQ_MAXMSGSIZE, options.max_message_bytes, "ZMQ_MAXMSGSIZE");
  }
  if (s.ok() && options.sndhwm >= 0) {
    s = SetOption(socket, ZMQ_SNDHWM, options.sndhwm, "ZMQ_SNDHWM");
  }
  if (s.ok() && options.rcvhwm >= 0) {
    s = SetOption(socket, ZMQ_RCVHWM, options.rcvhwm, "ZMQ_RCVHWM");
  }
  if (s.ok() && !options.routing_id.empty() &&
      zmq_setsockopt(socket.handle(), ZMQ_ROUTING_ID, options.routing_id.data(),
                     options.routing_id.size()) != 0) {
    s = Status::Invalid(std::string("ZMQ_ROUTING_ID: ") + zmq_strerror(zmq_errno()));
  }
  if (s.ok() && options.router_mandatory) {
    s = SetOption(socket, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY");
  }
  if (s.ok() && options.router_handover) {
    s = SetOption(socket, ZMQ_ROUTER_HANDOVER, 1, "ZMQ_ROUTER_HANDOVER");
  }
  if (s.ok() && options.immediate) {
    s = SetOption(socket, ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE");
  }
  return s;
}

Status Bind(zmq::socket_ref socket, const std::string& endpoint) {
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot bind " + endpoint + ": " + e.what());
  }
  return Status::Ok();
}

Status Connect(zmq::socket_ref socket, const std::string& endpoint) {
  try {
    socket.connect(endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot connect to " + endpoint + ": " + e.what());
  }
  return Status::Ok();
}

Status Disconnect(zmq::socket_ref socket, const std::string& endpoint) {
  try {
    socket.disconnect(endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot disconnect from " + endpoint + ": " + e.what());
  }
  return Status::Ok();
}

SendResult SendFrames(zmq::socket_ref socket, const std::vector<std::string>& head,
                      std::string_view last) {
  try {
    for (const std::string& frame : head) {
      // Only the first frame can meet EAGAIN or EHOSTUNREACH: once libzmq
      // accepted it, the rest of the message is accepted too.
      if (!socket.send(zmq::buffer(frame),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return SendResult::kWouldBlock;
      }
    }
    if (!socket.send(zmq::buffer(last.data(), last.size()), zmq::send_flags::dontwait)) {
      return SendResult::kWouldBlock;
    }
  } catch (const zmq::error_t& e) {
    return e.num() == EHOSTUNREACH ? SendResult::kUnreachable : SendResult::kFailed;
  }
  return SendResult::kSent;
}

RecvResult RecvFrames(zmq::socket_ref socket, size_t max_frames,
                      std::vector<zmq::message_t>* frames) {
  frames->clear();
  bool too_many = false;
  try {
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::dontwait)) return RecvResult::kNone;
    for (;;) {
      const bool more = frame.more();
      if (frames->size() < max_frames) {
        frames->push_back(std::move(frame));
      } else {
        too_many = true;
      }
      if (!more) break;
      frame = zmq::message_t();
      // The remaining frames of a message are already queued: this does not
      // wait.
      if (!socket.recv(frame, zmq::recv_flags::none)) return RecvResult::kFailed;
    }
  } catch (const zmq::error_t&) {
    frames->clear();
    return RecvResult::kFailed;
  }
  if (too_many) {
    frames->clear();
    return RecvResult::kTooLarge;
  }
  return RecvResult::kReceived;
}

}  // namespace datasync::transport
