// The PostgreSQL connector's connection and setup. Open() checks the
// server (wal_level), the mapped tables (primary key, replica identity,
// column types) and installs, idempotently: the publication of the mapped
// tables, the logical replication slot (plugin pgoutput, so a server needs
// nothing beyond wal_level = logical), the replication origin and the
// bookkeeping tables in schema _datasync. Uninstall() removes them.
//
// TRUNCATE: pgoutput would stream it as one message without the rows, and
// the node has no "clear a collection" write. A trigger the connector
// installs on each mapped table deletes every row first, in the same
// transaction, so a TRUNCATE syncs as the deletes of its rows (at DELETE's
// speed) and the publication leaves TRUNCATE itself out.
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "connectors/postgres/pg_backend.h"

namespace datasync::pg_connector {
namespace {

constexpr uint64_t kPollEveryMs = 10;

uint64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Slot names take [a-z0-9_] only.
std::string ObjectName(const std::string& connector) {
  std::string out = "datasync_";
  for (char c : connector) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
  }
  return out;
}

}  // namespace

PgBackend::PgBackend(const ConnectorConfig& config)
    : config_(config),
      context_(DescribeConninfo(config.target)),
      slot_(ObjectName(config.name)),
      publication_(slot_),
      origin_(slot_),
      truncate_trigger_(slot_ + "_truncate") {}

Status PgBackend::Connect() {
  Status s = conn_.Open(config_.target, context_);
  // Text forms that do not depend on the server's defaults: our own
  // session decodes the slot, so these settings shape captured values too.
  if (s.ok()) {
    s = conn_.Exec(
        "SET bytea_output = hex; SET DateStyle = ISO; SET TimeZone = UTC; "
        "SET extra_float_digits = 3; SET IntervalStyle = postgres");
  }
  return s;
}

Status PgBackend::CheckServer() {
  Result<PgResult> r = conn_.Query(
      "SELECT current_setting('wal_level'), system_identifier::text FROM "
      "pg_control_system()");
  if (!r.ok()) return r.status();
  const std::string wal_level = Cell(r.value(), 0, 0);
  if (config_.captures() && wal_level != "logical") {
    return Status::Invalid(
        context_ + ": wal_level is " + wal_level +
        "; capture needs wal_level = logical (set it in postgresql.conf "
        "and restart the server)");
  }
  system_ = Cell(r.value(), 0, 1);
  return Status::Ok();
}

Status PgBackend::ReadTable(const ConnectorMapping& m, Table* t) {
  t->name = m.table;
  t->collection = m.collection;
  Result<PgResult> rel = conn_.Query(
      "SELECT c.oid::text, n.nspname, c.relname, c.relreplident::text FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')",
      {m.table});
  if (!rel.ok()) return rel.status();
  if (PQntuples(rel.value().get()) != 1) {
    return Status::NotFound(context_ + ": table " + m.table + " does not exist");
  }
  const std::string oid = Cell(rel.value(), 0, 0);
  t->schema = Cell(rel.value(), 0, 1);
  t->relname = Cell(rel.value(), 0, 2);
  const std::string identity = Cell(rel.value(), 0, 3);
  if (identity != "d" && identity != "f") {
    return Status::Invalid(
        context_ + ": table " + m.table +
        ": REPLICA IDENTITY must be DEFAULT (the primary key) or FULL");
  }
  Result<PgResult> cols = conn_.Query(
      "SELECT a.attname, CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid "
      "END::text, "
      "t.typtype::text, format_type(a.atttypid, a.atttypmod), "
      "coalesce((SELECT k.n FROM pg_index i, unnest(i.indkey::int2[]) WITH ORDINALITY "
      "k(attnum, n) WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.attnum = "
      "a.attnum), "
      "0)::text "
      "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
      "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
      "a.attnum",
      {oid});
  if (!cols.ok()) return cols.status();
  std::vector<std::pair<long, int>> pk;  // (position in key, column index)
  for (int i = 0; i < PQntuples(cols.value().get()); ++i) {
    Column c;
    c.name = Cell(cols.value(), i, 0);
    const std::optional<Kind> kind =
        Cell(cols.value(), i, 2) == "e"
            ? std::optional<Kind>(Kind::kText)
            : KindOfType(static_cast<uint32_t>(
                  std::strtoul(Cell(cols.value(), i, 1).c_str(), nullptr, 10)));
    if (!kind) {
      return Status::Invalid(context_ + ": table " + m.table + " column " + c.name +
                             ": type " + Cell(cols.value(), i, 3) + " has no mapping");
    }
    c.kind = *kind;
    const long key_pos = std::strtol(Cell(cols.value(), i, 4).c_str(), nullptr, 10);
    if (key_pos > 0) pk.emplace_back(key_pos, i);
    t->columns.push_back(std::move(c));
  }
  if (pk.empty()) {
    return Status::Invalid(context_ + ": table " + m.table + " has no primary key");
  }
  std::sort(pk.begin(), pk.end());
  for (const auto& [pos, index] : pk) t->pk.push_back(index);
  return Status::Ok();
}

