// PostgresServer: a real PostgreSQL 15 server for tests, from Debian's
// binaries in /usr/lib/postgresql/15/bin: initdb into a temporary folder,
// then postgres on a free loopback port with wal_level = logical. Run as
// user nobody when the test runs as root (CI does; postgres refuses root).
// Restartable on the same data folder (Stop, Kill, Start). PgClient: a
// libpq connection, the "application" side of the tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testutil/process.h"
#include "testutil/temp_dir.h"

typedef struct pg_conn PGconn;

namespace datasync::testutil {

// The connector tests' items table (app_db.h's kItemsSchema) in
// PostgreSQL's types.
inline constexpr char kPgItemsSchema[] =
    "CREATE TABLE items(id bigint PRIMARY KEY, name text, qty integer, "
    "price double precision, data bytea);\n";

class PostgresServer {
 public:
  // Empty when the binaries are installed; otherwise why not.
  static std::string Unavailable();

  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  ::testing::AssertionResult Init();  // initdb, once
  // postgres, until it accepts connections; `settings` ("name=value") after
  // the tests' own, so they override them.
  ::testing::AssertionResult Start(const std::vector<std::string>& settings = {});
  // Fast shutdown (SIGINT), waited for; Kill: SIGKILL of the postmaster.
  ::testing::AssertionResult Stop();
  ::testing::AssertionResult Kill();

  int port() const { return port_; }
  // libpq conninfo of database `db` as the superuser.
  std::string Conninfo(const std::string& db = "postgres") const;
  // Runs psql -f on `sql` against `db`, as a separate process.
  ::testing::AssertionResult Psql(const std::string& db, const std::string& sql);
  // The same, started and left running.
  std::optional<Process> StartPsql(const std::string& db, const std::string& sql,
                                   std::string* error);

 private:
  std::vector<std::string> AsUser(const std::string& binary) const;
  TempDir dir_{"datasync-pg"};
  std::string data_, sockets_;
  int port_ = 0;
  int psql_files_ = 0;
  std::optional<Process> postmaster_;
};

class PgClient {
 public:
  explicit PgClient(const std::string& conninfo);
  ~PgClient();
  PgClient(const PgClient&) = delete;
  PgClient& operator=(const PgClient&) = delete;
  bool ok() const;
  // The first cell of the first row ("" when none or NULL), or nullopt with
  // the error in *error (when given).
  std::optional<std::string> Query(const std::string& sql, std::string* error = nullptr);
  // Every row, cells separated by '|', rows by '\n'.
  std::optional<std::string> Dump(const std::string& sql, std::string* error = nullptr);
  int64_t Int(const std::string& sql);  // -1 on error

 private:
  PGconn* conn_ = nullptr;
};

}  // namespace datasync::testutil
