// What the SQLite connector installs in an application's database, and how
// it reads the mapped tables' schema.
//
// Installed (all names start with _datasync_):
//   _datasync_changes   one row per captured change: id (AUTOINCREMENT, so
//                       ids never repeat even after rows are deleted), the
//                       table and the primary-key values k1..k4
//   _datasync_control   one row: applying = 1 only inside the connector's
//                       own apply transaction
//   _datasync_state     name -> value: the instance id of this database
//                       and the vector of what was applied
//   _datasync_applied   per (table, key): the version last applied
//   triggers            AFTER INSERT/UPDATE/DELETE on each mapped table,
//                       recording the key unless applying = 1
//
// Loop prevention: SQLite has one writer at a time. The connector's apply
// transaction sets applying = 1 first and back to 0 before it commits, so
// its own writes are not recorded, while every other connection's trigger
// can only ever read the committed value, 0. Triggers read a main-schema
// table, so the application's connections need nothing special (a TEMP
// table or a connection-local function would be invisible to them and make
// their writes fail).
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

#include "connectors/sqlite/sqlite_values.h"
#include "datasync/config.h"
#include "datasync/status.h"

namespace datasync::sqlite_connector {

// Primary-key columns a change row can hold.
constexpr size_t kMaxKeyColumns = 4;

// Reads the schema of each mapped table. Fails naming the table when it is
// missing, has no primary key, or one of more than kMaxKeyColumns columns.
Status ReadTables(sqlite3* db, const std::vector<ConnectorMapping>& map,
                  std::vector<Table>* tables);

// Creates the state and control tables (always: an apply-only connector
// still mutes triggers an earlier install may have left) and the capture
// tables and triggers
// (when `capture`), idempotently, in one transaction.
Status Install(sqlite3* db, const std::vector<Table>& tables, bool capture);

// Drops everything named _datasync_* (triggers first), in one transaction.
Status Uninstall(sqlite3* db);

}  // namespace datasync::sqlite_connector
