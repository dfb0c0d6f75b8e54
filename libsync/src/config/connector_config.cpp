// The node's `connectors:` list (ARCHITECTURE §8): name, type, target,
// direction and the map of external tables to collections.

#include <set>

#include "config/yaml_reader.h"
#include "connectors/redis/redis_target.h"
#include "datasync/config.h"
#include "datasync/record.h"

namespace datasync {

const char* ConnectorTypeName(ConnectorType type) {
  switch (type) {
    case ConnectorType::kSqlite:
      return "sqlite";
    case ConnectorType::kFiles:
      return "files";
    case ConnectorType::kWebhook:
      return "webhook";
    case ConnectorType::kPostgres:
      return "postgres";
    case ConnectorType::kRedis:
      return "redis";
  }
  return "?";
}

const char* ConnectorDirectionName(ConnectorDirection direction) {
  switch (direction) {
    case ConnectorDirection::kBoth:
      return "both";
    case ConnectorDirection::kCaptureOnly:
      return "capture-only";
    case ConnectorDirection::kApplyOnly:
      return "apply-only";
  }
  return "?";
}

namespace config {
namespace {

bool ReadType(YamlMap& entry, ConnectorType* type) {
  std::string name;
  entry.GetString("type", Need::kRequired, &name);
  if (!entry.ok()) return false;
  for (ConnectorType t : {ConnectorType::kSqlite, ConnectorType::kFiles, ConnectorType::kWebhook,
                          ConnectorType::kPostgres, ConnectorType::kRedis}) {
    if (name == ConnectorTypeName(t)) {
      *type = t;
      return true;
    }
  }
  entry.Fail("type", "expected one of sqlite, postgres, redis, files, webhook, got " +
                         Quote(name));
  return false;
}

// redis: { prefix, collection, type }. Each key must map to one entry at
// most, and the connector's own keys (_datasync:...) to none.
bool ReadRedisMapping(YamlMap& m, const std::vector<ConnectorMapping>& earlier,
                      ConnectorMapping* mapping) {
  m.AllowKeys({"prefix", "collection", "type"});
  m.GetString("prefix", Need::kRequired, &mapping->table);
  m.GetEnum<RedisType>("type", {{"string", RedisType::kString}, {"hash", RedisType::kHash}},
                       &mapping->redis_type);
  if (!m.ok()) return false;
  const std::string& p = mapping->table;
  if (p.rfind("_datasync:", 0) == 0) {
    m.Fail("prefix", "prefix " + Quote(p) + " is the connector's own (_datasync:)");
    return false;
  }
  for (const ConnectorMapping& e : earlier) {
    if (e.table.rfind(p, 0) == 0 || p.rfind(e.table, 0) == 0) {
      m.Fail("prefix", "prefixes " + Quote(e.table) + " and " + Quote(p) +
                           " overlap: a key would belong to both");
      return false;
    }
  }
  return true;
}

void ReadMap(YamlMap& entry, ConnectorConfig* connector) {
  // A folder is one tree of files: one collection. A webhook takes any
  // number of collections and has no tables.
  const bool tables_mapped =
      connector->type == ConnectorType::kSqlite || connector->type == ConnectorType::kPostgres;
  std::vector<YamlMap> maps = entry.GetMapList("map", Need::kRequired);
  if (entry.ok() && maps.empty()) {
    entry.Fail("map", tables_mapped ? "expected at least one { table, collection } entry"
                                    : "expected at least one { collection } entry");
    return;
  }
  if (entry.ok() && connector->type == ConnectorType::kFiles && maps.size() != 1) {
    entry.Fail("map", "a files connector maps its folder to exactly one collection, got " +
                          std::to_string(maps.size()) + " entries");
    return;
  }
  std::set<std::string> tables, collections;
  for (YamlMap& m : maps) {
    ConnectorMapping mapping;
    if (connector->type == ConnectorType::kRedis) {
      if (!ReadRedisMapping(m, connector->map, &mapping)) return;
    } else if (tables_mapped) {
      m.AllowKeys({"table", "collection"});
      m.GetString("table", Need::kRequired, &mapping.table);
    } else {
      m.AllowKeys({"collection"});
    }
    m.GetString("collection", Need::kRequired, &mapping.collection);
    if (!m.ok()) return;
    if (!IsValidCollection(mapping.collection)) {
      m.Fail("collection", "expected 1 to 255 bytes without NUL, got " +
                               Quote(mapping.collection));
      return;
    }
    // One row must become one record and back: a table feeding two
    // collections, or two tables one collection, has no single answer.
    if (tables_mapped && !tables.insert(mapping.table).second) {
      m.Fail("table", "table " + Quote(mapping.table) + " is mapped twice");
      return;
    }
    if (!collections.insert(mapping.collection).second) {
      m.Fail("collection", "collection " + Quote(mapping.collection) + " is mapped twice");
      return;
    }
    connector->map.push_back(std::move(mapping));
  }
}

// The keys and rules of one connector type beyond the common ones.
bool ReadTypeKeys(YamlMap& entry, const NodeConfig& node, ConnectorConfig* connector) {
  const uint64_t max_value = node.replica.max_value_bytes;
  if (connector->type == ConnectorType::kFiles) {
    // A bigger file could never become a record: the node would refuse it.
    connector->max_file_size = max_value;
    entry.GetUint("max_file_size", 1, max_value, &connector->max_file_size);
    entry.GetEnum<FilesFormat>("format",
                               {{"bytes", FilesFormat::kBytes}, {"json", FilesFormat::kJson}},
                               &connector->format);
  } else {
    for (std::string_view key : {"max_file_size", "format"}) {
      if (entry.Has(key)) entry.Fail(key, "only a files connector takes " + std::string(key));
    }
  }
  if (connector->type == ConnectorType::kRedis) {
    redis_connector::RedisTarget target;
    std::string error;
    if (!redis_connector::ParseRedisTarget(connector->target, &target, &error)) {
      entry.Fail("target", error);
    }
  }
  if (connector->type == ConnectorType::kWebhook) {
    // Nothing is ever read back from a webhook: apply-only is its default.
    if (!entry.Has("direction")) connector->direction = ConnectorDirection::kApplyOnly;
    if (connector->target.rfind("http://", 0) != 0 &&
        connector->target.rfind("https://", 0) != 0) {
      entry.Fail("target",
                 "expected an http:// or https:// URL, got " + Quote(connector->target));
    } else if (connector->direction != ConnectorDirection::kApplyOnly) {
      entry.Fail("direction",
                 "a webhook only receives changes: its direction must be apply-only");
    }
  }
  return entry.ok();
}

}  // namespace

void ReadConnectors(YamlMap& root, NodeConfig* c) {
  std::vector<YamlMap> entries = root.GetMapList("connectors", Need::kOptional);
  for (YamlMap& entry : entries) {
    entry.AllowKeys({"name", "type", "target", "direction", "map", "max_file_size",
                     "format"});
    ConnectorConfig connector;
    entry.GetString("name", Need::kRequired, &connector.name);
    if (entry.ok() && !IsValidNodeId(connector.name)) {
      entry.Fail("name", "expected 1 to 64 characters from A-Z, a-z, 0-9, _ and -, got " +
                             Quote(connector.name));
    }
    if (!entry.ok() || !ReadType(entry, &connector.type)) return;
    entry.GetString("target", Need::kRequired, &connector.target);
    entry.GetEnum<ConnectorDirection>("direction",
                                      {{"both", ConnectorDirection::kBoth},
                                       {"capture-only", ConnectorDirection::kCaptureOnly},
                                       {"apply-only", ConnectorDirection::kApplyOnly}},
                                      &connector.direction);
    ReadMap(entry, &connector);
    if (!entry.ok() || !ReadTypeKeys(entry, *c, &connector)) return;
    if (connector.captures() && c->replica.mode == NodeMode::kReceiveOnly) {
      entry.Fail("direction", "node " + c->id() +
                                  " is receive-only and takes no local writes: a "
                                  "connector there must be apply-only");
      return;
    }
    for (const ConnectorConfig& earlier : c->connectors) {
      if (earlier.name == connector.name) {
        entry.Fail("name", "duplicate connector name " + Quote(connector.name));
        return;
      }
      if (earlier.target == connector.target) {
        entry.Fail("target", "target " + Quote(connector.target) +
                                 " is already used by connector " + Quote(earlier.name));
        return;
      }
    }
    c->connectors.push_back(std::move(connector));
  }
}

}  // namespace config
}  // namespace datasync
