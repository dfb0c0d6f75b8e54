// SqliteStore: one SQLite file in WAL mode.
//   records(rkey PRIMARY KEY, origin, seq, hlc, deleted, value) WITHOUT ROWID
//     with a unique index on (origin, seq) for ReadSince; SQLite keeps that
//     index exact itself, so RecordWrite::replaces is not needed here.
//   meta(name, value): "format", "metadata"    aux(name, value)
// One transaction per commit, with statements prepared once. A snapshot is a
// second connection holding a read transaction. `<path>.lock` (flock) keeps a
// second store, in this process or another, from opening the same file:
// SQLite's own locks would let two writers interleave.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "datasync/durable_store.h"
#include "store/store_codec.h"
#include "store/store_tuning.h"

namespace datasync {
namespace {

constexpr char kFormatValue[] = "datasync-sqlite-1";
constexpr char kSchema[] =
    "CREATE TABLE records(rkey BLOB PRIMARY KEY NOT NULL, origin BLOB NOT NULL,"
    " seq INTEGER NOT NULL, hlc INTEGER NOT NULL, deleted INTEGER NOT NULL,"
    " value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX records_by_origin ON records(origin, seq);"
    "CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE aux(name BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;";
constexpr char kRecordColumns[] = "rkey, origin, seq, hlc, deleted, value";

Status FromSqlite(sqlite3* db, int rc, const std::string& context) {
  std::string message = context + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::Corruption(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::Busy(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH: return Status::Invalid(std::move(message));
    case SQLITE_NOTFOUND: return Status::NotFound(std::move(message));
    default: return Status::IoError(std::move(message));
  }
}

// A prepared statement; Reset() on every exit path keeps it reusable and
// releases its read of the database.
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
  void Reset() const {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void BindBlob(int i, std::string_view v) const {
    // A non-null pointer keeps an empty blob from binding as NULL.
    sqlite3_bind_blob(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                      SQLITE_STATIC);
  }
  void BindInt(int i, uint64_t v) const {
    sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(v));
  }
  std::string_view Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  uint64_t Int(int col) const { return static_cast<uint64_t>(sqlite3_column_int64(stmt_, col)); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

struct ResetOnExit {
  const Stmt& stmt;
  ~ResetOnExit() { stmt.Reset(); }
};

// Reads a row of kRecordColumns.
bool RowToRecord(const Stmt& s, Record* out) {
  if (!SplitRecordKey(std::string(s.Blob(0)), &out->collection, &out->key)) return false;
  out->version.origin.assign(s.Blob(1));
  out->seq = s.Int(2);
  out->version.hlc = s.Int(3);
  out->deleted = s.Int(4) != 0;
  out->value.assign(s.Blob(5));
  return true;
}

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

Status Exec(sqlite3* db, const char* sql, const std::string& context) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : FromSqlite(db, rc, context);
}

Status OpenConnection(const std::string& path, int flags, Connection* conn) {
  int rc = sqlite3_open_v2(path.c_str(), &conn->db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(conn->db, rc, "cannot open sqlite store " + path);
  sqlite3_extended_result_codes(conn->db, 1);
  // Stored bytes are data, never schema edits, whatever a peer sends.
  sqlite3_db_config(conn->db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  return Exec(conn->db, kSqliteTuningPragmas, "cannot open sqlite store " + path);
}

Status ReadMetadata(sqlite3* db, const std::string& path, Metadata* out) {
  Stmt s;
  if (int rc = s.Prepare(db, "SELECT value FROM meta WHERE name = 'metadata'"); rc) {
    return FromSqlite(db, rc, path + ": reading metadata");
  }
  int rc = sqlite3_step(s.get());
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

class SqliteSnapshot : public StoreSnapshot {
 public:
  // Opens the read transaction that the snapshot then reads from.
  static Result<std::unique_ptr<StoreSnapshot>> Open(const std::string& path);

  ~SqliteSnapshot() override {
    next_origin_.Reset();
    rows_.Reset();
    if (conn_.db != nullptr) sqlite3_exec(conn_.db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  const Metadata& metadata() const override { return metadata_; }
  Status ReadSince(const VersionVector& since, OriginSeq* cursor, size_t max_records,
                   size_t max_bytes, std::vector<Record>* out, bool* done) override;

 private:
  explicit SqliteSnapshot(std::string path) : path_(std::move(path)) {}
  // The smallest origin greater than `after`; false at the end.
  Result<bool> NextOrigin(const std::string& after, std::string* origin);

  std::string path_;
  Connection conn_;          // outlives the statements below
  Stmt rows_, next_origin_;
  Metadata metadata_;
};

Result<std::unique_ptr<StoreSnapshot>> SqliteSnapshot::Open(const std::string& path) {
  std::unique_ptr<SqliteSnapshot> snap(new SqliteSnapshot(path));
  sqlite3* db = nullptr;
  if (Status s = OpenConnection(path, SQLITE_OPEN_READWRITE, &snap->conn_); !s.ok()) {
    return s;
  }
  db = snap->conn_.db;
  if (Status s = Exec(db, "PRAGMA query_only=1; BEGIN", path + ": snapshot"); !s.ok()) {
    return s;
  }
  // The first read fixes the snapshot; everything after sees that state.
  if (Status s = ReadMetadata(db, path, &snap->metadata_); !s.ok()) return s;
  int rc = snap->rows_.Prepare(
      db, std::string("SELECT ") + kRecordColumns +
              " FROM records WHERE origin = ?1 AND seq > ?2 ORDER BY seq");
  if (rc == SQLITE_OK) {
    rc = snap->next_origin_.Prepare(
        db, "SELECT origin FROM records WHERE origin > ?1 ORDER BY origin LIMIT 1");
  }
  if (rc != SQLITE_OK) return FromSqlite(db, rc, path + ": snapshot");
  return std::unique_ptr<StoreSnapshot>(std::move(snap));
}

Result<bool> SqliteSnapshot::NextOrigin(const std::string& after, std::string* origin) {
  ResetOnExit reset{next_origin_};
  next_origin_.BindBlob(1, after);
  int rc = sqlite3_step(next_origin_.get());
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return FromSqlite(conn_.db, rc, path_ + ": ReadSince");
  origin->assign(next_origin_.Blob(0));
  return true;
}

Status SqliteSnapshot::ReadSince(const VersionVector& since, OriginSeq* cursor,
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

class SqliteStore : public Store {
 public:
  ~SqliteStore() override {
    stmts_.clear();  // before the connection they belong to
    conn_.reset();
    if (lock_fd_ >= 0) close(lock_fd_);  // after SQLite is done with the file
  }

  // Takes the lock, checks the file, then sets it up; see OpenSqliteStore.
  static Result<std::unique_ptr<Store>> Open(const std::string& path,
                                             const DurableStoreOptions& options);

  Status Commit(const WriteBatch& batch) override;
  Result<Metadata> LoadMetadata() const override {
    Metadata m;
    if (Status s = ReadMetadata(conn_->db, path_, &m); !s.ok()) return s;
    return m;
  }
  Result<Record> Get(const std::string& collection,
                     const std::string& key) const override;
  Status Scan(const std::string& collection, const std::string& prefix,
              const std::function<bool(const Record&)>& fn) const override;
  Status ScanAll(const std::function<bool(const Record&)>& fn) const override {
    return Query(std::string("SELECT ") + kRecordColumns + " FROM records ORDER BY rkey",
                 "", "", fn);
  }
  Result<std::string> GetAux(const std::string& name) const override;
  Result<std::unique_ptr<StoreSnapshot>> OpenSnapshot() const override {
    return SqliteSnapshot::Open(path_);
  }
  Result<StoreCounts> Counts() const override;
  const char* Name() const override { return "sqlite"; }

 private:
  enum StmtId { kBegin, kCommit, kRollback, kUpsert, kPutMeta, kPutAux, kGet, kGetAux, kNumStmts };

  explicit SqliteStore(std::string path) : path_(std::move(path)) {}
  Status Setup(const DurableStoreOptions& options);
  Status Prepare();
  Status Step(StmtId id, const char* what);
  Status WriteBatchInTransaction(const WriteBatch& batch);
  // Runs `sql` with ?1 = lower, ?2 = upper when not empty, rows to fn.
  Status Query(const std::string& sql, const std::string& lower, const std::string& upper,
               const std::function<bool(const Record&)>& fn) const;

  std::string path_;
  int lock_fd_ = -1;
  std::unique_ptr<Connection> conn_ = std::make_unique<Connection>();
  std::vector<std::unique_ptr<Stmt>> stmts_;
  std::string rkey_buf_;
};

Status SqliteStore::Step(StmtId id, const char* what) {
  const Stmt& stmt = *stmts_[id];
  ResetOnExit reset{stmt};
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return FromSqlite(conn_->db, rc, path_ + ": " + what);
}

Status SqliteStore::WriteBatchInTransaction(const WriteBatch& batch) {
  const Stmt& upsert = *stmts_[kUpsert];
  for (const RecordWrite& w : batch.writes) {
    const Record& r = w.record;
    rkey_buf_ = RecordKey(r.collection, r.key);
    upsert.BindBlob(1, rkey_buf_);
    upsert.BindBlob(2, r.version.origin);
    upsert.BindInt(3, r.seq);
    upsert.BindInt(4, r.version.hlc);
    upsert.BindInt(5, r.deleted ? 1 : 0);
    upsert.BindBlob(6, r.value);
    if (Status s = Step(kUpsert, "commit"); !s.ok()) return s;
  }
  std::string metadata;
  if (batch.metadata) {
    metadata = EncodeMetadata(*batch.metadata);
    stmts_[kPutMeta]->BindBlob(1, metadata);
    if (Status s = Step(kPutMeta, "commit metadata"); !s.ok()) return s;
  }
  for (const auto& [name, value] : batch.aux) {
    stmts_[kPutAux]->BindBlob(1, name);
    stmts_[kPutAux]->BindBlob(2, value);
    if (Status s = Step(kPutAux, "commit aux"); !s.ok()) return s;
  }
  return Status::Ok();
}

Status SqliteStore::Commit(const WriteBatch& batch) {
  for (const RecordWrite& w : batch.writes) {
    if (Status s = ValidateRecord(w.record); !s.ok()) return s;
  }
  if (Status s = Step(kBegin, "begin"); !s.ok()) return s;
  Status s = WriteBatchInTransaction(batch);
  if (s.ok()) s = Step(kCommit, "commit");
  // SQLite may have rolled back already (some I/O errors); otherwise we must.
  if (!s.ok() && !sqlite3_get_autocommit(conn_->db)) {
    static_cast<void>(Step(kRollback, "rollback"));
  }
  return s;
}

Result<Record> SqliteStore::Get(const std::string& collection,
                                const std::string& key) const {
  const Stmt& get = *stmts_[kGet];
  ResetOnExit reset{get};
  const std::string rkey = RecordKey(collection, key);
  get.BindBlob(1, rkey);
  int rc = sqlite3_step(get.get());
  if (rc == SQLITE_DONE) return Status::NotFound(collection + "/" + key);
  if (rc != SQLITE_ROW) return FromSqlite(conn_->db, rc, path_ + ": get");
  Record record;
  if (!RowToRecord(get, &record)) return Status::Corruption(path_ + ": bad record key");
  return record;
}

Status SqliteStore::Scan(const std::string& collection, const std::string& prefix,
                         const std::function<bool(const Record&)>& fn) const {
  std::string lower = RecordKey(collection, prefix);
  // The successor of the prefix bounds the range; a prefix of 0xff bytes has
  // none, and then the range runs to the end of the collection's keys.
  std::string upper = lower;
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) {
    upper.pop_back();
  }
  if (!upper.empty()) upper.back() = static_cast<char>(upper.back() + 1);
  const std::string select = std::string("SELECT ") + kRecordColumns + " FROM records";
  if (upper.empty()) return Query(select + " WHERE rkey >= ?1 ORDER BY rkey", lower, "", fn);
  return Query(select + " WHERE rkey >= ?1 AND rkey < ?2 ORDER BY rkey", lower, upper, fn);
}

Status SqliteStore::Query(const std::string& sql, const std::string& lower,
                          const std::string& upper,
                          const std::function<bool(const Record&)>& fn) const {
  // Prepared per call: a callback may itself read the store.
  Stmt stmt;
  if (int rc = stmt.Prepare(conn_->db, sql); rc) return FromSqlite(conn_->db, rc, path_);
  if (!lower.empty()) stmt.BindBlob(1, lower);
  if (!upper.empty()) stmt.BindBlob(2, upper);
  Record record;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    if (!RowToRecord(stmt, &record)) return Status::Corruption(path_ + ": bad record key");
    if (!fn(record)) return Status::Ok();
  }
  if (rc != SQLITE_DONE) return FromSqlite(conn_->db, rc, path_ + ": scan");
  return Status::Ok();
}

Result<std::string> SqliteStore::GetAux(const std::string& name) const {
  const Stmt& get = *stmts_[kGetAux];
  ResetOnExit reset{get};
  get.BindBlob(1, name);
  int rc = sqlite3_step(get.get());
  if (rc == SQLITE_DONE) return Status::NotFound("aux " + name);
  if (rc != SQLITE_ROW) return FromSqlite(conn_->db, rc, path_ + ": aux " + name);
  return std::string(get.Blob(0));
}

Result<StoreCounts> SqliteStore::Counts() const {
  Stmt stmt;
  int rc = stmt.Prepare(conn_->db,
                        "SELECT count(*), coalesce(sum(deleted), 0) FROM records");
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return FromSqlite(conn_->db, rc, path_ + ": counts");
  return StoreCounts{stmt.Int(0), stmt.Int(1)};
}

Status SqliteStore::Prepare() {
  const std::string kSql[kNumStmts] = {
      "BEGIN IMMEDIATE",
      "COMMIT",
      "ROLLBACK",
      "INSERT INTO records(rkey, origin, seq, hlc, deleted, value)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(rkey) DO UPDATE SET"
      " origin = excluded.origin, seq = excluded.seq, hlc = excluded.hlc,"
      " deleted = excluded.deleted, value = excluded.value",
      "INSERT OR REPLACE INTO meta(name, value) VALUES('metadata', ?1)",
      "INSERT OR REPLACE INTO aux(name, value) VALUES(?1, ?2)",
      std::string("SELECT ") + kRecordColumns + " FROM records WHERE rkey = ?1",
      "SELECT value FROM aux WHERE name = ?1"};
  for (const std::string& sql : kSql) {
    stmts_.push_back(std::make_unique<Stmt>());
    if (int rc = stmts_.back()->Prepare(conn_->db, sql); rc) {
      return FromSqlite(conn_->db, rc, path_ + ": preparing statements");
    }
  }
  return Status::Ok();
}

// The lock is on a file of its own: flock on the database file would tie
// its lifetime to a descriptor, and closing any descriptor of the database
// drops SQLite's POSIX locks on it.
Result<int> LockStoreFile(const std::string& path) {
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError("cannot open sqlite store " + path + ": cannot open " +
                           lock_path + ": " + std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::IoError("sqlite store " + path +
                             " is locked: open in another process or store (" +
                             lock_path + ")");
    }
    return Status::IoError("cannot lock " + lock_path + ": " + std::strerror(err));
  }
  return fd;
}

Status QuickCheck(sqlite3* db, const std::string& path) {
  Stmt stmt;
  int rc = stmt.Prepare(db, "PRAGMA quick_check(4)");
  std::string problems;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt.get());
    if (rc != SQLITE_ROW) break;
    const std::string_view row = stmt.Blob(0);
    if (row != "ok") problems += (problems.empty() ? "" : "; ") + std::string(row);
  }
  if (rc != SQLITE_DONE) return FromSqlite(db, rc, "damaged sqlite store " + path);
  if (!problems.empty()) return Status::Corruption("damaged sqlite store " + path + ": " + problems);
  return Status::Ok();
}

// Sets *fresh for a file with no schema yet; refuses one made by others.
Status CheckFormat(sqlite3* db, const std::string& path, bool* fresh) {
  Stmt count;
  int rc = count.Prepare(db, "SELECT count(*) FROM sqlite_schema");
  if (rc == SQLITE_OK) rc = sqlite3_step(count.get());
  if (rc != SQLITE_ROW) return FromSqlite(db, rc, "cannot open sqlite store " + path);
  *fresh = count.Int(0) == 0;
  if (*fresh) return Status::Ok();
  Stmt format;
  rc = format.Prepare(db, "SELECT value FROM meta WHERE name = 'format'");
  if (rc == SQLITE_OK) rc = sqlite3_step(format.get());
  if (rc == SQLITE_ROW && format.Blob(0) == kFormatValue) return Status::Ok();
  if (rc == SQLITE_ROW || rc == SQLITE_DONE || (rc & 0xff) == SQLITE_ERROR) {
    return Status::Invalid(path + " is an SQLite database but not a datasync store");
  }
  return FromSqlite(db, rc, "cannot open sqlite store " + path);
}

Status EnableWal(sqlite3* db, const std::string& path) {
  Stmt wal;
  int rc = wal.Prepare(db, "PRAGMA journal_mode=WAL");
  if (rc == SQLITE_OK) rc = sqlite3_step(wal.get());
  if (rc != SQLITE_ROW) return FromSqlite(db, rc, "cannot open sqlite store " + path);
  if (wal.Blob(0) != "wal") {
    return Status::IoError("sqlite store " + path + ": cannot enable WAL mode");
  }
  return Status::Ok();
}

Status SqliteStore::Setup(const DurableStoreOptions& options) {
  if (Status s = OpenConnection(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                conn_.get());
      !s.ok()) {
    return s;
  }
  sqlite3* db = conn_->db;
  if (sqlite3_db_readonly(db, "main") == 1) {
    return Status::IoError("cannot open sqlite store " + path_ + ": file is read-only");
  }
  // Until the checks pass nothing may write the file, not even the
  // checkpoint SQLite runs when it closes a connection.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  if (Status s = QuickCheck(db, path_); !s.ok()) return s;
  bool fresh = false;
  if (Status s = CheckFormat(db, path_, &fresh); !s.ok()) return s;
  if (Status s = EnableWal(db, path_); !s.ok()) return s;
  const char* sync = options.sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (Status s = Exec(db, sync, path_); !s.ok()) return s;
  if (fresh) {
    const std::string create = std::string("BEGIN;") + kSchema +
                               "INSERT INTO meta(name, value) VALUES('format', '" +
                               kFormatValue + "');COMMIT;";
    if (Status s = Exec(db, create.c_str(), path_ + ": creating schema"); !s.ok()) {
      return s;
    }
  }
  if (Status s = Prepare(); !s.ok()) return s;
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  return Status::Ok();
}

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path,
                                                 const DurableStoreOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (options.must_exist) return Status::NotFound("no sqlite store at " + path);
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) return Status::IoError("cannot create " + parent.string() + ": " + ec.message());
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path));
  auto fd = LockStoreFile(path);
  if (!fd.ok()) return fd.status();
  store->lock_fd_ = *fd;
  if (Status s = store->Setup(options); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const DurableStoreOptions& options) {
  try {
    return SqliteStore::Open(path, options);
  } catch (const std::exception& e) {
    return Status::IoError("cannot open sqlite store " + path + ": " + e.what());
  }
}

}  // namespace datasync
