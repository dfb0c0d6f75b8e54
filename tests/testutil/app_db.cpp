#include "testutil/app_db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>

namespace datasync::testutil {

AppDb::AppDb(std::string path, const std::string& setup_sql) : path_(std::move(path)) {
  sqlite3_open(path_.c_str(), &db_);
  sqlite3_busy_timeout(db_, 5000);
  if (!setup_sql.empty()) {
    std::string error = Exec(setup_sql);
    EXPECT_EQ(error, "") << path_;
  }
}

AppDb::~AppDb() { Close(); }

void AppDb::Close() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

std::string AppDb::Exec(const std::string& sql) {
  if (db_ == nullptr) return "closed";
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK) return "";
  std::string error = message ? message : "error";
  sqlite3_free(message);
  return error;
}

std::string AppDb::Dump(const std::string& table) {
  sqlite3_stmt* stmt = nullptr;
  const std::string sql = "SELECT * FROM \"" + table + "\" ORDER BY 1";
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return std::string("error: ") + sqlite3_errmsg(db_);
  }
  std::string out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (c > 0) out += '|';
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          out += "i:" + std::to_string(sqlite3_column_int64(stmt, c));
          break;
        case SQLITE_FLOAT: {
          char buf[40];
          std::snprintf(buf, sizeof buf, "r:%.17g", sqlite3_column_double(stmt, c));
          out += buf;
          break;
        }
        case SQLITE_TEXT:
          out += "t:" + std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)));
          break;
        case SQLITE_BLOB: {
          out += "b:";
          const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, c));
          for (int i = 0; i < sqlite3_column_bytes(stmt, c); ++i) {
            char buf[3];
            std::snprintf(buf, sizeof buf, "%02x", p[i]);
            out += buf;
          }
          break;
        }
        default:
          out += "null";
      }
    }
    out += '\n';
  }
  if (rc != SQLITE_DONE) out = std::string("error: ") + sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  return out;
}

std::optional<std::string> AppDb::Scalar(const std::string& sql) {
  if (db_ == nullptr) return std::nullopt;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return std::nullopt;
  }
  std::optional<std::string> out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  return out;
}

std::optional<int64_t> AppDb::Count(const std::string& table) {
  auto n = Scalar("SELECT count(*) FROM \"" + table + "\"");
  if (!n) return std::nullopt;
  return std::stoll(*n);
}

std::optional<Process> StartSqliteApp(const std::string& db_path, const std::string& sql,
                                      std::string* error) {
  static std::atomic<int> scripts{0};
  const std::string script = db_path + ".app-" + std::to_string(++scripts) + ".sql";
  {
    std::ofstream out(script, std::ios::trunc);
    // Like an application: each statement its own transaction, waiting
    // for locks rather than failing at once.
    out << ".timeout 10000\nPRAGMA synchronous=NORMAL;\n" << sql << "\n";
  }
  SpawnOptions options;
  options.binary = "/usr/bin/sqlite3";
  options.args = {"-bail", db_path, ".read " + script};
  options.stdout_path = script + ".out";
  options.stderr_path = script + ".err";
  return Process::Spawn(options, error);
}

::testing::AssertionResult RunSqliteApp(const std::string& db_path, const std::string& sql,
                                        int timeout_s) {
  std::string error;
  std::optional<Process> app = StartSqliteApp(db_path, sql, &error);
  if (!app) return ::testing::AssertionFailure() << "cannot start sqlite3: " << error;
  std::optional<ExitStatus> status = app->Wait(std::chrono::seconds(timeout_s));
  if (!status) return ::testing::AssertionFailure() << "sqlite3 did not finish";
  if (!status->ok()) {
    return ::testing::AssertionFailure()
           << "sqlite3 " << status->ToString() << ": " << app->ReadStderr();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace datasync::testutil
