// Configuration of the node and coordinator processes (ARCHITECTURE §6).
//
// A config file is YAML. Loading validates every key: unknown keys, wrong
// types, out-of-range numbers, bad ids and endpoints and missing required
// keys are errors, reported as one line `FILE:LINE: key.path: what is wrong`
// (a Status of kInvalidArgument; kIoError when the file cannot be read).
// Keys that are absent take the defaults below, which are also the defaults
// of ReplicaOptions and CodecLimits. The result is a plain value, ready to
// hand to the node loop; nothing here throws. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasync/codec.h"
#include "datasync/replica.h"
#include "datasync/status.h"

namespace datasync {

enum class StoreType { kRocksDb, kSqlite, kMemory };
// "rocksdb", "sqlite", "memory": the names used in config files.
const char* StoreTypeName(StoreType type);

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
// "trace", "debug", "info", "warn", "error", "off".
const char* LogLevelName(LogLevel level);

// The sockets this node binds.
struct NodeEndpoints {
  std::string api;   // ROUTER: clients
  std::string pub;   // PUB: own changes and heartbeats
  std::string sync;  // ROUTER: catch-up served to peers
  bool operator==(const NodeEndpoints&) const = default;
};

// A static peer: known without a coordinator.
struct PeerConfig {
  std::string id;
  std::string pub;   // its PUB socket, which we SUBscribe to
  std::string sync;  // its catch-up socket
  bool operator==(const PeerConfig&) const = default;
};

struct StoreConfig {
  StoreType type = StoreType::kRocksDb;
  bool sync = false;  // fsync per group commit (survives power loss)
};

// connectors: one external system tied to this node (ARCHITECTURE §8).
enum class ConnectorType { kSqlite, kFiles, kWebhook, kPostgres, kRedis };
// "sqlite", "files", "webhook", "postgres", "redis": the names used in config files.
const char* ConnectorTypeName(ConnectorType type);

enum class ConnectorDirection { kBoth, kCaptureOnly, kApplyOnly };
// "both", "capture-only", "apply-only".
const char* ConnectorDirectionName(ConnectorDirection direction);

// redis: how a key under a mapped prefix holds a record's value.
enum class RedisType { kString, kHash };

// One `map` entry: an external table (or folder, prefix...) and the
// collection it is tied to. files and webhook entries name only a
// collection (table empty): the folder or URL is the connector's target.
struct ConnectorMapping {
  std::string table;  // redis: the key prefix
  std::string collection;
  RedisType redis_type = RedisType::kString;  // redis: `type: string | hash`
  bool operator==(const ConnectorMapping&) const = default;
};

// files: how a file holds a record's value (files_format.h).
enum class FilesFormat { kBytes, kJson };

struct ConnectorConfig {
  std::string name;    // [A-Za-z0-9_-]{1,64}, unique within the node
  ConnectorType type = ConnectorType::kSqlite;
  std::string target;  // sqlite: the application's database file; files: the
                       // folder; webhook: the http:// URL changes are POSTed to;
                       // postgres: a libpq connection string
  ConnectorDirection direction = ConnectorDirection::kBoth;
  std::vector<ConnectorMapping> map;  // at least one; tables and collections unique
  // files: bigger files are reported and skipped, never truncated. Defaults
  // to limits.max_value_bytes, and may not exceed it.
  uint64_t max_file_size = 0;
  FilesFormat format = FilesFormat::kBytes;  // files: `format: bytes | json`
  bool captures() const { return direction != ConnectorDirection::kApplyOnly; }
  bool applies() const { return direction != ConnectorDirection::kCaptureOnly; }
  bool operator==(const ConnectorConfig&) const = default;
};

struct NodeConfig {
  std::string file;  // what it was loaded from, for messages

  // node.id, node.mode and the replication tuning; limits.max_key_bytes and
  // limits.max_value_bytes are copied in too.
  ReplicaOptions replica;
  CodecLimits limits;

  // Where the store lives. Relative paths are relative to the working
  // directory of the process, not to the config file.
  std::string data_dir;
  StoreConfig store;

  NodeEndpoints endpoints;
  // What the coordinator tells peers and clients: endpoints.advertise, each
  // defaulting to the bound endpoint. They differ where a node binds every
  // interface (a container, a pod) and is reached by a host name.
  NodeEndpoints advertised;
  std::optional<std::string> coordinator;  // absent: static peers only
  std::vector<PeerConfig> peers;

  // Group commit: the loop commits once this much time has passed since the
  // first uncommitted write, or once this many writes are waiting.
  uint64_t group_commit_ms = 1;
  size_t group_commit_max = 4096;
  // Client requests queued before the node answers kBusy.
  size_t max_pending_requests = 100000;
  // Bytes of changes sent to one watcher between two renewals of its watch;
  // beyond, its replies are dropped (counted). Bounds the memory a watcher
  // that stopped reading holds in the node's queues.
  size_t max_watch_bytes = 128 << 20;
  // ZeroMQ high-water marks (messages) of the node's sockets; 0 is unlimited.
  int sndhwm = 100000;
  int rcvhwm = 100000;
  // What the PUB socket may queue for one subscriber, counted as full
  // publish batches (replica.publish_batch_bytes): its high-water mark is at
  // most this over the batch size. A peer that stops reading then holds at
  // most this much of the node's memory; what it misses, catch-up repairs.
  uint64_t pub_queue_bytes = 256 << 20;

  LogLevel log_level = LogLevel::kInfo;

  std::vector<ConnectorConfig> connectors;

  const std::string& id() const { return replica.node_id; }
};

struct CoordinatorConfig {
  std::string file;  // empty when built from flags
  std::string bind;  // ROUTER endpoint the nodes connect to
  // A node silent this long is removed from the membership.
  uint64_t failure_timeout_ms = 3000;
  // How often nodes are told to ping; at most half of failure_timeout_ms,
  // so that one lost ping does not remove a node.
  uint64_t heartbeat_ms = 500;
  LogLevel log_level = LogLevel::kInfo;
};

// Reads and validates the node config at `path`. Error messages name `path`
// as given.
Result<NodeConfig> LoadNodeConfig(const std::string& path);
// Validates `yaml_text`; `file_name` is used in error messages and copied
// into NodeConfig::file.
Result<NodeConfig> ParseNodeConfig(const std::string& yaml_text,
                                   const std::string& file_name);

Result<CoordinatorConfig> LoadCoordinatorConfig(const std::string& path);
Result<CoordinatorConfig> ParseCoordinatorConfig(const std::string& yaml_text,
                                                 const std::string& file_name);

// Whether this process binds the endpoint (a wildcard host is allowed) or
// connects to it.
enum class EndpointUse { kBind, kConnect };

// Ok when `endpoint` is a ZeroMQ endpoint this project can use:
// tcp://HOST:PORT (PORT 1-65535; HOST a name, an IPv4 address, [IPv6], or *
// when binding), ipc://PATH (at most 107 bytes) or inproc://NAME. Otherwise
// kInvalidArgument saying what is wrong. For flags such as --bind.
Status CheckEndpoint(std::string_view endpoint, EndpointUse use);

}  // namespace datasync
