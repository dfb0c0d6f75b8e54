// Connectors: one external system tied to a node (ARCHITECTURE §8).
//
// A connector runs on its own thread, where its client library may block,
// and talks to the node's event loop only through messages on an inproc
// ZeroMQ PAIR socket that the node binds before starting it. The node
// never touches the external system and the connector never touches the
// node's store or Replica:
//
//   connector -> node   ConnectorCaptured  changes captured after a position,
//                                          with the position they reach
//                       ConnectorResync    "send me every record beyond this
//                                          vector" (at start, after a reopen
//                                          or after its queue overflowed)
//                       ConnectorFailures  changes it could not map or apply
//                       ConnectorState     state, position, lag, counters
//                       ConnectorUninstalled  answer to ConnectorUninstall
//   node -> connector   ConnectorCaptureAck  the captured batch is committed
//                                          (with its position), or not
//                       ConnectorApply     records the node accepted, in
//                                          commit order, with the vector
//                                          they bring the connector up to
//                       ConnectorUninstall remove triggers, change tables...
//                       ConnectorStop      end the thread
//
// Capture: the node turns each captured change into a local write and
// commits them in one store transaction together with the position (an aux
// entry, ConnectorPositionKey), then acks. The connector sends the next
// batch only after the ack, and restarts after a crash from the committed
// position the node hands to Start(): nothing missed, nothing twice.
// Apply: the connector keeps, inside the external system and in the same
// transaction as what it applied, the version of each key it applied and
// the vector it is up to; so a restart asks for exactly what it lacks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "datasync/config.h"
#include "datasync/record.h"
#include "datasync/status.h"
#include "datasync/version_vector.h"

namespace datasync {

struct CapturedChange {
  std::string collection;
  std::string key;
  std::string value;  // empty when deleted
  bool deleted = false;
  bool operator==(const CapturedChange&) const = default;
};

// A change that could not be captured or applied, reported with its key.
struct ConnectorFailure {
  std::string collection;
  std::string key;
  std::string message;
  bool operator==(const ConnectorFailure&) const = default;
};

struct ConnectorCaptured {
  std::string position;  // opaque to the node; committed with the writes
  std::vector<CapturedChange> changes;
  bool operator==(const ConnectorCaptured&) const = default;
};

struct ConnectorResync {
  VersionVector since;
  bool operator==(const ConnectorResync&) const = default;
};

struct ConnectorFailures {
  std::vector<ConnectorFailure> failures;
  bool operator==(const ConnectorFailures&) const = default;
};

struct ConnectorState {
  std::string state;       // "starting", "running", "retrying", "uninstalled"...
  std::string position;    // last committed capture position
  std::string last_error;  // empty when none
  uint64_t lag = 0;        // changes waiting: to capture plus to apply
  uint64_t errors = 0;     // failed attempts to reach the external system
  uint64_t captured = 0;   // changes captured and committed
  uint64_t applied = 0;    // records written into the external system
  uint64_t skipped = 0;    // records already there, or older than what is there
  uint64_t failed = 0;     // changes that could not be captured or applied
  bool operator==(const ConnectorState&) const = default;
};

struct ConnectorUninstalled {
  Code code = Code::kOk;
  std::string message;
  bool operator==(const ConnectorUninstalled&) const = default;
};

struct ConnectorCaptureAck {
  std::string position;
  bool committed = false;  // false: the commit failed, read again
  bool operator==(const ConnectorCaptureAck&) const = default;
};

struct ConnectorApply {
  std::vector<Record> records;  // at most one per key, in commit order
  VersionVector vv;             // what the connector is up to after these
  bool has_vv = false;          // false: no claim (a page of a resync)
  bool operator==(const ConnectorApply&) const = default;
};

struct ConnectorUninstall {
  bool operator==(const ConnectorUninstall&) const = default;
};

struct ConnectorStop {
  bool operator==(const ConnectorStop&) const = default;
};

using ConnectorToNode = std::variant<ConnectorCaptured, ConnectorResync, ConnectorFailures,
                                     ConnectorState, ConnectorUninstalled>;
using NodeToConnector =
    std::variant<ConnectorCaptureAck, ConnectorApply, ConnectorUninstall, ConnectorStop>;

// msgpack encodings of the messages above. They never leave the process,
// but are decoded as carefully as any other input.
std::string EncodeConnectorMessage(const ConnectorToNode& message);
std::string EncodeConnectorMessage(const NodeToConnector& message);
Result<ConnectorToNode> DecodeConnectorToNode(std::string_view bytes);
Result<NodeToConnector> DecodeNodeToConnector(std::string_view bytes);

// The aux entry of the node's store that holds a connector's committed
// capture position.
std::string ConnectorPositionKey(const std::string& connector_name);

// The thread of one connector. Start() after the node bound `endpoint` (a
// PAIR socket of `context`); the thread connects its own PAIR to it.
// Destroying it sends nothing: call after ConnectorStop was sent, or the
// destructor waits for the thread (which also ends when the context is
// closed).
class ConnectorThread {
 public:
  // `position`: the committed capture position from the node's store
  // (empty when none). Fails only when the connector type is unknown.
  static Result<std::unique_ptr<ConnectorThread>> Start(const ConnectorConfig& config,
                                                        zmq::context_t* context,
                                                        const std::string& endpoint,
                                                        const std::string& position);
  virtual ~ConnectorThread() = default;
  // Waits for the thread to end.
  virtual void Join() = 0;
};

}  // namespace datasync
