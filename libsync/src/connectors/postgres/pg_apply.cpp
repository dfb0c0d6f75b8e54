// Apply: each batch is one transaction of the session that carries the
// connector's replication origin (capture skips those transactions: no
// loops), with the applied version of each key and the batch's vector in
// _datasync.applied / _datasync.state, written in the same transaction.
#include <algorithm>
#include <cstdlib>
#include <map>

#include "connectors/postgres/pg_backend.h"

namespace datasync::pg_connector {
namespace {

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// SQLSTATE classes of a statement that retrying cannot cure: data
// exceptions (a value the column's type refuses), integrity constraints.
bool IsPermanent(const std::string& sqlstate) {
  return sqlstate.rfind("22", 0) == 0 || sqlstate.rfind("23", 0) == 0;
}

}  // namespace

Status PgBackend::Apply(const ConnectorApply& batch, const std::string& captured_after,
                        ApplyResult* result) {
  // A record the database refuses aborts the transaction: the batch is
  // written again without it (such records are rare; the rest must go on).
  std::vector<std::string> failed(batch.records.size());
  while (true) {
    *result = ApplyResult();
    bool retry = false;
    Status s = ApplyPass(batch, captured_after, &failed, result, &retry);
    if (!s.ok() || retry) (void)conn_.Exec("ROLLBACK");
    if (!s.ok()) {
      *result = ApplyResult();
      return s;
    }
    if (!retry) break;
  }
  for (size_t i = 0; i < failed.size(); ++i) {
    if (failed[i].empty()) continue;
    const Record& r = batch.records[i];
    result->failures.push_back({r.collection, r.key, failed[i]});
  }
  return Status::Ok();
}

// Where the application may write at the same time, a key is applied only
// if the application has no change of it still to capture: that change is
// newer than anything the node holds and will win everywhere, so writing
// over it would leave this table alone holding the older value. The rows
// are locked first, then the slot is read: a change committed before the
// lock is in the slot, and none can come between the look and the write.
// A row the application inserts meanwhile (no row to lock) is not
// overwritten either: the write of a key that had no row inserts or does
// nothing.
Status PgBackend::ApplyPass(const ConnectorApply& batch, const std::string& captured_after,
                            std::vector<std::string>* failed, ApplyResult* result,
                            bool* retry) {
  // A constant number of round trips per batch: locking the rows, reading
  // the slot, the applied versions of all the keys (a statement per table),
  // then every write.
  std::vector<Planned> all;
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const Record& r = batch.records[i];
    std::string& failure = (*failed)[i];
    if (!failure.empty()) continue;
    const Table* t = TableOf(r.collection);
    if (t == nullptr) {
      failure = "collection " + r.collection + " is not mapped";
      continue;
    }
    Planned p{i, static_cast<size_t>(t - tables_.data()), {}, Hex(r.key)};
    if (!DecodeKey(*t, r.key, &p.key, &failure)) continue;
    all.push_back(std::move(p));
  }
  Status s = LockRows(&all);
  if (!s.ok()) return s;
  std::set<std::pair<size_t, std::string>> pending;
  if (config_.captures()) {
    s = PendingKeys(Here(captured_after), &pending);
    if (!s.ok()) return s;
  }
  std::vector<Planned> planned;
  std::vector<std::vector<std::string>> keys(tables_.size());  // hex, by table
  for (Planned& p : all) {
    if (pending.count({p.table, batch.records[p.record].key}) != 0) {
      ++result->skipped;
      continue;
    }
    keys[p.table].push_back(p.hex);
    planned.push_back(std::move(p));
  }
  std::map<std::pair<size_t, std::string>, Version> applied;
  s = ReadApplied(keys, &applied);
  if (!s.ok()) return s;

  std::vector<Statement> writes;
  std::vector<size_t> record_of;  // the record of each write, in order
  std::set<std::pair<size_t, std::string>> written;
  for (Planned& p : planned) {
    const Record& r = batch.records[p.record];
    // A key written earlier in this batch has the row this write replaces.
    if (!written.insert({p.table, p.hex}).second) p.exists = true;
    const auto have = applied.find({p.table, p.hex});
    if (have != applied.end() && !Supersedes(r.version, have->second)) {
      ++result->skipped;  // this version, or a newer one, is already here
      continue;
    }
    Statement w;
    if (!WriteOf(tables_[p.table], r, p, &w, &(*failed)[p.record])) continue;
    applied[{p.table, p.hex}] = r.version;  // what a later record of the key sees
    writes.push_back(std::move(w));
    record_of.push_back(p.record);
    ++result->applied;
  }
  if (batch.has_vv) {
    writes.push_back(
        {"INSERT INTO _datasync.state VALUES ($1, 'applied_vv', $2) "
         "ON CONFLICT (connector, name) DO UPDATE SET value = excluded.value",
         {config_.name, batch.vv.ToText()}});
  }
  writes.push_back({"COMMIT", {}});
  std::vector<PgResult> results;
  size_t at = writes.size();
  std::string sqlstate;
  s = conn_.Pipeline(writes, &results, &at, &sqlstate);
  if (s.ok() || at >= record_of.size() || !IsPermanent(sqlstate)) return s;
  const Table& t = *TableOf(batch.records[record_of[at]].collection);
  (*failed)[record_of[at]] =
      "table " + t.name + ": " + s.message().substr(context_.size() + 2);
  *retry = true;
  return Status::Ok();
}

