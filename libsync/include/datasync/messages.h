// Every message nodes, the coordinator and clients exchange (ARCHITECTURE §4).
//
// Plain structs; codec.h turns them into msgpack bytes and back. docs/
// wire-format.md is the spec of their encoding.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "datasync/record.h"
#include "datasync/status.h"
#include "datasync/version_vector.h"

namespace datasync {

constexpr uint32_t kProtocolVersion = 1;

// --- replication (node <-> node) ---

// A node's own writes, published on its PUB socket (topic frame first).
struct ChangeBatch {
  std::string origin;
  std::vector<Record> records;  // every record's version.origin == origin
  bool operator==(const ChangeBatch&) const = default;
};

// Published periodically: the sender's clock and version vector.
struct Heartbeat {
  std::string origin;
  HlcTimestamp hlc = 0;
  VersionVector vv;
  bool operator==(const Heartbeat&) const = default;
};

// "Send me everything beyond my vector", to a peer's sync socket.
struct CatchUpRequest {
  std::string from;
  uint64_t request_id = 0;
  VersionVector since;
  bool operator==(const CatchUpRequest&) const = default;
};

// The requester applied the last page: send the next one.
struct CatchUpNext {
  std::string from;
  uint64_t request_id = 0;
  uint64_t page = 0;  // the number of the page received (CatchUpPage::page)
  bool operator==(const CatchUpNext&) const = default;
};

// One page of a catch-up answer, all pages read from one snapshot. The last
// page has done = true and the snapshot's vector; an error ends the session.
struct CatchUpPage {
  std::string from;
  uint64_t request_id = 0;
  std::vector<Record> records;
  bool done = false;
  VersionVector vv;              // set when done
  Code error = Code::kOk;
  std::string error_message;
  // Unique among all pages the responder ever sends (its incarnation in the
  // high 32 bits, a counter below), and rising. The responder serves the
  // next page of a session only to a CatchUpNext naming the page before it,
  // so a requester can hold the last page only after all the others of that
  // same session, even when the responder restarted and answered a
  // duplicate of the request afresh from a new snapshot.
  uint64_t page = 0;
  bool operator==(const CatchUpPage&) const = default;
};

// --- clients (syncctl, loadgen, apps) <-> node api ---

enum class ClientOp : uint8_t {
  kPut = 1,
  kGet = 2,
  kDelete = 3,
  kScan = 4,
  kStatus = 5,
  kDigest = 6,
  kWatch = 7,      // stream every applied change until the client goes away
  kShutdown = 8,   // this node, or the cluster when `cluster`
  kConnectors = 9, // list connectors
  kUninstallConnector = 10,
  kWriteBatch = 11,  // `writes`, all or none; the reply names the last one
};
constexpr uint8_t kMaxClientOp = 11;

// One write of a kWriteBatch request: a put, or a delete when `deleted`.
struct ClientWrite {
  std::string collection;
  std::string key;
  std::string value;
  bool deleted = false;
  bool operator==(const ClientWrite&) const = default;
};

struct ClientRequest {
  uint64_t request_id = 0;
  ClientOp op = ClientOp::kGet;
  std::string collection;
  std::string key;     // kUninstallConnector: the connector's name
  std::string value;
  std::string prefix;  // kScan
  uint64_t limit = 0;  // kScan; 0 = no limit
  bool cluster = false;
  std::vector<ClientWrite> writes;  // kWriteBatch
  bool operator==(const ClientRequest&) const = default;
};

struct PeerStatus {
  std::string id;
  bool connected = false;
  uint64_t lag = 0;  // writes the peer's last heartbeat shows we lack
  VersionVector vv;
  bool operator==(const PeerStatus&) const = default;
};

struct NodeStatus {
  std::string node_id;
  std::string mode;
  std::string store;
  VersionVector vv;
  std::vector<PeerStatus> peers;
  uint64_t records = 0;
  uint64_t tombstones = 0;
  std::map<std::string, uint64_t> counters;  // bad_input, catch_up_*, ...
  std::map<std::string, std::string> info;   // free-form (connector states)
  bool operator==(const NodeStatus&) const = default;
};

struct ClientReply {
  uint64_t request_id = 0;
  Code code = Code::kOk;
  std::string message;          // error text when code != kOk
  std::vector<Record> records;  // get, scan, watch
  std::string digest;           // digest
  std::optional<NodeStatus> status;
  bool operator==(const ClientReply&) const = default;
};

// --- membership (node <-> coordinator) ---

struct MemberInfo {
  std::string id;
  std::string api;
  std::string pub;
  std::string sync;
  bool operator==(const MemberInfo&) const = default;
};

struct Join {
  MemberInfo member;
  bool operator==(const Join&) const = default;
};

struct Welcome {
  uint64_t epoch = 0;
  uint64_t heartbeat_ms = 0;  // how often the coordinator wants a Ping
  std::vector<MemberInfo> members;
  bool operator==(const Welcome&) const = default;
};

struct Membership {
  uint64_t epoch = 0;
  std::vector<MemberInfo> members;
  bool operator==(const Membership&) const = default;
};

// Node -> coordinator liveness.
struct Ping {
  std::string node_id;
  uint64_t epoch = 0;  // the last epoch the node saw
  bool operator==(const Ping&) const = default;
};

struct Leave {
  std::string node_id;
  bool operator==(const Leave&) const = default;
};

// Coordinator -> node: stop gracefully. Client -> coordinator: stop the cluster.
struct Shutdown {
  bool cluster = false;
  bool operator==(const Shutdown&) const = default;
};

using Message =
    std::variant<ChangeBatch, Heartbeat, CatchUpRequest, CatchUpNext, CatchUpPage,
                 ClientRequest, ClientReply, Join, Welcome, Membership, Ping, Leave,
                 Shutdown>;

// "change_batch", "heartbeat", ... for logs and counters.
const char* MessageName(const Message& message);

}  // namespace datasync
