// SqliteStore: one SQLite file in WAL mode.
//   records(rkey PRIMARY KEY, origin, seq, hlc, deleted, value) WITHOUT ROWID
//   by_origin(origin, seq PRIMARY KEY, rkey): the (origin, seq) index
//   superseded(id, n, entries): index entries replaced, not yet deleted
//   meta(name, value): "format", "metadata"      aux(name, value)
// One transaction per commit, with statements prepared once. A snapshot is a
// second connection holding a read transaction. `<path>.lock` (flock) keeps a
// second store, in this process or another, from opening the same file.
//
// by_origin is a table of our own rather than an index on records(origin,
// seq) so that a replaced entry can be deleted later, in bulk: see
// sqlite_index_cleaner.h for why, sqlite_snapshot.h for how reads cope.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "datasync/durable_store.h"
#include "store/sqlite_index_cleaner.h"
#include "store/sqlite_snapshot.h"
#include "store/sqlite_util.h"
#include "store/store_codec.h"
#include "store/store_tuning.h"

namespace datasync {
namespace {

using sqlite::Connection;
using sqlite::Exec;
using sqlite::FromSqlite;
using sqlite::IndexCleaner;
using sqlite::kRecordColumns;
using sqlite::OpenConnection;
using sqlite::ReadMetadata;
using sqlite::ResetOnExit;
using sqlite::RowToRecord;
using sqlite::SqliteSnapshot;
using sqlite::Stmt;

constexpr char kFormatValue[] = "datasync-sqlite-1";
constexpr char kSchema[] =
    "CREATE TABLE records(rkey BLOB PRIMARY KEY NOT NULL, origin BLOB NOT NULL,"
    " seq INTEGER NOT NULL, hlc INTEGER NOT NULL, deleted INTEGER NOT NULL,"
    " value BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE by_origin(origin BLOB NOT NULL, seq INTEGER NOT NULL,"
    " rkey BLOB NOT NULL, PRIMARY KEY(origin, seq)) WITHOUT ROWID;"
    "CREATE TABLE superseded(id INTEGER PRIMARY KEY, n INTEGER NOT NULL,"
    " entries BLOB NOT NULL);"
    "CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT "
    "ROWID;"
    "CREATE TABLE aux(name BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT "
    "ROWID;";

class SqliteStore : public Store {
 public:
  ~SqliteStore() override {
    stmts_.clear();  // before the connection they belong to
    cleaner_.reset();
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
    return Query(
        std::string("SELECT ") + kRecordColumns + " FROM records r ORDER BY r.rkey", "",
        "", fn);
  }
  Result<std::string> GetAux(const std::string& name) const override;
  Result<std::unique_ptr<StoreSnapshot>> OpenSnapshot() const override {
    return SqliteSnapshot::Open(path_);
  }
  Result<StoreCounts> Counts() const override;
  const char* Name() const override { return "sqlite"; }

 private:
  enum StmtId {
    kBegin,
    kCommit,
    kRollback,
    kUpsert,
    kPutIndex,
    kPutMeta,
    kPutAux,
    kGet,
    kGetAux,
    kNumStmts
  };

  explicit SqliteStore(std::string path) : path_(std::move(path)) {}
  Status Setup(const DurableStoreOptions& options);
  Status Prepare();
  Status Run(StmtId id, const char* what) {
    return stmts_[id]->Run(conn_->db, path_ + ": " + what);
  }
  // Upserts record `r` under the key in rkey_buf_.
  Status WriteRecord(const Record& r);
  Status WriteInTransaction(const WriteBatch& batch);
  // Runs `sql` with ?1 = lower, ?2 = upper when not empty, rows to fn.
  Status Query(const std::string& sql, const std::string& lower, const std::string& upper,
               const std::function<bool(const Record&)>& fn) const;

