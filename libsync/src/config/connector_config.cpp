// The node's `connectors:` list (ARCHITECTURE §8): name, type, target,
// direction and the map of external tables to collections.

#include <set>

#include "config/yaml_reader.h"
#include "datasync/config.h"
#include "datasync/record.h"

namespace datasync {

const char* ConnectorTypeName(ConnectorType type) {
  switch (type) {
    case ConnectorType::kSqlite:
      return "sqlite";
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

// Types of ARCHITECTURE §8 that this build does not implement yet: named
// as such, so that a user does not hunt for a typo.
constexpr std::string_view kPlannedTypes[] = {"files", "webhook", "postgres", "redis"};

bool ReadType(YamlMap& entry, ConnectorType* type) {
  std::string name;
  entry.GetString("type", Need::kRequired, &name);
  if (!entry.ok()) return false;
  if (name == "sqlite") {
    *type = ConnectorType::kSqlite;
    return true;
  }
  for (std::string_view planned : kPlannedTypes) {
    if (name == planned) {
      entry.Fail("type", "connector type " + Quote(name) +
                             " is not implemented in this build (implemented: sqlite)");
      return false;
    }
  }
  entry.Fail("type", "expected one of sqlite, got " + Quote(name));
  return false;
}

void ReadMap(YamlMap& entry, ConnectorConfig* connector) {
  std::vector<YamlMap> maps = entry.GetMapList("map", Need::kRequired);
  if (entry.ok() && maps.empty()) {
    entry.Fail("map", "expected at least one { table, collection } entry");
    return;
  }
  std::set<std::string> tables, collections;
  for (YamlMap& m : maps) {
    m.AllowKeys({"table", "collection"});
    ConnectorMapping mapping;
    m.GetString("table", Need::kRequired, &mapping.table);
    m.GetString("collection", Need::kRequired, &mapping.collection);
    if (!m.ok()) return;
    if (!IsValidCollection(mapping.collection)) {
      m.Fail("collection", "expected 1 to 255 bytes without NUL, got " +
                               Quote(mapping.collection));
      return;
    }
    // One row must become one record and back: a table feeding two
    // collections, or two tables one collection, has no single answer.
    if (!tables.insert(mapping.table).second) {
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

}  // namespace

void ReadConnectors(YamlMap& root, NodeConfig* c) {
  std::vector<YamlMap> entries = root.GetMapList("connectors", Need::kOptional);
  for (YamlMap& entry : entries) {
    entry.AllowKeys({"name", "type", "target", "direction", "map"});
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
    if (!entry.ok()) return;
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