Status PgBackend::ReadTables() {
  tables_.clear();
  for (const ConnectorMapping& m : config_.map) {
    Table t;
    Status s = ReadTable(m, &t);
    if (!s.ok()) return s;
    tables_.push_back(std::move(t));
  }
  return Status::Ok();
}

Status PgBackend::Install() {
  Status s = conn_.Exec(
      "CREATE SCHEMA IF NOT EXISTS _datasync; "
      "CREATE TABLE IF NOT EXISTS _datasync.applied (connector text, tbl text, key "
      "bytea, "
      "hlc bigint NOT NULL, origin text NOT NULL, PRIMARY KEY (connector, tbl, key)); "
      "CREATE TABLE IF NOT EXISTS _datasync.state (connector text, name text, "
      "value text NOT NULL, PRIMARY KEY (connector, name))");
  if (!s.ok() || !config_.captures()) {
    if (s.ok() && config_.applies()) {
      s = conn_.Exec(
          "SELECT pg_replication_origin_create($1) WHERE "
          "pg_replication_origin_oid($1) IS NULL",
          {origin_});
    }
    return s;
  }
  std::string list;
  for (const Table& t : tables_) list += (list.empty() ? "" : ", ") + t.Qualified();
  // The publication before the slot: decoding reads the publication as of
  // each change, and a slot older than it could not be read at all.
  Result<PgResult> pub =
      conn_.Query("SELECT 1 FROM pg_publication WHERE pubname = $1", {publication_});
  if (!pub.ok()) return pub.status();
  if (PQntuples(pub.value().get()) == 0) {
    s = conn_.Exec("CREATE PUBLICATION " + QuoteId(publication_) + " FOR TABLE " + list +
                   " WITH (publish = 'insert, update, delete')");
  } else {
    s = conn_.Exec("ALTER PUBLICATION " + QuoteId(publication_) + " SET TABLE " + list);
  }
  if (s.ok()) {
    s = conn_.Exec(
        "CREATE OR REPLACE FUNCTION _datasync.truncate_as_delete() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "EXECUTE format('DELETE FROM %I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME); "
        "RETURN NULL; END $$");
  }
  for (size_t i = 0; s.ok() && i < tables_.size(); ++i) {
    s = conn_.Exec("CREATE OR REPLACE TRIGGER " + QuoteId(truncate_trigger_) +
                   " BEFORE TRUNCATE ON " + tables_[i].Qualified() +
                   " FOR EACH STATEMENT EXECUTE FUNCTION _datasync.truncate_as_delete()");
  }
  if (s.ok()) {
    s = conn_.Exec(
        "SELECT pg_create_logical_replication_slot($1, 'pgoutput') WHERE NOT EXISTS "
        "(SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)",
        {slot_});
  }
  if (s.ok()) {
    s = conn_.Exec(
        "SELECT pg_replication_origin_create($1) WHERE "
        "pg_replication_origin_oid($1) IS NULL",
        {origin_});
  }
  return s;
}

Status PgBackend::Open() {
  Close();
  Status s = Connect();
  if (s.ok()) s = CheckServer();
  if (s.ok()) s = ReadTables();
  if (s.ok()) s = Install();
  // Every transaction of this session carries the origin: capture skips
  // them, so what the connector applies is never captured again.
  if (s.ok() && config_.applies()) {
    s = conn_.Exec("SELECT pg_replication_origin_session_setup($1)", {origin_});
  }
  if (s.ok()) {
    Result<bool> first = Poll();
    if (!first.ok()) s = first.status();
  }
  if (!s.ok()) Close();
  return s;
}

void PgBackend::Close() {
  conn_.Close();
  last_flush_.clear();
  next_poll_ms_ = 0;
}

Result<bool> PgBackend::Poll() {
  // A query per poll costs the server a little: every 10 ms is plenty.
  const uint64_t now = NowMs();
  if (now < next_poll_ms_) return false;
  next_poll_ms_ = now + kPollEveryMs;
  if (!config_.captures()) return false;
  Result<PgResult> r = conn_.Query("SELECT pg_current_wal_flush_lsn()::text");
  if (!r.ok()) return r.status();
  std::string flush = Cell(r.value(), 0, 0);
  const bool changed = flush != last_flush_;
  last_flush_ = std::move(flush);
  return changed;
}

Status PgBackend::Uninstall() {
  // On the open connection, the origin is this session's own: released
  // here, it can be dropped at once (another session's would be busy).
  Status s = conn_.open() ? conn_.Exec(
                                "SELECT pg_replication_origin_session_reset() WHERE "
                                "pg_replication_origin_session_is_setup()")
                          : Connect();
  if (s.ok()) {
    s = conn_.Exec(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
        "WHERE slot_name = $1",
        {slot_});
  }
  if (s.ok()) s = conn_.Exec("DROP PUBLICATION IF EXISTS " + QuoteId(publication_));
  // Wherever the triggers are: the mapping may have changed since Open().
  if (s.ok()) {
    Result<PgResult> on = conn_.Query(
        "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = $1",
        {truncate_trigger_});
    s = on.status();
    for (int i = 0; s.ok() && i < PQntuples(on.value().get()); ++i) {
      s = conn_.Exec("DROP TRIGGER IF EXISTS " + QuoteId(truncate_trigger_) + " ON " +
                     Cell(on.value(), i, 0));
    }
  }
  if (s.ok()) {
    s = conn_.Exec(
        "SELECT pg_replication_origin_drop($1) WHERE "
        "pg_replication_origin_oid($1) IS NOT NULL",
        {origin_});
  }
  // The bookkeeping of this connector; the schema goes with the last one.
  if (s.ok()) {
    s = conn_.Exec(
        "DO $$ BEGIN IF to_regclass('_datasync.applied') IS NOT NULL THEN "
        "DELETE FROM _datasync.applied WHERE connector = " +
        QuoteText(config_.name) +
        "; "
        "DELETE FROM _datasync.state WHERE connector = " +
        QuoteText(config_.name) +
        "; "
        "IF NOT EXISTS (SELECT 1 FROM _datasync.applied) AND "
        "NOT EXISTS (SELECT 1 FROM _datasync.state) AND NOT EXISTS (SELECT 1 FROM "
        "pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = "
        "'truncate_as_delete' AND p.pronamespace = '_datasync'::regnamespace) "
        "THEN DROP SCHEMA _datasync CASCADE; "
        "END IF; END IF; END $$");
  }
  Close();
  return s;
}

const Table* PgBackend::TableOf(const std::string& collection) const {
  for (const Table& t : tables_) {
    if (t.collection == collection) return &t;
  }
  return nullptr;
}

Position PgBackend::Here(const std::string& text) const {
  Position p = ParsePosition(text);
  if (p.system != system_) return Position{system_, 0, 0};
  return p;
}

}  // namespace datasync::pg_connector

namespace datasync {

std::unique_ptr<ConnectorBackend> MakePostgresBackend(const ConnectorConfig& config) {
  return std::make_unique<pg_connector::PgBackend>(config);
}

}  // namespace datasync