  std::string path_;
  int lock_fd_ = -1;
  std::unique_ptr<Connection> conn_ = std::make_unique<Connection>();
  std::vector<std::unique_ptr<Stmt>> stmts_;
  std::unique_ptr<IndexCleaner> cleaner_ = std::make_unique<IndexCleaner>();
  std::string rkey_buf_;
};

Status SqliteStore::WriteRecord(const Record& r) {
  const Stmt& stmt = *stmts_[kUpsert];
  stmt.BindBlob(1, rkey_buf_);
  stmt.BindBlob(2, r.version.origin);
  stmt.BindInt(3, r.seq);
  stmt.BindInt(4, r.version.hlc);
  stmt.BindInt(5, r.deleted ? 1 : 0);
  stmt.BindBlob(6, r.value);
  return Run(kUpsert, "commit");
}

Status SqliteStore::WriteInTransaction(const WriteBatch& batch) {
  const Stmt& put_index = *stmts_[kPutIndex];
  for (const RecordWrite& w : batch.writes) {
    const Record& r = w.record;
    rkey_buf_ = RecordKey(r.collection, r.key);
    if (Status s = WriteRecord(r); !s.ok()) return s;
    put_index.BindBlob(1, r.version.origin);
    put_index.BindInt(2, r.seq);
    put_index.BindBlob(3, rkey_buf_);
    if (Status s = Run(kPutIndex, "commit"); !s.ok()) return s;
    if (w.replaces && *w.replaces != r.origin_seq()) {
      cleaner_->Supersede(*w.replaces);
    }
  }
  std::string metadata;
  if (batch.metadata) {
    metadata = EncodeMetadata(*batch.metadata);
    stmts_[kPutMeta]->BindBlob(1, metadata);
    if (Status s = Run(kPutMeta, "commit metadata"); !s.ok()) return s;
  }
  for (const auto& [name, value] : batch.aux) {
    stmts_[kPutAux]->BindBlob(1, name);
    stmts_[kPutAux]->BindBlob(2, value);
    if (Status s = Run(kPutAux, "commit aux"); !s.ok()) return s;
  }
  return Status::Ok();
}

Status SqliteStore::Commit(const WriteBatch& batch) {
  for (const RecordWrite& w : batch.writes) {
    if (Status s = ValidateRecord(w.record); !s.ok()) return s;
  }
  if (Status s = Run(kBegin, "begin"); !s.ok()) return s;
  Status s = WriteInTransaction(batch);
  if (s.ok()) s = cleaner_->Step();
  if (s.ok()) s = Run(kCommit, "commit");
  if (!s.ok()) {
    // SQLite may have rolled back already (some I/O errors); else we must.
    if (!sqlite3_get_autocommit(conn_->db)) static_cast<void>(Run(kRollback, "rollback"));
    cleaner_->Forget();
  }
  return s;
}

Result<Record> SqliteStore::Get(const std::string& collection,
                                const std::string& key) const {
  const Stmt& get = *stmts_[kGet];
  ResetOnExit reset{get};
  const std::string rkey = RecordKey(collection, key);
  get.BindBlob(1, rkey);
  const int rc = sqlite3_step(get.get());
  if (rc == SQLITE_DONE) return Status::NotFound(collection + "/" + key);
  if (rc != SQLITE_ROW) return FromSqlite(conn_->db, rc, path_ + ": get");
  Record record;
  if (!RowToRecord(get, &record)) return Status::Corruption(path_ + ": bad record key");
  return record;
}

Status SqliteStore::Scan(const std::string& collection, const std::string& prefix,
                         const std::function<bool(const Record&)>& fn) const {
  const std::string lower = RecordKey(collection, prefix);
  // The prefix's successor bounds the range. A prefix ending in 0xff bytes
  // drops them first; all 0xff (impossible: byte 0 is a length) has none.
  std::string upper = lower;
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) {
    upper.pop_back();
  }
  if (!upper.empty()) upper.back() = static_cast<char>(upper.back() + 1);
  const std::string select = std::string("SELECT ") + kRecordColumns + " FROM records r";
  if (upper.empty()) {
    return Query(select + " WHERE r.rkey >= ?1 ORDER BY r.rkey", lower, "", fn);
  }
  return Query(select + " WHERE r.rkey >= ?1 AND r.rkey < ?2 ORDER BY r.rkey", lower,
               upper, fn);
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
    if (!RowToRecord(stmt, &record)) {
      return Status::Corruption(path_ + ": bad record key");
    }
    if (!fn(record)) return Status::Ok();
  }
  if (rc != SQLITE_DONE) return FromSqlite(conn_->db, rc, path_ + ": scan");
  return Status::Ok();
}

