// Wire constants of protocol version 1, shared by the encoder, the decoder
// and MessageName. docs/wire-format.md is the spec; a change here is a
// change of the protocol and needs a new kProtocolVersion.
#pragma once

#include <cstddef>
#include <cstdint>

#include "datasync/messages.h"

namespace datasync::wire {

// Type numbers are the protocol, not the order of the Message variant:
// never renumber, only append.
enum class MessageType : uint8_t {
  kChangeBatch = 1,
  kHeartbeat = 2,
  kCatchUpRequest = 3,
  kCatchUpNext = 4,
  kCatchUpPage = 5,
  kClientRequest = 6,
  kClientReply = 7,
  kJoin = 8,
  kWelcome = 9,
  kMembership = 10,
  kPing = 11,
  kLeave = 12,
  kShutdown = 13,
};
constexpr uint64_t kMaxMessageType = 13;

// Every message is [protocol version, type, fields...].
constexpr uint32_t kHeaderElements = 2;

// Element counts of the nested arrays.
constexpr uint32_t kRecordFields = 7;      // collection key value deleted hlc origin seq
constexpr uint32_t kMemberFields = 4;      // id api pub sync
constexpr uint32_t kPeerFields = 4;        // id connected lag vv
constexpr uint32_t kNodeStatusFields = 9;  // see docs/wire-format.md
constexpr uint32_t kClientWriteFields = 4; // collection key value deleted

// The deepest legal nesting: envelope > NodeStatus > peers > PeerStatus > vv.
constexpr size_t kMaxDepth = 5;
// The longest fixed-size array: the client_request envelope (2 + 9).
constexpr size_t kMaxFixedArray = 16;

template <MessageType kT, uint32_t kN>
struct TraitsBase {
  static constexpr MessageType kType = kT;
  static constexpr uint32_t kFields = kN;  // after the two header elements
};

template <typename T>
struct Traits;

template <>
struct Traits<ChangeBatch> : TraitsBase<MessageType::kChangeBatch, 2> {
  static constexpr const char* kName = "change_batch";
};
template <>
struct Traits<Heartbeat> : TraitsBase<MessageType::kHeartbeat, 3> {
  static constexpr const char* kName = "heartbeat";
};
template <>
struct Traits<CatchUpRequest> : TraitsBase<MessageType::kCatchUpRequest, 3> {
  static constexpr const char* kName = "catch_up_request";
};
template <>
struct Traits<CatchUpNext> : TraitsBase<MessageType::kCatchUpNext, 3> {
  static constexpr const char* kName = "catch_up_next";
};
template <>
struct Traits<CatchUpPage> : TraitsBase<MessageType::kCatchUpPage, 8> {
  static constexpr const char* kName = "catch_up_page";
};
template <>
struct Traits<ClientRequest> : TraitsBase<MessageType::kClientRequest, 9> {
  static constexpr const char* kName = "client_request";
};
template <>
struct Traits<ClientReply> : TraitsBase<MessageType::kClientReply, 6> {
  static constexpr const char* kName = "client_reply";
};
template <>
struct Traits<Join> : TraitsBase<MessageType::kJoin, 1> {
  static constexpr const char* kName = "join";
};
template <>
struct Traits<Welcome> : TraitsBase<MessageType::kWelcome, 3> {
  static constexpr const char* kName = "welcome";
};
template <>
struct Traits<Membership> : TraitsBase<MessageType::kMembership, 2> {
  static constexpr const char* kName = "membership";
};
template <>
struct Traits<Ping> : TraitsBase<MessageType::kPing, 2> {
  static constexpr const char* kName = "ping";
};
template <>
struct Traits<Leave> : TraitsBase<MessageType::kLeave, 1> {
  static constexpr const char* kName = "leave";
};
template <>
struct Traits<Shutdown> : TraitsBase<MessageType::kShutdown, 1> {
  static constexpr const char* kName = "shutdown";
};

}  // namespace datasync::wire
