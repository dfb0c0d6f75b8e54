// Capture: the replication slot read by logical decoding through the SQL
// interface. A read peeks (the slot keeps everything until Consumed()), so
// a crash before the node commits loses nothing; the node commits the
// reached position with the changes, and only then does Consumed() advance
// the slot, so WAL is not kept without bound and nothing is read twice.
#include <algorithm>
#include <cstdlib>

#include "connectors/postgres/pg_backend.h"
#include "connectors/postgres/pgoutput.h"

namespace datasync::pg_connector {

Status PgBackend::Decode(const Position& after, size_t max, DecodeResult* out) {
  Result<PgResult> flush = conn_.Query("SELECT pg_current_wal_flush_lsn()::text");
  if (!flush.ok()) return flush.status();
  const std::string flush_text = Cell(flush.value(), 0, 0);
  // Rows are messages (begin, relation, change, commit): a few per change.
  const size_t rows = max >= SIZE_MAX / 4 ? 0 : max * 3 + 16;
  Result<PgResult> r = conn_.Query(
      "SELECT data FROM pg_logical_slot_peek_binary_changes($1, $2::pg_lsn, " +
          (rows == 0 ? std::string("NULL") : std::to_string(rows)) +
          ", 'proto_version', '1', 'publication_names', $3)",
      {slot_, flush_text, publication_}, /*binary=*/true);
  if (!r.ok()) return r.status();
  std::vector<std::string> messages;
  const int n = PQntuples(r.value().get());
  for (int i = 0; i < n; ++i) {
    messages.emplace_back(PQgetvalue(r.value().get(), i, 0),
                          static_cast<size_t>(PQgetlength(r.value().get(), i, 0)));
  }
  std::string error;
  if (!DecodeChanges(messages, tables_, origin_, after, max, out, &error)) {
    return Status::Corruption(context_ + ": slot " + slot_ + ": " + error);
  }
  out->reached.system = system_;
  // Everything up to the flush position was decoded (the peek did not stop
  // at its row limit): transactions committed there without a change for
  // us (other tables, our own applies) are behind us too.
  const std::optional<uint64_t> flushed = ParseLsn(flush_text);
  if (!out->full && (rows == 0 || static_cast<size_t>(n) < rows) && flushed &&
      *flushed > out->reached.end) {
    out->reached.end = *flushed;
    out->reached.n = 0;
  }
  return Status::Ok();
}

Status PgBackend::FillUnchanged(RowChange* change) {
  if (change->unchanged.empty()) return Status::Ok();
  const Table& t = tables_[change->table];
  std::string columns, where;
  std::vector<Param> params;
  for (size_t i : change->unchanged) {
    columns += (columns.empty() ? "" : ", ") + QuoteId(change->names[i]) + "::text";
  }
  for (size_t i = 0; i < t.pk.size(); ++i) {
    where += (i ? " AND " : "") + QuoteId(t.columns[t.pk[i]].name) + " = $" +
             std::to_string(i + 1);
    params.push_back(change->key_values[i]);
  }
  Result<PgResult> r = conn_.Query(
      "SELECT " + columns + " FROM " + t.Qualified() + " WHERE " + where, params);
  if (!r.ok()) return r.status();
  const bool found = PQntuples(r.value().get()) == 1;
  // Gone since: a later delete is on its way; the value keeps what it has.
  for (size_t j = change->unchanged.size(); j-- > 0;) {
    const size_t i = change->unchanged[j];
    std::string error;
    Kind kind = Kind::kText;
    for (const Column& c : t.columns) {
      if (c.name == change->names[i]) kind = c.kind;
    }
    if (found && PQgetisnull(r.value().get(), 0, static_cast<int>(j))) {
      change->items[i] = PackNil();
    } else if (!found || !PackText(kind, Cell(r.value(), 0, static_cast<int>(j)),
                                   &change->items[i], &error)) {
      change->names.erase(change->names.begin() + static_cast<long>(i));
      change->items.erase(change->items.begin() + static_cast<long>(i));
    }
  }
  change->unchanged.clear();
  return Status::Ok();
}

Status PgBackend::ReadChanges(const std::string& after, size_t max,
                              ConnectorCaptured* out,
                              std::vector<ConnectorFailure>* failures) {
  const Position from = Here(after);
  DecodeResult decoded;
  Status s = Decode(from, max, &decoded);
  if (!s.ok()) return s;
  for (RowChange& c : decoded.changes) {
    s = FillUnchanged(&c);
    if (!s.ok()) return s;
    CapturedChange change;
    change.collection = tables_[c.table].collection;
    change.key = std::move(c.key);
    change.deleted = c.deleted;
    if (!c.deleted) change.value = PackRow(c.names, c.items);
    out->changes.push_back(std::move(change));
  }
  for (ConnectorFailure& f : decoded.failures) failures->push_back(std::move(f));
  if (!(decoded.reached == from)) out->position = FormatPosition(decoded.reached);
  return Status::Ok();
}

Status PgBackend::Consumed(const std::string& position) {
  const Position p = Here(position);
  if (p.end == 0) return Status::Ok();
  // The slot never moves back (that is an error): only forward.
  return conn_.Exec(
      "SELECT pg_replication_slot_advance(slot_name, $2::pg_lsn) FROM "
      "pg_replication_slots "
      "WHERE slot_name = $1 AND confirmed_flush_lsn < $2::pg_lsn",
      {slot_, FormatLsn(p.end)});
}

Result<uint64_t> PgBackend::Backlog(const std::string& after) {
  // In bytes of WAL not yet read: counting changes would mean decoding
  // them all every time the status is asked for.
  const Position p = Here(after);
  Result<PgResult> r = conn_.Query(
      "SELECT greatest(pg_wal_lsn_diff(pg_current_wal_flush_lsn(), coalesce($2::pg_lsn, "
      "(SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1))), "
      "0)::bigint::text",
      {slot_, p.end == 0 ? Param() : Param(FormatLsn(p.end))});
  if (!r.ok()) return r.status();
  const std::string text = Cell(r.value(), 0, 0);
  return static_cast<uint64_t>(std::strtoull(text.c_str(), nullptr, 10));
}

Status PgBackend::PendingKeys(const Position& after,
                              std::set<std::pair<size_t, std::string>>* keys) {
  DecodeResult decoded;
  Status s = Decode(after, SIZE_MAX, &decoded);
  if (!s.ok()) return s;
  for (const RowChange& c : decoded.changes) keys->insert({c.table, c.key});
  return Status::Ok();
}

}  // namespace datasync::pg_connector
