#include "connector_scenario.h"

namespace datasync::testutil {

std::string SqliteConnectorYaml(const std::string& db_path, const std::string& direction) {
  return "connectors:\n  - name: app\n    type: sqlite\n    target: \"" + db_path +
         "\"\n    direction: " + direction +
         "\n    map:\n      - { table: items, collection: items }\n";
}

::testing::AssertionResult StartAppNodes(Cluster& cluster,
                                         const std::vector<std::string>& ids,
                                         const std::vector<AppDb*>& dbs) {
  for (size_t i = 0; i < ids.size(); ++i) {
    cluster.AddNode({.id = ids[i],
                     .use_coordinator = false,
                     .static_peers = Others(ids, ids[i]),
                     .extra_yaml = SqliteConnectorYaml(dbs[i]->path())});
  }
  for (const auto& id : ids) {
    if (auto started = cluster.StartNode(id); !started) return started;
  }
  for (const auto& id : ids) {
    if (auto up = WaitPeersConnected(cluster, id, Others(ids, id)); !up) return up;
    if (auto running = WaitConnectorState(cluster, id, "running"); !running) return running;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult WaitConnectorState(Cluster& cluster, const std::string& id,
                                              const std::string& state,
                                              std::chrono::milliseconds timeout) {
  std::string last;
  if (WaitUntil(
          [&] {
            auto status = cluster.Status(id);
            if (!status) return false;
            last = (*status)["info"]["connector.app"].str() + " (" +
                   (*status)["info"]["connector.app.last_error"].str() + ")";
            return (*status)["info"]["connector.app"].str() == state;
          },
          timeout)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "connector app of " << id << " is " << last << ", not " << state << "\n"
         << cluster.LogTail(id);
}

::testing::AssertionResult WaitSameRows(const std::vector<AppDb*>& dbs, int64_t min_rows,
                                        std::chrono::milliseconds timeout) {
  std::vector<std::string> dumps;
  if (WaitUntil(
          [&] {
            dumps.clear();
            for (AppDb* db : dbs) dumps.push_back(db->Dump());
            for (const std::string& d : dumps) {
              if (d != dumps[0] || d.rfind("error", 0) == 0) return false;
            }
            auto n = dbs[0]->Count();
            return n && *n >= min_rows;
          },
          timeout, std::chrono::milliseconds(20))) {
    return ::testing::AssertionSuccess();
  }
  auto failure = ::testing::AssertionFailure() << "databases differ:";
  for (size_t i = 0; i < dumps.size(); ++i) {
    failure << "\n--- " << dbs[i]->path() << " (" << dbs[i]->Count().value_or(-1)
            << " rows)\n"
            << dumps[i].substr(0, 600);
  }
  return failure;
}

std::string InsertSql(int64_t first, int64_t n, const std::string& tag) {
  std::string sql;
  for (int64_t id = first; id < first + n; ++id) {
    sql += "INSERT INTO items(id, name, qty, price, data) VALUES (" + std::to_string(id) +
           ", '" + tag + "-" + std::to_string(id) + "', " + std::to_string(id % 100) + ", " +
           std::to_string(id) + ".25, x'00ff" + (id % 2 ? "10" : "20") + "');\n";
  }
  return sql;
}

uint64_t ConnectorCounter(Cluster& cluster, const std::string& id, const std::string& name) {
  return cluster.Counter(id, "connector.app." + name).value_or(0);
}

}  // namespace datasync::testutil