Result<std::string> SqliteStore::GetAux(const std::string& name) const {
  const Stmt& get = *stmts_[kGetAux];
  ResetOnExit reset{get};
  get.BindBlob(1, name);
  const int rc = sqlite3_step(get.get());
  if (rc == SQLITE_DONE) return Status::NotFound("aux " + name);
  if (rc != SQLITE_ROW) return FromSqlite(conn_->db, rc, path_ + ": aux " + name);
  return std::string(get.Blob(0));
}

Result<StoreCounts> SqliteStore::Counts() const {
  Stmt stmt;
  int rc =
      stmt.Prepare(conn_->db, "SELECT count(*), coalesce(sum(deleted), 0) FROM records");
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
      "INSERT OR REPLACE INTO by_origin(origin, seq, rkey) VALUES(?1, ?2, ?3)",
      "INSERT OR REPLACE INTO meta(name, value) VALUES('metadata', ?1)",
      "INSERT OR REPLACE INTO aux(name, value) VALUES(?1, ?2)",
      std::string("SELECT ") + kRecordColumns + " FROM records r WHERE r.rkey = ?1",
      "SELECT value FROM aux WHERE name = ?1"};
  for (const std::string& sql : kSql) {
    stmts_.push_back(std::make_unique<Stmt>());
    if (int rc = stmts_.back()->Prepare(conn_->db, sql); rc) {
      return FromSqlite(conn_->db, rc, path_ + ": preparing statements");
    }
  }
  return cleaner_->Prepare(conn_->db, path_);
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
  if (!problems.empty()) {
    return Status::Corruption("damaged sqlite store " + path + ": " + problems);
  }
  return Status::Ok();
}

// "file:PATH?immutable=1": SQLite reads the file as it is, taking no lock
// and creating no -wal or -shm file.
std::string ImmutableUri(const std::string& path) {
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto byte = static_cast<unsigned char>(c);
      uri += {'%', kHex[byte >> 4], kHex[byte & 15]};
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// Whether the file can be checked on its own, before a read-write
// connection exists: one to a WAL-mode file creates its -wal and -shm files
// at the first read, so a damaged store would not be left as it was found.
// Not when a WAL holds commits (after a crash): the check needs them.
bool CheckableAlone(const std::string& path) {
  std::error_code ec;
  const uintmax_t wal = std::filesystem::file_size(path + "-wal", ec);
  return (ec || wal == 0) && std::filesystem::file_size(path, ec) > 0 && !ec;
}

Status CheckAlone(const std::string& path) {
  Connection conn;
  const int rc = sqlite3_open_v2(
      ImmutableUri(path).c_str(), &conn.db,
      SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(conn.db, rc, "cannot open sqlite store " + path);
  sqlite3_extended_result_codes(conn.db, 1);
  return QuickCheck(conn.db, path);
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
  const bool checked = CheckableAlone(path_);
  if (checked) {
    if (Status s = CheckAlone(path_); !s.ok()) return s;
  }
  if (Status s =
          OpenConnection(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, conn_.get());
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
  if (!checked) {
    if (Status s = QuickCheck(db, path_); !s.ok()) return s;
  }
  bool fresh = false;
  if (Status s = CheckFormat(db, path_, &fresh); !s.ok()) return s;
  if (Status s = EnableWal(db, path_); !s.ok()) return s;
  const char* sync =
      options.sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
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
    if (ec) {
      return Status::IoError("cannot create " + parent.string() + ": " + ec.message());
    }
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
