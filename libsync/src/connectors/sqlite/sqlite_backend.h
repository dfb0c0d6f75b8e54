// SqliteBackend: the ConnectorBackend of an application's SQLite file
// (sqlite_backend.cpp: open, capture, uninstall; sqlite_apply.cpp: apply).
// Private to libsync/src/connectors/sqlite; one thread.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector_backend.h"
#include "connectors/sqlite/sqlite_values.h"
#include "store/sqlite_util.h"

namespace datasync::sqlite_connector {

using sqlite::Stmt;

class SqliteBackend : public ConnectorBackend {
 public:
  explicit SqliteBackend(const ConnectorConfig& config) : config_(config) {}
  ~SqliteBackend() override { Close(); }

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
  // Per mapped table: its statements, prepared once per Open().
  struct TableStmts {
    Stmt select_row;  // the current row by primary key
    Stmt remove;      // DELETE by primary key
    Stmt pending;     // a change row of this key after the committed position
    std::map<std::vector<int>, std::unique_ptr<Stmt>> upserts;  // by column set
  };

  Status OpenConnection();
  Status Prepare(Stmt* stmt, const std::string& sql);
  Status PrepareAll();
  Status CheckFile(bool force);
  // The id of `position` in this database; 0 for another instance's.
  int64_t PositionId(const std::string& position) const;
  const Table* TableOf(const std::string& collection) const;
  Status Error(int rc, const std::string& context) const {
    return sqlite::FromSqlite(db_, rc, config_.target + ": " + context);
  }
  // One record, inside the apply transaction. A permanent problem goes to
  // *failure; a transient one is the returned error.
  Status ApplyRecord(const Record& r, int64_t captured_after, ApplyResult* result,
                     std::string* failure);
  Status Upsert(const Table& t, TableStmts& ts, const Record& r, std::string* failure);

  ConnectorConfig config_;
  sqlite3* db_ = nullptr;
  std::vector<Table> tables_;
  std::vector<std::unique_ptr<TableStmts>> table_stmts_;  // parallel to tables_
  std::string instance_;
  int64_t data_version_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  uint64_t next_stat_ms_ = 0;

  // Statements on db_ that do not depend on a table; gone with the connection.
  struct Statements {
    Stmt data_version, read_changes, consumed, backlog, get_applied, put_applied,
        put_state, get_state, set_applying;
  };
  std::unique_ptr<Statements> st_;
};

}  // namespace datasync::sqlite_connector
