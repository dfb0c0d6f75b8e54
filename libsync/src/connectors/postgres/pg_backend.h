// PgBackend: the ConnectorBackend of a PostgreSQL database (ARCHITECTURE
// §8). pg_setup.cpp: connection, tables, what the connector installs;
// pg_capture.cpp: logical decoding of the replication slot; pg_apply.cpp:
// apply transactions under the connector's replication origin.
// Private to libsync/src/connectors/postgres; one thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "connectors/connector_backend.h"
#include "connectors/postgres/pg_conn.h"
#include "connectors/postgres/pg_decode.h"
#include "connectors/postgres/pg_values.h"

namespace datasync::pg_connector {

class PgBackend : public ConnectorBackend {
 public:
  explicit PgBackend(const ConnectorConfig& config);
  ~PgBackend() override { Close(); }

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
  Status Connect();
  Status CheckServer();
  Status ReadTables();
  Status ReadTable(const ConnectorMapping& m, Table* t);
  Status Install();
  // The slot's changes after `after` (this server's position), up to `max`.
  Status Decode(const Position& after, size_t max, DecodeResult* out);
  // Reads the columns a change left out (unchanged TOAST) from the table.
  Status FillUnchanged(RowChange* change);
  // The keys with a change after `after` still to be captured.
  Status PendingKeys(const Position& after,
                     std::set<std::pair<size_t, std::string>>* keys);
  // A record of a batch to write: its index, table, key columns, key in hex.
  // `exists`: the row was there, and is now locked, when the batch began.
  struct Planned {
    size_t record, table;
    std::vector<std::string> key;
    std::string hex;
    bool exists = false;
  };
  // One pass over the batch; a record failing for good goes to *failed
  // (by index) and ends the pass with `retry`.
  Status ApplyPass(const ConnectorApply& batch, const std::string& captured_after,
                   std::vector<std::string>* failed, ApplyResult* result, bool* retry);
  // Begins the batch's transaction and locks the rows of `planned`, noting
  // which exist.
  Status LockRows(std::vector<Planned>* planned);
  // Reads the applied versions of `keys` (hex, by table index) into
  // *applied, in the batch's transaction.
  Status ReadApplied(const std::vector<std::vector<std::string>>& keys,
                     std::map<std::pair<size_t, std::string>, Version>* applied);
  // The statement writing `r` with its applied version; false, with
  // *failure, for a value that does not fit the table.
  bool WriteOf(const Table& t, const Record& r, const Planned& p, Statement* out,
               std::string* failure);
  Position Here(const std::string& text) const;
  const Table* TableOf(const std::string& collection) const;

  ConnectorConfig config_;
  std::string context_;  // "postgres host=... dbname=...": prefixes errors
  std::string slot_, publication_, origin_;  // datasync_<name>
  std::string truncate_trigger_;              // datasync_<name>_truncate
  PgConn conn_;
  std::vector<Table> tables_;
  std::string system_;      // pg_control_system().system_identifier
  std::string last_flush_;  // WAL flush position at the last Poll()
  uint64_t next_poll_ms_ = 0;
};

}  // namespace datasync::pg_connector
