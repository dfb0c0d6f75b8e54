// The apply half of SqliteBackend: batches of records written into the
// application's tables in one transaction each, with the triggers muted,
// the version of each key and the vector reached (sqlite_schema.h).
#include "connectors/sqlite/sqlite_backend.h"

namespace datasync::sqlite_connector {
namespace {

using sqlite::Exec;

// Errors of one record's statement that retrying cannot cure.
bool IsPermanent(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status SqliteBackend::Apply(const ConnectorApply& batch, const std::string& captured_after,
                            ApplyResult* result) {
  // IMMEDIATE: the write lock from the start, so that no other connection
  // commits between our `applying = 1` and its reset.
  Status s = Exec(db_, "BEGIN IMMEDIATE", config_.target + ": begin");
  if (!s.ok()) return s;
  auto abort = [&](Status error) {
    (void)Exec(db_, "ROLLBACK", "rollback");
    *result = ApplyResult();
    return error;
  };
  sqlite3_bind_int(st_->set_applying.get(), 1, 1);
  s = st_->set_applying.Run(db_, config_.target + ": muting triggers");
  if (!s.ok()) return abort(s);
  const int64_t after = PositionId(captured_after);
  for (const Record& r : batch.records) {
    std::string failure;
    s = ApplyRecord(r, after, result, &failure);
    if (!s.ok()) return abort(s);
    if (!failure.empty()) result->failures.push_back({r.collection, r.key, failure});
  }
  if (batch.has_vv) {
    sqlite3_bind_text(st_->put_state.get(), 1, "applied_vv", -1, SQLITE_STATIC);
    const std::string vv = batch.vv.ToText();
    sqlite3_bind_text(st_->put_state.get(), 2, vv.data(), static_cast<int>(vv.size()),
                      SQLITE_TRANSIENT);
    s = st_->put_state.Run(db_, config_.target + ": storing the applied vector");
    if (!s.ok()) return abort(s);
  }
  sqlite3_bind_int(st_->set_applying.get(), 1, 0);
  s = st_->set_applying.Run(db_, config_.target + ": unmuting triggers");
  if (!s.ok()) return abort(s);
  s = Exec(db_, "COMMIT", config_.target + ": commit");
  if (!s.ok()) return abort(s);
  return Status::Ok();
}

Status SqliteBackend::ApplyRecord(const Record& r, int64_t captured_after,
                                  ApplyResult* result, std::string* failure) {
  const Table* t = TableOf(r.collection);
  if (t == nullptr) {
    *failure = "collection " + r.collection + " is not mapped";
    return Status::Ok();
  }
  TableStmts& ts = *table_stmts_[t - tables_.data()];
  std::vector<SqlValue> key;
  if (!DecodeKey(db_, *t, r.key, &key, failure)) return Status::Ok();

  if (config_.captures()) {
    // A change of this key is still to be captured: it becomes a newer
    // write than anything the node holds now, so it wins; leave it.
    sqlite::ResetOnExit reset{ts.pending};
    for (size_t i = 0; i < key.size(); ++i) Bind(ts.pending.get(), static_cast<int>(i) + 1, key[i]);
    sqlite3_bind_int64(ts.pending.get(), static_cast<int>(key.size()) + 1, captured_after);
    const int rc = sqlite3_step(ts.pending.get());
    if (rc == SQLITE_ROW) {
      ++result->skipped;
      return Status::Ok();
    }
    if (rc != SQLITE_DONE) return Error(rc, "checking pending changes");
  }
  {
    sqlite::ResetOnExit reset{st_->get_applied};
    sqlite3_bind_text(st_->get_applied.get(), 1, t->name.c_str(), -1, SQLITE_STATIC);
    st_->get_applied.BindBlob(2, r.key);
    const int rc = sqlite3_step(st_->get_applied.get());
    if (rc == SQLITE_ROW) {
      const Version have{static_cast<uint64_t>(sqlite3_column_int64(st_->get_applied.get(), 0)),
                         reinterpret_cast<const char*>(
                             sqlite3_column_text(st_->get_applied.get(), 1))};
      if (!Supersedes(r.version, have)) {
        ++result->skipped;  // this version, or a newer one, is already here
        return Status::Ok();
      }
    } else if (rc != SQLITE_DONE) {
      return Error(rc, "reading applied versions");
    }
  }
  Status s = Exec(db_, "SAVEPOINT record", "savepoint");
  if (!s.ok()) return s;
  if (r.deleted) {
    for (size_t i = 0; i < key.size(); ++i) Bind(ts.remove.get(), static_cast<int>(i) + 1, key[i]);
    const int rc = sqlite3_step(ts.remove.get());
    ts.remove.Reset();
    if (rc != SQLITE_DONE) {
      if (!IsPermanent(rc)) return Error(rc, "deleting from " + t->name);
      *failure = "table " + t->name + ": " + sqlite3_errmsg(db_);
    }
  } else {
    s = Upsert(*t, ts, r, failure);
    if (!s.ok()) return s;
  }
  if (failure->empty()) {
    sqlite3_bind_text(st_->put_applied.get(), 1, t->name.c_str(), -1, SQLITE_STATIC);
    st_->put_applied.BindBlob(2, r.key);
    sqlite3_bind_int64(st_->put_applied.get(), 3, static_cast<int64_t>(r.version.hlc));
    sqlite3_bind_text(st_->put_applied.get(), 4, r.version.origin.c_str(), -1, SQLITE_STATIC);
    s = st_->put_applied.Run(db_, config_.target + ": storing the applied version");
    if (!s.ok()) return s;
    ++result->applied;
    return Exec(db_, "RELEASE record", "release");
  }
  // Undo whatever of this record was written; the rest of the batch stays.
  s = Exec(db_, "ROLLBACK TO record", "rollback to savepoint");
  if (s.ok()) s = Exec(db_, "RELEASE record", "release");
  return s;
}

Status SqliteBackend::Upsert(const Table& t, TableStmts& ts, const Record& r,
                             std::string* failure) {
  std::vector<int> columns;
  std::vector<SqlValue> values;
  if (!DecodeRow(t, r.value, &columns, &values, failure)) return Status::Ok();
  std::unique_ptr<Stmt>& stmt = ts.upserts[columns];
  if (!stmt) {
    std::string names, params, conflict, update;
    for (size_t i = 0; i < columns.size(); ++i) {
      const Column& c = t.columns[columns[i]];
      names += (i ? ", " : "") + QuoteId(c.name);
      params += (i ? ", ?" : "?") + std::to_string(i + 1);
      if (c.pk == 0) {
        update += (update.empty() ? "" : ", ") + QuoteId(c.name) + " = excluded." +
                  QuoteId(c.name);
      }
    }
    for (size_t i = 0; i < t.pk.size(); ++i) {
      conflict += (i ? ", " : "") + QuoteId(t.columns[t.pk[i]].name);
    }
    std::string sql = "INSERT INTO " + QuoteId(t.name) + " (" + names + ") VALUES (" +
                      params + ") ON CONFLICT (" + conflict + ") DO " +
                      (update.empty() ? "NOTHING" : "UPDATE SET " + update);
    stmt = std::make_unique<Stmt>();
    Status s = Prepare(stmt.get(), sql);
    if (!s.ok()) {
      stmt.reset();
      return s;
    }
  }
  for (size_t i = 0; i < values.size(); ++i) Bind(stmt->get(), static_cast<int>(i) + 1, values[i]);
  const int rc = sqlite3_step(stmt->get());
  stmt->Reset();
  if (rc == SQLITE_DONE) return Status::Ok();
  if (!IsPermanent(rc)) return Error(rc, "writing into " + t.name);
  *failure = "table " + t.name + ": " + sqlite3_errmsg(db_);
  return Status::Ok();
}

Result<VersionVector> SqliteBackend::AppliedVector() {
  sqlite::ResetOnExit reset{st_->get_state};
  sqlite3_bind_text(st_->get_state.get(), 1, "applied_vv", -1, SQLITE_STATIC);
  const int rc = sqlite3_step(st_->get_state.get());
  if (rc == SQLITE_DONE) return VersionVector();
  if (rc != SQLITE_ROW) return Error(rc, "reading the applied vector");
  const unsigned char* text = sqlite3_column_text(st_->get_state.get(), 0);
  VersionVector vv;
  if (text == nullptr || !VersionVector::FromText(reinterpret_cast<const char*>(text), &vv)) {
    return Status::Corruption(config_.target + ": bad applied vector in _datasync_state");
  }
  return vv;
}


}  // namespace datasync::sqlite_connector
