// Shared pieces of the connector scenarios: nodes whose config ties them to
// an application's SQLite file, and waits on those files and on what
// `syncctl status` says of the connectors.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "scenario.h"
#include "testutil/app_db.h"
#include "testutil/cluster.h"

namespace datasync::testutil {

// The `connectors:` section for one sqlite connector named "app" mapping
// table items to collection items.
std::string SqliteConnectorYaml(const std::string& db_path,
                                const std::string& direction = "both");

// Nodes `ids`, static peers of each other, each with connector "app" on
// dbs[i]; started, connected, and their connectors running.
::testing::AssertionResult StartAppNodes(Cluster& cluster,
                                         const std::vector<std::string>& ids,
                                         const std::vector<AppDb*>& dbs);

// Waits until connector "app" of `id` reports `state`.
::testing::AssertionResult WaitConnectorState(Cluster& cluster, const std::string& id,
                                              const std::string& state,
                                              std::chrono::milliseconds timeout = 10s);

// Waits until every database of `dbs` holds the same rows of items, and at
// least `min_rows` of them.
::testing::AssertionResult WaitSameRows(const std::vector<AppDb*>& dbs, int64_t min_rows,
                                        std::chrono::milliseconds timeout = 20s);

// n statements inserting ids first..first+n-1 (each its own transaction).
std::string InsertSql(int64_t first, int64_t n, const std::string& tag = "row");

// The connector counter `name` of `id` ("connector.app." + name).
uint64_t ConnectorCounter(Cluster& cluster, const std::string& id, const std::string& name);

}  // namespace datasync::testutil
