// Small RAII wrappers over libpq's C API: a connection, and results whose
// failures become Status values naming the connector's target. One thread.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datasync/status.h"

namespace datasync::pg_connector {

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultFree>;

// A parameter in text form; nullopt is NULL.
using Param = std::optional<std::string>;

// One statement of a pipeline (one statement per text: no ';' lists).
struct Statement {
  std::string sql;
  std::vector<Param> params;
};

class PgConn {
 public:
  PgConn() = default;
  ~PgConn() { Close(); }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // `context` prefixes every error message (the connection string's host
  // and database, never its password).
  Status Open(const std::string& conninfo, const std::string& context);
  void Close();
  bool open() const { return conn_ != nullptr; }
  PGconn* get() const { return conn_; }

  // Runs `sql` with text parameters (none: `sql` may hold several
  // statements); results in text form unless `binary`.
  // An SQL error is returned with its SQLSTATE in *sqlstate when given.
  Result<PgResult> Query(const std::string& sql, const std::vector<Param>& params = {},
                         bool binary = false, std::string* sqlstate = nullptr);
  // For statements without results.
  Status Exec(const std::string& sql, const std::vector<Param>& params = {},
              std::string* sqlstate = nullptr);
  // Runs `statements` in order in one round trip (libpq's pipeline mode),
  // each prepared once per connection: parsed and planned once, not per
  // row. On success *results holds one result per statement. On an SQL
  // error the statements after the failing one are not run; its index goes
  // to *failed and its SQLSTATE to *sqlstate.
  Status Pipeline(const std::vector<Statement>& statements,
                  std::vector<PgResult>* results, size_t* failed = nullptr,
                  std::string* sqlstate = nullptr);

 private:
  Status ErrorOf(const PGresult* r, std::string* sqlstate) const;

  PGconn* conn_ = nullptr;
  std::string context_;
  std::map<std::string, std::string> prepared_;  // statement text -> name
  uint64_t next_name_ = 0;
};

// A text cell; empty for NULL.
std::string Cell(const PgResult& r, int row, int col);
// The host, port and database of a conninfo, for messages ("host=... dbname=...").
std::string DescribeConninfo(const std::string& conninfo);

}  // namespace datasync::pg_connector
