// Apply: each batch is one transaction of the session that carries the
// connector's replication origin (capture skips those transactions: no
// loops), with the applied version of each key and the batch's vector in
// _datasync.applied / _datasync.state, written in the same transaction.
#include <algorithm>
#include <cstdlib>

#include "connectors/postgres/pg_backend.h"

namespace datasync::pg_connector {
namespace {

std::string EncodeVector(const VersionVector& vv) {
  std::string out;
  for (const auto& [origin, seq] : vv.entries()) {
    out += (out.empty() ? "" : ",") + origin + "=" + std::to_string(seq);
  }
  return out;
}

bool DecodeVector(const std::string& text, VersionVector* vv) {
  VersionVector::Map entries;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) return false;
    uint64_t seq = 0;
    for (char c : item.substr(eq + 1)) {
      if (c < '0' || c > '9') return false;
      seq = seq * 10 + static_cast<uint64_t>(c - '0');
    }
    entries[item.substr(0, eq)] = seq;
    start = end + 1;
  }
  *vv = VersionVector(std::move(entries));
  return true;
}

std::string HexBytes(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
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
  std::set<std::pair<size_t, std::string>> pending;
  if (config_.captures()) {
    Status s = PendingKeys(Here(captured_after), &pending);
    if (!s.ok()) return s;
  }
  // A record the database refuses aborts the transaction: the batch is
  // written again without it (such records are rare; the rest must go on).
  std::vector<std::string> failed(batch.records.size());
  while (true) {
    *result = ApplyResult();
    bool retry = false;
    Status s = ApplyPass(batch, pending, &failed, result, &retry);
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

Status PgBackend::ApplyPass(const ConnectorApply& batch,
                            const std::set<std::pair<size_t, std::string>>& pending,
                            std::vector<std::string>* failed, ApplyResult* result,
                            bool* retry) {
  Status s = conn_.Exec("BEGIN");
  if (!s.ok()) return s;
  const std::string record_applied =
      "INSERT INTO _datasync.applied VALUES ($1, $2, $3::bytea, $4::bigint, $5) "
      "ON CONFLICT (connector, tbl, key) DO UPDATE SET hlc = excluded.hlc, "
      "origin = excluded.origin";
  for (size_t i = 0; i < batch.records.size(); ++i) {
    const Record& r = batch.records[i];
    std::string& failure = (*failed)[i];
    if (!failure.empty()) continue;
    const Table* t = TableOf(r.collection);
    if (t == nullptr) {
      failure = "collection " + r.collection + " is not mapped";
      continue;
    }
    const size_t index = static_cast<size_t>(t - tables_.data());
    std::vector<std::string> key;
    if (!DecodeKey(*t, r.key, &key, &failure)) continue;
    // A change of this key is still to be captured: it becomes a newer
    // write than anything the node holds now, so it wins; leave it.
    if (pending.count({index, r.key}) != 0) {
      ++result->skipped;
      continue;
    }
    const std::string key_bytes = HexBytes(r.key);
    Result<PgResult> have = conn_.Query(
        "SELECT hlc::text, origin FROM _datasync.applied WHERE connector = $1 AND tbl = "
        "$2 "
        "AND key = $3::bytea",
        {config_.name, t->name, key_bytes});
    if (!have.ok()) return have.status();
    if (PQntuples(have.value().get()) == 1) {
      const std::string hlc = Cell(have.value(), 0, 0);
      // Stored from an int64 cast of the HLC: the cast back restores it.
      const Version applied{static_cast<uint64_t>(std::strtoll(hlc.c_str(), nullptr, 10)),
                            Cell(have.value(), 0, 1)};
      if (!Supersedes(r.version, applied)) {
        ++result->skipped;  // this version, or a newer one, is already here
        continue;
      }
    }
    std::vector<Param> params = {config_.name, t->name, key_bytes,
                                 std::to_string(static_cast<int64_t>(r.version.hlc)),
                                 r.version.origin};
    std::string write;
    if (r.deleted) {
      std::string where;
      for (size_t k = 0; k < t->pk.size(); ++k) {
        where += (k ? " AND " : "") + QuoteId(t->columns[t->pk[k]].name) + " = $" +
                 std::to_string(params.size() + 1);
        params.push_back(key[k]);
      }
      write = "DELETE FROM " + t->Qualified() + " WHERE " + where;
    } else {
      std::vector<int> columns;
      std::vector<TextValue> values;
      if (!DecodeRow(*t, r.value, &columns, &values, &failure)) continue;
      std::string names, slots, update, conflict;
      for (size_t c = 0; c < columns.size(); ++c) {
        const Column& col = t->columns[columns[c]];
        names += (c ? ", " : "") + QuoteId(col.name);
        slots += (c ? ", $" : "$") + std::to_string(params.size() + 1);
        params.push_back(values[c]);
        if (std::find(t->pk.begin(), t->pk.end(), columns[c]) == t->pk.end()) {
          update += (update.empty() ? "" : ", ") + QuoteId(col.name) + " = excluded." +
                    QuoteId(col.name);
        }
      }
      for (size_t k = 0; k < t->pk.size(); ++k) {
        conflict += (k ? ", " : "") + QuoteId(t->columns[t->pk[k]].name);
      }
      write = "INSERT INTO " + t->Qualified() + " (" + names + ") VALUES (" + slots +
              ") ON CONFLICT (" + conflict + ") DO " +
              (update.empty() ? "NOTHING" : "UPDATE SET " + update);
    }
    // The row and its applied version in one statement.
    std::string sqlstate;
    s = conn_.Exec("WITH w AS (" + write + ") " + record_applied, params, &sqlstate);
    if (!s.ok()) {
      if (!IsPermanent(sqlstate)) return s;
      failure = "table " + t->name + ": " + s.message().substr(context_.size() + 2);
      *retry = true;
      return Status::Ok();
    }
    ++result->applied;
  }
  if (batch.has_vv) {
    s = conn_.Exec(
        "INSERT INTO _datasync.state VALUES ($1, 'applied_vv', $2) ON CONFLICT "
        "(connector, "
        "name) DO UPDATE SET value = excluded.value",
        {config_.name, EncodeVector(batch.vv)});
    if (!s.ok()) return s;
  }
  return conn_.Exec("COMMIT");
}

Result<VersionVector> PgBackend::AppliedVector() {
  Result<PgResult> r = conn_.Query(
      "SELECT value FROM _datasync.state WHERE connector = $1 AND name = 'applied_vv'",
      {config_.name});
  if (!r.ok()) return r.status();
  if (PQntuples(r.value().get()) == 0) return VersionVector();
  VersionVector vv;
  if (!DecodeVector(Cell(r.value(), 0, 0), &vv)) {
    return Status::Corruption(context_ + ": bad applied vector in _datasync.state");
  }
  return vv;
}

}  // namespace datasync::pg_connector
