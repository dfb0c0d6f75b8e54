// Small helpers over the SQLite C API for SqliteStore: a connection, a
// prepared statement that resets itself, the mapping of SQLite result codes
// to Status, opening a connection, reading the metadata. Private to
// libsync/src/store; header-only. One thread per connection.
#pragma once

#include <sqlite3.h>

#include <cstring>
#include <string>
#include <string_view>

#include "datasync/record.h"
#include "datasync/status.h"
#include "datasync/store.h"
#include "store/store_codec.h"
#include "store/store_tuning.h"

namespace datasync::sqlite {

inline Status FromSqlite(sqlite3* db, int rc, const std::string& context) {
  std::string message = context + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  // "disk I/O error" alone does not say which operation failed, nor that
  // the disk is full: the extended code and the OS error do.
  if ((rc & 0xff) == SQLITE_IOERR && db != nullptr) {
    const int os_error = sqlite3_system_errno(db);
    message += " (extended code " + std::to_string(rc) +
               (os_error != 0 ? std::string(": ") + std::strerror(os_error) : "") + ")";
    // SQLite keeps no errno for this one, whose cause is nearly always a
    // full disk: the WAL index grows by writing to each new page.
    if (rc == SQLITE_IOERR_SHMSIZE) {
      message += ": cannot extend the WAL index (-shm file); no space left on device?";
    }
  }
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return Status::Invalid(std::move(message));
    case SQLITE_NOTFOUND:
      return Status::NotFound(std::move(message));
    default:
      return Status::IoError(std::move(message));
  }
}

struct Connection {
  sqlite3* db = nullptr;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { sqlite3_close_v2(db); }
};

inline Status Exec(sqlite3* db, const std::string& sql, const std::string& context) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : FromSqlite(db, rc, context);
}

// A prepared statement. Bound blobs are not copied: they must outlive the
// statement's next Reset().
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  int Prepare(sqlite3* db, const std::string& sql) {
    return sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_,
                              nullptr);
  }
  sqlite3_stmt* get() const { return stmt_; }
  // Releases the statement's read of the database and its bindings.
  void Reset() const {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void BindBlob(int i, std::string_view v) const {
    // A non-null pointer keeps an empty blob from binding as NULL.
    sqlite3_bind_blob(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  // Bit pattern kept: SQLite integers are signed, ours are not.
  void BindInt(int i, uint64_t v) const {
    sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v));
  }
  std::string_view Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return {static_cast<const char*>(p),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  uint64_t Int(int col) const {
    return static_cast<uint64_t>(sqlite3_column_int64(stmt_, col));
  }
  // Runs a statement that returns no rows (or whose rows are not needed).
  Status Run(sqlite3* db, const std::string& context) const {
    const int rc = sqlite3_step(stmt_);
    Reset();
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
    return FromSqlite(db, rc, context);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

struct ResetOnExit {
  const Stmt& stmt;
  ~ResetOnExit() { stmt.Reset(); }
};

// The record columns every query selects, in this order.
constexpr char kRecordColumns[] = "r.rkey, r.origin, r.seq, r.hlc, r.deleted, r.value";

// Reads a row of kRecordColumns; false when the record key is malformed.
inline bool RowToRecord(const Stmt& s, Record* out) {
  if (!SplitRecordKey(std::string(s.Blob(0)), &out->collection, &out->key)) return false;
  out->version.origin.assign(s.Blob(1));
  out->seq = s.Int(2);
  out->version.hlc = s.Int(3);
  out->deleted = s.Int(4) != 0;
  out->value.assign(s.Blob(5));
  return true;
}

// Opens `path` with the store's settings. The caller checks the rest.
inline Status OpenConnection(const std::string& path, int flags, Connection* conn) {
  int rc = sqlite3_open_v2(path.c_str(), &conn->db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return FromSqlite(conn->db, rc, "cannot open sqlite store " + path);
  }
  sqlite3_extended_result_codes(conn->db, 1);
  // Stored bytes are data, never schema edits, whatever a peer sends.
  sqlite3_db_config(conn->db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  return Exec(conn->db, kSqliteTuningPragmas, "cannot open sqlite store " + path);
}

// The stored metadata, all zero when none was committed yet.
inline Status ReadMetadata(sqlite3* db, const std::string& path, Metadata* out) {
  Stmt s;
  int rc = s.Prepare(db, "SELECT value FROM meta WHERE name = 'metadata'");
  if (rc == SQLITE_OK) rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) {
    *out = Metadata();
    return Status::Ok();
  }
  if (rc != SQLITE_ROW) return FromSqlite(db, rc, path + ": reading metadata");
  if (!DecodeMetadata(s.Blob(0), out)) {
    return Status::Corruption(path + ": undecodable metadata");
  }
  return Status::Ok();
}

}  // namespace datasync::sqlite
