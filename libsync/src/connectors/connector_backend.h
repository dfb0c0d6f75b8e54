// ConnectorBackend: what one kind of external system must provide so that
// ConnectorDriver can run it (connector.h has the protocol with the node).
//
// The driver owns the thread, the socket, retries with backoff and the
// bookkeeping of positions; a backend only talks to its external system.
// Called from the connector's thread only. Every Status error is treated as
// transient (the system is locked, gone, replaced...): the driver closes the
// backend, waits, and opens it again. A change that can never be captured or
// applied is not an error of the call: it goes to `failures`, with its key.
//
// A new kind of system: a folder libsync/src/connectors/<system>/ with its
// backend and a Make...Backend() below, a ConnectorType value and its name
// in config.h and config/connector_config.cpp (with the `map` keys it
// takes), and a case in ConnectorThread::Start (connector_thread.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasync/config.h"
#include "datasync/connector.h"
#include "datasync/status.h"

namespace datasync {

class ConnectorBackend {
 public:
  virtual ~ConnectorBackend() = default;

  // Connects to the external system, checks that the mapping fits it and
  // installs what capture needs (idempotent).
  virtual Status Open() = 0;
  virtual void Close() = 0;
  // Cheap check, called every few milliseconds while open: true when the
  // external system may hold changes not yet read. An error: it is gone.
  virtual Result<bool> Poll() = 0;

  // Up to `max` changes captured after position `after` (empty, or a
  // position of an earlier instance of the system: from the start), and
  // the position they reach in out->position (unchanged when none).
  virtual Status ReadChanges(const std::string& after, size_t max, ConnectorCaptured* out,
                             std::vector<ConnectorFailure>* failures) = 0;
  // Everything up to `position` is committed by the node: forget it.
  virtual Status Consumed(const std::string& position) = 0;
  // How many changes wait to be read after `after`.
  virtual Result<uint64_t> Backlog(const std::string& after) = 0;

  struct ApplyResult {
    uint64_t applied = 0;
    uint64_t skipped = 0;
    std::vector<ConnectorFailure> failures;
  };
  // Writes the batch in one transaction, with the applied versions and the
  // batch's vector. `captured_after`: the committed capture position, so
  // that a key with a change still to capture is left alone (that change
  // will win). On error nothing of the batch is applied.
  virtual Status Apply(const ConnectorApply& batch, const std::string& captured_after,
                       ApplyResult* result) = 0;
  // The vector stored by the last applied batch that carried one.
  virtual Result<VersionVector> AppliedVector() = 0;

  // Removes what Open() installed.
  virtual Status Uninstall() = 0;
};

std::unique_ptr<ConnectorBackend> MakeSqliteBackend(const ConnectorConfig& config);
std::unique_ptr<ConnectorBackend> MakeFilesBackend(const ConnectorConfig& config);
std::unique_ptr<ConnectorBackend> MakeWebhookBackend(const ConnectorConfig& config);
std::unique_ptr<ConnectorBackend> MakePostgresBackend(const ConnectorConfig& config);
std::unique_ptr<ConnectorBackend> MakeRedisBackend(const ConnectorConfig& config);

}  // namespace datasync
