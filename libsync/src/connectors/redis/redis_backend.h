// RedisBackend: the ConnectorBackend of a Redis database (redis_open.cpp:
// connect, notifications setup, reconciliation scan, uninstall;
// redis_backend.cpp: capture; redis_apply.cpp: apply).
// Keys under a mapped prefix are records (redis_values.h: key and value).
//
// What the connector keeps in Redis, under `_datasync:<connector>:` (never
// under a mapped prefix, removed by Uninstall):
//   instance  a random id, so that a Redis that lost its data (restarted
//             without persistence, flushed) is recognised as a new one
//   seen      hash key -> content hash of what was last captured (committed
//             by the node) or applied, for every key known present
//   pending   hash key -> content hash ("" deleted) of the capture batch in
//             flight, numbered `batch`
//   ver, vv   the applied version of each key, the vector of the last
//             applied batch
//   config    notify-keyspace-events as it was before Open() changed it
//
// Capture: keyspace notifications (`K$hgxelszt`, enabled by Open()) on a
// subscriber connection mark keys dirty; a dirty key is read (GET or
// HGETALL) and becomes a change when its content hash differs from `seen`.
// Notifications are lost while disconnected, so every Open() subscribes
// first and then SCANs every mapped prefix and every `seen` key: all are
// dirty, and the hash comparison keeps only real differences (changes and
// deletions made while away).
// Crash safety: a batch's hashes go to `pending` (with its number) before
// the batch is sent; the position the node commits is instance:batch. Once
// the node holds it, or at the next open when the committed position names
// that batch, `pending` is merged into `seen`; otherwise it is dropped and
// the keys, still different from `seen`, are captured again. So a batch is
// in `seen` exactly when the node holds it: nothing lost, nothing twice.
// Apply: WATCH the batch's keys, read them and their versions, then one
// MULTI/EXEC writes the values, `ver`, `seen` and `vv`; a key written by
// someone else meanwhile aborts the EXEC and the batch is read again.
// No loops: echo suppression by content hash. Our own writes are notified
// like any other, but `seen` already holds their hash (same transaction),
// so they are dropped on reading.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/connector_backend.h"
#include "connectors/redis/redis_conn.h"
#include "connectors/redis/redis_target.h"
#include "connectors/redis/redis_values.h"

namespace datasync::redis_connector {

class RedisBackend : public ConnectorBackend {
 public:
  explicit RedisBackend(const ConnectorConfig& config);
  ~RedisBackend() override { Close(); }

  Status Open() override;
  void Close() override;
  Result<bool> Poll() override;
  Status ReadChanges(const std::string& after, size_t max, ConnectorCaptured* out,
                     std::vector<ConnectorFailure>* failures) override;
  Status Consumed(const std::string& position) override;
  Result<uint64_t> Backlog(const std::string& after) override;
  Status Apply(const ConnectorApply& batch, const std::string& captured_after,
               ApplyResult* result) override;
  Result<VersionVector> AppliedVector() override;
  Status Uninstall() override;

 private:
  // A key's content now: its hash ("" when absent) and value.
  struct Content {
    std::string hash;
    std::string value;   // string: the bytes; hash: the msgpack map
    std::string error;   // the key holds another type
  };

  std::string Own(const char* what) const { return "_datasync:" + config_.name + ":" + what; }
  Status Connect();
  Status EnableNotifications();
  Status Subscribe();
  Status Reconcile();
  Status ProcessEvents();
  Status Load(const std::string& position);
  // Moves the batch in flight into `seen` (Redis and memory).
  Status CommitInFlight();
  // The command that reads `key` (mapped by `m`), and its reply's content.
  static Command ReadCommand(const ConnectorMapping& m, const std::string& key);
  static Content ContentOf(const ConnectorMapping& m, const redisReply* reply);
  std::string SeenOf(const std::string& key) const;
  Status ApplyOnce(const ConnectorApply& batch, ApplyResult* result, bool* retry);

  ConnectorConfig config_;
  RedisTarget target_;
  std::string target_error_;
  RedisConn cmd_;
  RedisConn sub_;
  std::string channel_prefix_;  // __keyspace@<db>__:

  bool loaded_ = false;
  std::string instance_;
  std::unordered_map<std::string, std::string> seen_;
  std::set<std::string> dirty_;
  uint64_t committed_batch_ = 0;
  uint64_t last_batch_ = 0;
  uint64_t in_flight_batch_ = 0;
  uint64_t next_check_ms_ = 0;
  std::map<std::string, std::string> in_flight_;  // key -> hash, "" deleted
};

}  // namespace datasync::redis_connector
