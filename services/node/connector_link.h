// ConnectorLink: the node's end of one connector (datasync/connector.h):
// its PAIR socket, its thread, the last state it reported and what the
// current group commit owes it. Owned and used by the node's loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "datasync/config.h"
#include "datasync/connector.h"

namespace datasync {

struct ConnectorLink {
  ConnectorConfig config;
  std::set<std::string> collections;  // mapped, for the apply filter
  zmq::socket_t socket;
  std::unique_ptr<ConnectorThread> thread;
  ConnectorState state;

  // The captured batch waiting for the commit that holds it.
  std::optional<std::string> pending_position;
  // Seqs of this flush's local writes that this connector captured: not
  // sent back to it, they are already there.
  std::set<uint64_t> captured_seqs;
  uint64_t failures = 0;  // changes not captured or not applied (logged)
  uint64_t resyncs = 0;

  // A client waiting for `connector uninstall`.
  std::optional<std::vector<std::string>> uninstall_envelope;
  uint64_t uninstall_request_id = 0;
};

}  // namespace datasync
