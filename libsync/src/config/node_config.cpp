// The node config file: its keys, defaults, ranges and cross-key checks.

#include <algorithm>
#include <climits>

#include "config/endpoint.h"
#include "config/yaml_reader.h"
#include "datasync/config.h"
#include "datasync/record.h"

namespace datasync {
namespace {

using config::Need;
using config::Quote;
using config::YamlMap;

// Longer periods are typos (a value meant in seconds, say), and a bound
// keeps `now + period` far from overflow.
constexpr uint64_t kMaxPeriodMs = 24 * 3600 * 1000;
constexpr uint64_t kMaxGroupCommitMs = 60 * 1000;
constexpr uint64_t kMaxBytesLimit = uint64_t{1} << 30;
// Room in one message for everything around a record of the largest key and
// value: message header, origin, collection, version and seq.
constexpr uint64_t kRecordEnvelopeBytes = 1024;

void ReadNodeSection(YamlMap& root, NodeConfig* c) {
  YamlMap node = root.GetMap("node", Need::kRequired);
  node.AllowKeys({"id", "data_dir", "mode"});
  node.GetString("id", Need::kRequired, &c->replica.node_id);
  if (node.ok() && !IsValidNodeId(c->replica.node_id)) {
    node.Fail("id", "expected 1 to 64 characters from A-Z, a-z, 0-9, _ and -, got " +
                        Quote(c->replica.node_id));
  }
  node.GetString("data_dir", Need::kRequired, &c->data_dir);
  node.GetEnum<NodeMode>("mode",
                         {{"both", NodeMode::kBoth},
                          {"send-only", NodeMode::kSendOnly},
                          {"receive-only", NodeMode::kReceiveOnly}},
                         &c->replica.mode);
}

void ReadEndpoints(YamlMap& root, NodeConfig* c) {
  YamlMap endpoints = root.GetMap("endpoints", Need::kRequired);
  endpoints.AllowKeys({"api", "pub", "sync", "advertise"});
  const struct {
    const char* key;
    const char* example;
    std::string* value;
  } sockets[] = {{"api", "tcp://127.0.0.1:7101", &c->endpoints.api},
                 {"pub", "tcp://127.0.0.1:7102", &c->endpoints.pub},
                 {"sync", "tcp://127.0.0.1:7103", &c->endpoints.sync}};
  for (const auto& socket : sockets) {
    endpoints.GetEndpoint(socket.key, Need::kRequired, EndpointUse::kBind, socket.example,
                          socket.value);
  }
  // Two sockets cannot bind one address; ZeroMQ would only say so at startup,
  // with an errno and no key.
  for (size_t i = 0; i < std::size(sockets) && endpoints.ok(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (config::EndpointsCollide(*sockets[i].value, *sockets[j].value)) {
        endpoints.Fail(sockets[i].key, "same address as endpoints." +
                                           std::string(sockets[j].key) + ", got " +
                                           Quote(*sockets[i].value));
        break;
      }
    }
  }
  c->advertised = c->endpoints;
  YamlMap advertise = endpoints.GetMap("advertise", Need::kOptional);
  advertise.AllowKeys({"api", "pub", "sync"});
  advertise.GetEndpoint("api", Need::kOptional, EndpointUse::kConnect,
                        "tcp://node-1.example:7101", &c->advertised.api);
  advertise.GetEndpoint("pub", Need::kOptional, EndpointUse::kConnect,
                        "tcp://node-1.example:7102", &c->advertised.pub);
  advertise.GetEndpoint("sync", Need::kOptional, EndpointUse::kConnect,
                        "tcp://node-1.example:7103", &c->advertised.sync);
}

// True for a TCP endpoint bound on every interface, which no peer can
// connect to as written.
bool BindsEveryInterface(std::string_view endpoint) {
  for (std::string_view any : {"tcp://*:", "tcp://0.0.0.0:", "tcp://[::]:"}) {
    if (endpoint.starts_with(any)) return true;
  }
  return false;
}

// Peers learn pub and sync from the coordinator; one bound on every
// interface and not advertised would leave them connecting to nothing.
void CheckAdvertised(YamlMap& root, const NodeConfig& c) {
  if (!root.ok() || !c.coordinator) return;
  YamlMap endpoints = root.GetMap("endpoints", Need::kRequired);
  const struct {
    const char* key;
    const std::string& bound;
    const std::string& advertised;
  } sockets[] = {{"pub", c.endpoints.pub, c.advertised.pub},
                 {"sync", c.endpoints.sync, c.advertised.sync}};
  for (const auto& socket : sockets) {
    if (BindsEveryInterface(socket.bound) && socket.advertised == socket.bound) {
      endpoints.Fail(socket.key, std::string("binds every interface, so peers told by the "
                                             "coordinator need endpoints.advertise.") +
                                     socket.key + " (the host name they reach it by), got " +
                                     Quote(socket.bound));
      return;
    }
  }
}

void ReadPeers(YamlMap& root, NodeConfig* c) {
  std::string coordinator;
  root.GetEndpoint("coordinator", Need::kOptional, EndpointUse::kConnect,
                   "tcp://127.0.0.1:7000", &coordinator);
  if (!coordinator.empty()) c->coordinator = coordinator;

  std::vector<YamlMap> peers = root.GetMapList("peers", Need::kOptional);
  for (YamlMap& entry : peers) {
    entry.AllowKeys({"id", "pub", "sync"});
    PeerConfig peer;
    entry.GetString("id", Need::kRequired, &peer.id);
    entry.GetEndpoint("pub", Need::kRequired, EndpointUse::kConnect,
                      "tcp://10.0.0.2:7102", &peer.pub);
    entry.GetEndpoint("sync", Need::kRequired, EndpointUse::kConnect,
                      "tcp://10.0.0.2:7103", &peer.sync);
    if (!entry.ok()) return;
    if (!IsValidNodeId(peer.id)) {
      entry.Fail("id", "expected 1 to 64 characters from A-Z, a-z, 0-9, _ and -, got " +
                           Quote(peer.id));
      return;
    }
    if (peer.id == c->id()) {
      entry.Fail("id", "duplicate id " + Quote(peer.id) + ", the id of this node");
      return;
    }
    for (const PeerConfig& earlier : c->peers) {
      if (earlier.id == peer.id) {
        entry.Fail("id", "duplicate id " + Quote(peer.id));
        return;
      }
    }
    c->peers.push_back(std::move(peer));
  }
}

void ReadStore(YamlMap& root, NodeConfig* c) {
  YamlMap store = root.GetMap("store", Need::kOptional);
  store.AllowKeys({"type", "sync"});
  store.GetEnum<StoreType>("type",
                           {{"rocksdb", StoreType::kRocksDb},
                            {"sqlite", StoreType::kSqlite},
                            {"memory", StoreType::kMemory}},
                           &c->store.type);
  store.GetBool("sync", &c->store.sync);
}

void ReadReplication(YamlMap& root, NodeConfig* c) {
  YamlMap r = root.GetMap("replication", Need::kOptional);
  r.AllowKeys({"heartbeat_ms", "anti_entropy_ms", "catch_up_timeout_ms",
               "catch_up_page_records", "publish_batch_records", "max_clock_offset_ms",
               "group_commit_ms", "group_commit_max"});
  ReplicaOptions& o = c->replica;
  r.GetDurationMs("heartbeat_ms", 1, kMaxPeriodMs, &o.heartbeat_ms);
  r.GetDurationMs("anti_entropy_ms", 1, kMaxPeriodMs, &o.anti_entropy_ms);
  r.GetDurationMs("catch_up_timeout_ms", 1, kMaxPeriodMs, &o.catch_up_timeout_ms);
  // Every peer decodes with the default limits: a larger batch or page would
  // be refused by all of them.
  r.GetUint("catch_up_page_records", 1, c->limits.max_records, &o.catch_up_page_records);
  r.GetUint("publish_batch_records", 1, c->limits.max_records, &o.publish_batch_records);
  r.GetDurationMs("max_clock_offset_ms", 1, kMaxPeriodMs, &o.max_clock_offset_ms);
  r.GetDurationMs("group_commit_ms", 0, kMaxGroupCommitMs, &c->group_commit_ms);
  r.GetUint("group_commit_max", 1, 1 << 20, &c->group_commit_max);
}

void ReadLimits(YamlMap& root, NodeConfig* c) {
  YamlMap l = root.GetMap("limits", Need::kOptional);
  l.AllowKeys({"max_message_bytes", "max_key_bytes", "max_value_bytes",
               "max_pending_requests", "max_watch_bytes"});
  CodecLimits& limits = c->limits;
  l.GetUint("max_key_bytes", 1, kMaxBytesLimit, &limits.max_key_bytes);
  l.GetUint("max_value_bytes", 1, kMaxBytesLimit, &limits.max_value_bytes);
  l.GetUint("max_message_bytes", 4096, kMaxBytesLimit, &limits.max_message_bytes);
  l.GetUint("max_pending_requests", 1, 100'000'000, &c->max_pending_requests);
  // At least one watch reply (at most 1 MiB) must fit.
  l.GetUint("max_watch_bytes", 1 << 20, kMaxBytesLimit * 4, &c->max_watch_bytes);
  if (!l.ok()) return;
  // A write the node accepts must fit in the message that publishes it, or
  // it would be stored here and never reach a peer.
  const uint64_t needed =
      limits.max_key_bytes + limits.max_value_bytes + kRecordEnvelopeBytes;
  if (limits.max_message_bytes < needed) {
    l.Fail("max_message_bytes", "must be at least max_key_bytes + max_value_bytes + " +
                                    std::to_string(kRecordEnvelopeBytes) + " (" +
                                    std::to_string(needed) + "), got " +
                                    Quote(std::to_string(limits.max_message_bytes)));
    return;
  }
  c->replica.max_key_bytes = limits.max_key_bytes;
  c->replica.max_value_bytes = limits.max_value_bytes;
  // A batch or page closes after the record that crosses its byte target;
  // keeping the targets well under the message limit leaves room for that
  // record and the message around it.
  const size_t target = limits.max_message_bytes / 4;
  c->replica.catch_up_page_bytes = std::min(c->replica.catch_up_page_bytes, target);
  c->replica.publish_batch_bytes = std::min(c->replica.publish_batch_bytes, target);
}

void ReadTransport(YamlMap& root, NodeConfig* c) {
  YamlMap t = root.GetMap("transport", Need::kOptional);
  t.AllowKeys({"sndhwm", "rcvhwm", "pub_queue_bytes"});
  t.GetUint("sndhwm", 0, INT_MAX, &c->sndhwm);
  t.GetUint("rcvhwm", 0, INT_MAX, &c->rcvhwm);
  t.GetUint("pub_queue_bytes", 1 << 20, uint64_t{1} << 40, &c->pub_queue_bytes);
}

}  // namespace

const char* StoreTypeName(StoreType type) {
  switch (type) {
    case StoreType::kRocksDb:
      return "rocksdb";
    case StoreType::kSqlite:
      return "sqlite";
    case StoreType::kMemory:
      return "memory";
  }
  return "?";
}

Result<NodeConfig> ParseNodeConfig(const std::string& yaml_text,
                                   const std::string& file_name) {
  NodeConfig c;
  c.file = file_name;
  Status status = config::WalkYaml(yaml_text, file_name, [&c](YamlMap& root) {
    root.AllowKeys({"node", "endpoints", "coordinator", "peers", "store", "replication",
                    "limits", "transport", "log", "connectors"});
    // In the documented order, so that the first error reported is usually
    // the first in the file.
    ReadNodeSection(root, &c);
    ReadEndpoints(root, &c);
    ReadPeers(root, &c);
    CheckAdvertised(root, c);
    ReadStore(root, &c);
    ReadReplication(root, &c);
    ReadLimits(root, &c);
    ReadTransport(root, &c);
    config::ReadLogSection(root, &c.log_level);
    config::ReadConnectors(root, &c);
  });
  if (!status.ok()) return status;
  return c;
}

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  Result<std::string> text = config::ReadConfigFile(path);
  if (!text.ok()) return text.status();
  return ParseNodeConfig(text.value(), path);
}

}  // namespace datasync
