// The SQLite table connector: an application's own database file, written
// by the application at the same time (ARCHITECTURE §8).
//
// Capture: triggers record changed keys in _datasync_changes (sqlite_schema.h);
// a change is noticed by polling PRAGMA data_version, which moves whenever
// another connection commits. Each change row is read together with the
// row's current content (absent: a delete) and becomes one local write; a
// position is INSTANCE:ID, so a database replaced by another one (another
// instance id) is read from its start. Apply: one transaction per batch with
// the triggers muted through _datasync_control, the applied version of each
// key and the vector reached (sqlite_apply.cpp).
#include "connectors/sqlite/sqlite_backend.h"

#include <sys/stat.h>

#include <chrono>

#include "connectors/sqlite/sqlite_schema.h"

namespace datasync::sqlite_connector {
namespace {

using sqlite::Exec;

// Long enough to get the write lock between the commits of a busy
// application; the connector's thread may block that long.
constexpr int kBusyTimeoutMs = 1000;
constexpr uint64_t kStatEveryMs = 250;

uint64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Status SqliteBackend::OpenConnection() {
  struct stat st;
  if (::stat(config_.target.c_str(), &st) != 0) {
    return Status::IoError(config_.target + ": database file does not exist");
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  // No SQLITE_OPEN_CREATE: the application owns the file.
  int rc = sqlite3_open_v2(config_.target.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "cannot open");
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // Reading the schema is what tells a database from another file.
  Status s = Exec(db_, "SELECT count(*) FROM sqlite_schema",
                  config_.target + ": not an SQLite database");
  if (!s.ok()) return s;
  // In WAL mode our commits need no fsync each: a power loss can only take
  // the last ones back, applied rows and the applied vector together, and
  // the vector then asks for them again. The journal mode is the
  // application's choice; other modes keep SQLite's default.
  Stmt mode;
  if (mode.Prepare(db_, "PRAGMA journal_mode") == SQLITE_OK &&
      sqlite3_step(mode.get()) == SQLITE_ROW &&
      std::string(reinterpret_cast<const char*>(sqlite3_column_text(mode.get(), 0))) ==
          "wal") {
    mode.Reset();
    return Exec(db_, "PRAGMA synchronous=NORMAL", config_.target + ": synchronous");
  }
  return Status::Ok();
}

Status SqliteBackend::Open() {
  Close();
  Status s = OpenConnection();
  if (s.ok()) s = ReadTables(db_, config_.map, &tables_);
  if (s.ok()) s = Install(db_, tables_, config_.captures());
  if (s.ok()) s = PrepareAll();
  if (s.ok()) {
    Stmt inst;
    s = Prepare(&inst, "SELECT value FROM _datasync_state WHERE name = 'instance'");
    if (s.ok() && sqlite3_step(inst.get()) == SQLITE_ROW) {
      instance_ = reinterpret_cast<const char*>(sqlite3_column_text(inst.get(), 0));
    } else if (s.ok()) {
      s = Status::Corruption(config_.target + ": _datasync_state has no instance id");
    }
  }
  if (s.ok()) {
    Result<bool> first = Poll();
    if (!first.ok()) s = first.status();
  }
  if (!s.ok()) {
    Status full(s.code(), s.message().rfind(config_.target, 0) == 0
                              ? s.message()
                              : config_.target + ": " + s.message());
    Close();
    return full;
  }
  return Status::Ok();
}

void SqliteBackend::Close() {
  table_stmts_.clear();
  st_.reset();
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
  data_version_ = -1;
}

Status SqliteBackend::Prepare(Stmt* stmt, const std::string& sql) {
  const int rc = stmt->Prepare(db_, sql);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, "preparing \"" + sql + "\"");
}

Status SqliteBackend::PrepareAll() {
  const bool capture = config_.captures();
  st_ = std::make_unique<Statements>();
  struct {
    Stmt* stmt;
    const char* sql;
    bool needs_capture;
  } const global[] = {
      {&st_->data_version, "PRAGMA data_version", false},
      {&st_->read_changes,
       "SELECT id, tbl, k1, k2, k3, k4 FROM _datasync_changes WHERE id > ?1 ORDER BY id "
       "LIMIT ?2",
       true},
      {&st_->consumed, "DELETE FROM _datasync_changes WHERE id <= ?1", true},
      {&st_->backlog, "SELECT count(*) FROM _datasync_changes WHERE id > ?1", true},
      {&st_->set_applying, "UPDATE _datasync_control SET applying = ?1", false},
      {&st_->get_applied, "SELECT hlc, origin FROM _datasync_applied WHERE tbl = ?1 AND key = ?2",
       false},
      {&st_->put_applied, "INSERT OR REPLACE INTO _datasync_applied VALUES (?1, ?2, ?3, ?4)",
       false},
      {&st_->get_state, "SELECT value FROM _datasync_state WHERE name = ?1", false},
      {&st_->put_state, "INSERT OR REPLACE INTO _datasync_state VALUES (?1, ?2)", false},
  };
  for (const auto& g : global) {
    if (g.needs_capture && !capture) continue;
    Status s = Prepare(g.stmt, g.sql);
    if (!s.ok()) return s;
  }
  for (const Table& t : tables_) {
    auto ts = std::make_unique<TableStmts>();
    std::string where, slots, columns;
    for (size_t i = 0; i < t.pk.size(); ++i) {
      const std::string n = std::to_string(i + 1);
      where += (i ? " AND " : "") + QuoteId(t.columns[t.pk[i]].name) + " = ?" + n;
      slots += " AND k" + n + " = ?" + n;
    }
    for (size_t i = 0; i < t.columns.size(); ++i) {
      columns += (i ? ", " : "") + QuoteId(t.columns[i].name);
    }
    const std::string table = QuoteId(t.name);
    Status s = Prepare(&ts->select_row,
                       "SELECT " + columns + " FROM " + table + " WHERE " + where);
    if (s.ok()) s = Prepare(&ts->remove, "DELETE FROM " + table + " WHERE " + where);
    if (s.ok() && capture) {
      const std::string n = std::to_string(t.pk.size() + 1);
      s = Prepare(&ts->pending, "SELECT 1 FROM _datasync_changes WHERE tbl = " +
                                    QuoteText(t.name) + slots + " AND id > ?" + n +
                                    " LIMIT 1");
    }
    if (!s.ok()) return s;
    table_stmts_.push_back(std::move(ts));
  }
  return Status::Ok();
}

Status SqliteBackend::CheckFile(bool force) {
  const uint64_t now = NowMs();
  if (!force && now < next_stat_ms_) return Status::Ok();
  next_stat_ms_ = now + kStatEveryMs;
  struct stat st;
  if (::stat(config_.target.c_str(), &st) != 0) {
    return Status::IoError(config_.target + ": database file was deleted");
  }
  if (st.st_dev != dev_ || st.st_ino != ino_) {
    return Status::IoError(config_.target + ": database file was replaced");
  }
  return Status::Ok();
}

Result<bool> SqliteBackend::Poll() {
  Status s = CheckFile(false);
  if (!s.ok()) return s;
  const int rc = sqlite3_step(st_->data_version.get());
  if (rc != SQLITE_ROW) {
    st_->data_version.Reset();
    return Error(rc, "PRAGMA data_version");
  }
  const int64_t version = sqlite3_column_int64(st_->data_version.get(), 0);
  st_->data_version.Reset();
  const bool changed = version != data_version_;
  data_version_ = version;
  return changed;
}

int64_t SqliteBackend::PositionId(const std::string& position) const {
  const size_t colon = position.find(':');
  if (colon == std::string::npos || position.compare(0, colon, instance_) != 0) return 0;
  int64_t id = 0;
  for (char c : position.substr(colon + 1)) {
    if (c < '0' || c > '9') return 0;
    id = id * 10 + (c - '0');
  }
  return id;
}

const Table* SqliteBackend::TableOf(const std::string& collection) const {
  for (const Table& t : tables_) {
    if (t.collection == collection) return &t;
  }
  return nullptr;
}

Status SqliteBackend::ReadChanges(const std::string& after, size_t max,
                                  ConnectorCaptured* out,
                                  std::vector<ConnectorFailure>* failures) {
  // One read transaction: each change row and the row it names are seen
  // as of the same moment.
  Status s = Exec(db_, "BEGIN", config_.target + ": begin");
  if (!s.ok()) return s;
  sqlite::ResetOnExit reset{st_->read_changes};
  sqlite3_bind_int64(st_->read_changes.get(), 1, PositionId(after));
  sqlite3_bind_int64(st_->read_changes.get(), 2, static_cast<int64_t>(max));
  int64_t last = -1;
  int rc;
  while ((rc = sqlite3_step(st_->read_changes.get())) == SQLITE_ROW) {
    sqlite3_stmt* row = st_->read_changes.get();
    last = sqlite3_column_int64(row, 0);
    const std::string tbl = reinterpret_cast<const char*>(sqlite3_column_text(row, 1));
    size_t index = 0;
    while (index < tables_.size() && tables_[index].name != tbl) ++index;
    if (index == tables_.size()) {
      failures->push_back({"", "change " + std::to_string(last),
                           "change of table " + tbl + ", which is not mapped"});
      continue;
    }
    const Table& t = tables_[index];
    std::vector<sqlite3_value*> key_values;
    for (size_t i = 0; i < t.pk.size(); ++i) {
      key_values.push_back(sqlite3_column_value(row, 2 + static_cast<int>(i)));
    }
    CapturedChange change;
    change.collection = t.collection;
    std::string error;
    if (!EncodeKey(db_, t, key_values, &change.key, &error)) {
      failures->push_back({t.collection, "change " + std::to_string(last), error});
      continue;
    }
    const Stmt& select = table_stmts_[index]->select_row;
    for (size_t i = 0; i < key_values.size(); ++i) {
      sqlite3_bind_value(select.get(), static_cast<int>(i) + 1, key_values[i]);
    }
    const int found = sqlite3_step(select.get());
    if (found == SQLITE_ROW) {
      change.value = RowValue(t, select.get());
    } else if (found == SQLITE_DONE) {
      change.deleted = true;
    } else {
      select.Reset();
      (void)Exec(db_, "ROLLBACK", "rollback");
      return Error(found, "reading table " + t.name);
    }
    select.Reset();
    out->changes.push_back(std::move(change));
  }
  if (rc != SQLITE_DONE) {
    (void)Exec(db_, "ROLLBACK", "rollback");
    return Error(rc, "reading _datasync_changes");
  }
  s = Exec(db_, "COMMIT", config_.target + ": commit");
  if (!s.ok()) return s;
  if (last >= 0) out->position = instance_ + ":" + std::to_string(last);
  return Status::Ok();
}

Status SqliteBackend::Consumed(const std::string& position) {
  const int64_t id = PositionId(position);
  if (id == 0) return Status::Ok();
  sqlite3_bind_int64(st_->consumed.get(), 1, id);
  return st_->consumed.Run(db_, config_.target + ": deleting captured changes");
}

Result<uint64_t> SqliteBackend::Backlog(const std::string& after) {
  sqlite::ResetOnExit reset{st_->backlog};
  sqlite3_bind_int64(st_->backlog.get(), 1, PositionId(after));
  const int rc = sqlite3_step(st_->backlog.get());
  if (rc != SQLITE_ROW) return Error(rc, "counting changes");
  return static_cast<uint64_t>(sqlite3_column_int64(st_->backlog.get(), 0));
}

Status SqliteBackend::Uninstall() {
  Close();
  Status s = OpenConnection();
  if (s.ok()) s = sqlite_connector::Uninstall(db_);
  Close();
  return s;
}

}  // namespace datasync::sqlite_connector

namespace datasync {

std::unique_ptr<ConnectorBackend> MakeSqliteBackend(const ConnectorConfig& config) {
  return std::make_unique<sqlite_connector::SqliteBackend>(config);
}

}  // namespace datasync