Status PgBackend::ReadApplied(
    const std::vector<std::vector<std::string>>& keys,
    std::map<std::pair<size_t, std::string>, Version>* applied) {
  std::vector<Statement> reads;
  std::vector<size_t> table_of;
  for (size_t t = 0; t < keys.size(); ++t) {
    if (keys[t].empty()) continue;
    // Hex digits need no quoting; "\\x" is bytea's hex prefix, escaped.
    std::string array = "{";
    for (const std::string& k : keys[t]) {
      array += (array.size() > 1 ? ",\"\\\\x" : "\"\\\\x") + k + "\"";
    }
    // A look-up per key, on the whole primary key: with "key = ANY ($3)"
    // the planner filters every row of the table instead (0.5 s at 50,000).
    reads.push_back(
        {"SELECT encode(a.key, 'hex'), a.hlc::text, a.origin "
         "FROM unnest($3::bytea[]) k, LATERAL (SELECT * FROM _datasync.applied "
         "WHERE connector = $1 AND tbl = $2 AND key = k LIMIT 1) a",
         {config_.name, tables_[t].name, array + "}"}});
    table_of.push_back(t);
  }
  if (reads.empty()) return Status::Ok();
  std::vector<PgResult> results;
  Status s = conn_.Pipeline(reads, &results);
  if (!s.ok()) return s;
  for (size_t i = 0; i < table_of.size(); ++i) {
    const PgResult& r = results[i];
    for (int row = 0; row < PQntuples(r.get()); ++row) {
      const std::string hlc = Cell(r, row, 1);
      // Stored from an int64 cast of the HLC: the cast back restores it.
      (*applied)[{table_of[i], Cell(r, row, 0)}] = {
          static_cast<uint64_t>(std::strtoll(hlc.c_str(), nullptr, 10)), Cell(r, row, 2)};
    }
  }
  return Status::Ok();
}

namespace {

// "pk1 = $n AND pk2 = $n+1", the key's values appended to `params`.
std::string WhereKey(const Table& t, const std::vector<std::string>& key,
                     std::vector<Param>* params) {
  std::string where;
  for (size_t k = 0; k < t.pk.size(); ++k) {
    where += (k ? " AND " : "") + QuoteId(t.columns[t.pk[k]].name) + " = $" +
             std::to_string(params->size() + 1);
    params->push_back(key[k]);
  }
  return where;
}

}  // namespace

Status PgBackend::LockRows(std::vector<Planned>* planned) {
  std::vector<Statement> locks = {{"BEGIN", {}}};
  for (const Planned& p : *planned) {
    Statement lock;
    lock.sql = "SELECT 1 FROM " + tables_[p.table].Qualified() + " WHERE " +
               WhereKey(tables_[p.table], p.key, &lock.params) + " FOR UPDATE";
    locks.push_back(std::move(lock));
  }
  std::vector<PgResult> results;
  Status s = conn_.Pipeline(locks, &results);
  if (!s.ok()) return s;
  for (size_t i = 0; i < planned->size(); ++i) {
    (*planned)[i].exists = PQntuples(results[i + 1].get()) > 0;
  }
  return Status::Ok();
}

bool PgBackend::WriteOf(const Table& t, const Record& r, const Planned& p, Statement* out,
                        std::string* failure) {
  std::vector<Param>& params = out->params;
  params = {config_.name, t.name, "\\x" + p.hex,
            std::to_string(static_cast<int64_t>(r.version.hlc)), r.version.origin};
  std::string write;
  if (r.deleted) {
    write = "DELETE FROM " + t.Qualified() + " WHERE " + WhereKey(t, p.key, &params);
  } else {
    std::vector<int> columns;
    std::vector<TextValue> values;
    if (!DecodeRow(t, r.value, &columns, &values, failure)) return false;
    std::string names, slots, update, conflict;
    for (size_t c = 0; c < columns.size(); ++c) {
      const Column& col = t.columns[columns[c]];
      names += (c ? ", " : "") + QuoteId(col.name);
      slots += (c ? ", $" : "$") + std::to_string(params.size() + 1);
      params.push_back(values[c]);
      if (std::find(t.pk.begin(), t.pk.end(), columns[c]) == t.pk.end()) {
        update += (update.empty() ? "" : ", ") + QuoteId(col.name) + " = excluded." +
                  QuoteId(col.name);
      }
    }
    for (size_t k = 0; k < t.pk.size(); ++k) {
      conflict += (k ? ", " : "") + QuoteId(t.columns[t.pk[k]].name);
    }
    write = "INSERT INTO " + t.Qualified() + " (" + names + ") VALUES (" + slots +
            ") ON CONFLICT (" + conflict + ") DO " +
            (update.empty() || !p.exists ? "NOTHING" : "UPDATE SET " + update);
  }
  // The row and its applied version in one statement.
  out->sql = "WITH w AS (" + write +
             ") INSERT INTO _datasync.applied VALUES ($1, $2, $3::bytea, $4::bigint, $5) "
             "ON CONFLICT (connector, tbl, key) DO UPDATE SET hlc = excluded.hlc, "
             "origin = excluded.origin";
  return true;
}

Result<VersionVector> PgBackend::AppliedVector() {
  Result<PgResult> r = conn_.Query(
      "SELECT value FROM _datasync.state WHERE connector = $1 AND name = 'applied_vv'",
      {config_.name});
  if (!r.ok()) return r.status();
  if (PQntuples(r.value().get()) == 0) return VersionVector();
  VersionVector vv;
  if (!VersionVector::FromText(Cell(r.value(), 0, 0), &vv)) {
    return Status::Corruption(context_ + ": bad applied vector in _datasync.state");
  }
  return vv;
}

}  // namespace datasync::pg_connector
