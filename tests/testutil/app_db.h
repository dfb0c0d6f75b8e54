// An application's SQLite database, for connector tests: the test reads it
// (and may hold a lock on it) through its own connection, and writes to it
// as a real second process would, with the sqlite3 command-line shell.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "testutil/process.h"

namespace datasync::testutil {

// items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, price REAL, data BLOB)
// in WAL mode: what the connector tests' applications use.
inline constexpr char kItemsSchema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS items(id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, "
    "price REAL, data BLOB);";

class AppDb {
 public:
  // Opens (creating) `path`; runs `setup_sql` when given.
  explicit AppDb(std::string path, const std::string& setup_sql = kItemsSchema);
  ~AppDb();
  AppDb(const AppDb&) = delete;
  AppDb& operator=(const AppDb&) = delete;

  const std::string& path() const { return path_; }
  // Runs `sql` on the test's connection; "" on success, else the error.
  std::string Exec(const std::string& sql);
  // Every row of `table` ordered by its first column, one line per row,
  // values typed ("i:3", "t:abc", "r:2.5", "b:<hex>", "null"), or the error.
  std::string Dump(const std::string& table = "items");
  // SELECT count(*) FROM table; nullopt on error.
  std::optional<int64_t> Count(const std::string& table = "items");
  // The first column of the first row of `sql` as text; nullopt when none.
  std::optional<std::string> Scalar(const std::string& sql);
  // Closes the connection (to delete or replace the file).
  void Close();

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// Runs `sql` with the sqlite3 shell on `db_path` as its own process (a
// separate application), from a script file next to the database.
// Returns the running process; the caller waits for it.
std::optional<Process> StartSqliteApp(const std::string& db_path, const std::string& sql,
                                      std::string* error);
// The same, waiting (up to `timeout_s`) for it to exit 0.
::testing::AssertionResult RunSqliteApp(const std::string& db_path, const std::string& sql,
                                        int timeout_s = 120);

}  // namespace datasync::testutil
