// SqliteSnapshot: SqliteStore's StoreSnapshot, a second connection holding
// one read transaction, so that every page of a catch-up answer comes from
// the same state. Private to sqlite_store.cpp (header-only because the
// store target lists its sources one by one).
//
// by_origin may hold entries superseded but not deleted yet (see
// sqlite_index_cleaner.h): ReadSince joins each entry with its record and
// keeps it only when the record still has that (origin, seq).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_util.h"

namespace datasync::sqlite {

class SqliteSnapshot : public StoreSnapshot {
 public:
  // Opens a connection and the read transaction the snapshot reads from.
  static Result<std::unique_ptr<StoreSnapshot>> Open(const std::string& path);

  ~SqliteSnapshot() override {
    next_origin_.Reset();
    rows_.Reset();
    if (conn_.db != nullptr) {
      sqlite3_exec(conn_.db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }
  const Metadata& metadata() const override { return metadata_; }
  Status ReadSince(const VersionVector& since, OriginSeq* cursor, size_t max_records,
                   size_t max_bytes, std::vector<Record>* out, bool* done) override;

 private:
  explicit SqliteSnapshot(std::string path) : path_(std::move(path)) {}
  // The smallest origin greater than `after`; false at the end.
  Result<bool> NextOrigin(const std::string& after, std::string* origin);

  std::string path_;
  Connection conn_;  // declared first: outlives the statements
  Stmt rows_, next_origin_;
  Metadata metadata_;
};

inline Result<std::unique_ptr<StoreSnapshot>> SqliteSnapshot::Open(
    const std::string& path) {
  std::unique_ptr<SqliteSnapshot> snap(new SqliteSnapshot(path));
  if (Status s = OpenConnection(path, SQLITE_OPEN_READWRITE, &snap->conn_); !s.ok()) {
    return s;
  }
  sqlite3* db = snap->conn_.db;
  if (Status s = Exec(db, "PRAGMA query_only=1; BEGIN", path + ": snapshot"); !s.ok()) {
    return s;
  }
  // The first read fixes the snapshot; everything after sees that state.
  if (Status s = ReadMetadata(db, path, &snap->metadata_); !s.ok()) return s;
  int rc = snap->rows_.Prepare(
      db, std::string("SELECT ") + kRecordColumns +
              " FROM by_origin b JOIN records r ON r.rkey = b.rkey"
              " WHERE b.origin = ?1 AND b.seq > ?2 AND r.origin = b.origin"
              " AND r.seq = b.seq ORDER BY b.seq");
  if (rc == SQLITE_OK) {
    rc = snap->next_origin_.Prepare(
        db, "SELECT origin FROM by_origin WHERE origin > ?1 ORDER BY origin LIMIT 1");
  }
  if (rc != SQLITE_OK) return FromSqlite(db, rc, path + ": snapshot");
  return std::unique_ptr<StoreSnapshot>(std::move(snap));
}

inline Result<bool> SqliteSnapshot::NextOrigin(const std::string& after,
                                               std::string* origin) {
  ResetOnExit reset{next_origin_};
  next_origin_.BindBlob(1, after);
  const int rc = sqlite3_step(next_origin_.get());
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return FromSqlite(conn_.db, rc, path_ + ": ReadSince");
  origin->assign(next_origin_.Blob(0));
  return true;
}

inline Status SqliteSnapshot::ReadSince(const VersionVector& since, OriginSeq* cursor,
                                        size_t max_records, size_t max_bytes,
                                        std::vector<Record>* out, bool* done) {
  std::string origin = cursor->origin;
  uint64_t after = origin.empty() ? 0 : cursor->seq;
  bool in_origin = !origin.empty();  // else move on to the next origin
  max_records = std::max<size_t>(max_records, 1);
  size_t records = 0, bytes = 0;
  *done = false;
  while (true) {
    if (!in_origin) {
      auto more = NextOrigin(origin, &origin);
      if (!more.ok()) return more.status();
      if (!*more) break;
      after = 0;
    }
    in_origin = false;
    const uint64_t from = std::max(after, since.Get(origin));
    // seq is stored as a signed 64-bit integer; nothing lies beyond.
    if (from >= static_cast<uint64_t>(INT64_MAX)) continue;
    ResetOnExit reset{rows_};
    rows_.BindBlob(1, origin);
    rows_.BindInt(2, from);
    int rc;
    while ((rc = sqlite3_step(rows_.get())) == SQLITE_ROW) {
      if (records >= max_records || (records > 0 && bytes >= max_bytes)) {
        return Status::Ok();
      }
      Record record;
      if (!RowToRecord(rows_, &record)) {
        return Status::Corruption(path_ + ": undecodable record key");
      }
      bytes += record.key.size() + record.value.size();
      ++records;
      *cursor = record.origin_seq();
      out->push_back(std::move(record));
    }
    if (rc != SQLITE_DONE) return FromSqlite(conn_.db, rc, path_ + ": ReadSince");
  }
  *done = true;
  return Status::Ok();
}

}  // namespace datasync::sqlite
