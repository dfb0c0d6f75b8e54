// Shared pieces of the files and webhook connector scenarios: config
// snippets, a folder read whole, files written the way applications do,
// and waits on folders and on what `syncctl status` says of a connector.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "scenario.h"
#include "testutil/app_db.h"
#include "testutil/cluster.h"

namespace datasync::testutil {

// items without a blob column: each row has a JSON form (files format json).
inline constexpr char kJsonItemsSchema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);";

// One `connectors:` entry (a YAML list item) of each kind.
std::string FilesConnectorEntry(const std::string& name, const std::string& folder,
                                const std::string& extra = "");
std::string SqliteConnectorEntry(const std::string& name, const std::string& db_path);

// Every synced file under `dir` (dot-names skipped), by relative path.
std::map<std::string, std::string> ReadFolder(const std::string& dir);
// What a folder with format json mapping `db`'s items holds: ID.json ->
// the row as a JSON object.
std::map<std::string, std::string> RowsAsFiles(AppDb& db);

// Writes `content` to dir/rel the way careful applications do: a dot-named
// temporary, then a rename (one change, never a half-written file).
void WriteFileAtomically(const std::string& dir, const std::string& rel,
                         const std::string& content);

// Waits until `read()` equals `want()` (both re-evaluated each round).
::testing::AssertionResult WaitSameMaps(
    const std::function<std::map<std::string, std::string>()>& read,
    const std::function<std::map<std::string, std::string>()>& want,
    std::chrono::milliseconds timeout = 20s);

// Waits until connector `name` of `id` reports `state`.
::testing::AssertionResult WaitNamedConnector(Cluster& cluster, const std::string& id,
                                              const std::string& name, const std::string& state,
                                              std::chrono::milliseconds timeout = 10s);

// The number of writes `id` made itself (its own version vector entry).
uint64_t OwnWritesOf(Cluster& cluster, const std::string& id);

}  // namespace datasync::testutil
