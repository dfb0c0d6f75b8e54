// ConnectorDriver: the loop of one connector thread (connector.h).
//
// Owns the thread's PAIR socket and a ConnectorBackend. It polls the socket
// and the backend every few milliseconds, sends one captured batch at a
// time and waits for the node's ack before reading the next, queues the
// node's apply batches and writes them in order, and reports its state.
// Apply batches that arrived before a capture ack are written before the
// batch counts as committed (so its keys are still left alone), or dropped
// and asked for again: they predate the captured changes.
// When the external system is locked (kBusy) the driver waits and tries
// again with the same doubling backoff, keeping everything. When the
// backend fails otherwise it is closed and reopened with a doubling backoff
// (kMinBackoffMs .. kMaxBackoffMs); nothing queued is lost meanwhile: the
// apply queue waits, or, past kMaxQueuedRecords, is dropped and asked for
// again from the vector the backend stored (ConnectorResync).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "connectors/connector_backend.h"

namespace datasync {

class ConnectorDriver {
 public:
  static constexpr uint64_t kPollMs = 2;
  static constexpr uint64_t kMinBackoffMs = 100;
  static constexpr uint64_t kMaxBackoffMs = 5000;
  static constexpr uint64_t kStateEveryMs = 200;
  static constexpr size_t kCaptureBatch = 1024;
  static constexpr size_t kMaxQueuedRecords = 200000;

  ConnectorDriver(ConnectorConfig config, std::unique_ptr<ConnectorBackend> backend,
                  std::string position);

  // Connects a PAIR socket of `context` to `endpoint` and runs until
  // ConnectorStop or the context is closed.
  void Run(zmq::context_t* context, const std::string& endpoint);

 private:
  enum class Phase { kClosed, kOpen, kUninstalled };

  void Send(const ConnectorToNode& message);
  // False when the thread must end.
  bool Drain();
  bool OnMessage(NodeToConnector message);
  void OnAck(const ConnectorCaptureAck& ack);
  void TryOpen(uint64_t now);
  void Fail(const Status& error, uint64_t now);
  void Consume(uint64_t now);
  void Capture(uint64_t now);
  void ApplyQueued(uint64_t now);
  void SendState(uint64_t now, bool force);
  std::string PhaseName() const;

  ConnectorConfig config_;
  std::unique_ptr<ConnectorBackend> backend_;
  std::optional<zmq::socket_t> socket_;

  Phase phase_ = Phase::kClosed;
  uint64_t backoff_ms_ = kMinBackoffMs;
  uint64_t next_open_ms_ = 0;
  // Open, but the external system said "busy" (locked): wait until then.
  uint64_t paused_until_ms_ = 0;
  bool failed_ = false;  // in this round of the loop

  std::string committed_;           // capture position the node committed
  std::optional<std::string> in_flight_;  // position of the batch awaiting its ack
  uint64_t in_flight_changes_ = 0;
  bool capture_wanted_ = true;
  bool consume_pending_ = false;  // committed rows still to delete

  std::deque<ConnectorApply> queue_;
  size_t queued_records_ = 0;
  bool resync_needed_ = false;

  ConnectorState state_;
  ConnectorState sent_state_;
  uint64_t next_state_ms_ = 0;
};

}  // namespace datasync
