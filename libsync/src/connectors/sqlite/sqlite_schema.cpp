#include "connectors/sqlite/sqlite_schema.h"

#include <algorithm>

#include "store/sqlite_util.h"

namespace datasync::sqlite_connector {
namespace {

using sqlite::Exec;
using sqlite::FromSqlite;
using sqlite::Stmt;

constexpr char kStateTables[] = R"(
CREATE TABLE IF NOT EXISTS _datasync_state(name TEXT PRIMARY KEY, value);
INSERT OR IGNORE INTO _datasync_state VALUES ('instance', lower(hex(randomblob(8))));
CREATE TABLE IF NOT EXISTS _datasync_applied(
  tbl TEXT NOT NULL, key BLOB NOT NULL, hlc INTEGER NOT NULL, origin TEXT NOT NULL,
  PRIMARY KEY (tbl, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _datasync_control(
  id INTEGER PRIMARY KEY CHECK (id = 1), applying INTEGER NOT NULL);
INSERT OR IGNORE INTO _datasync_control VALUES (1, 0);
)";

constexpr char kCaptureTables[] = R"(
CREATE TABLE IF NOT EXISTS _datasync_changes(
  id INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, k1, k2, k3, k4);
CREATE INDEX IF NOT EXISTS _datasync_changes_key ON _datasync_changes(tbl, k1, k2, k3, k4);
)";

// "k1, k2" and "NEW."a", NEW."b"" for a table's key.
std::string KeySlots(const Table& t) {
  std::string out;
  for (size_t i = 0; i < t.pk.size(); ++i) out += (i ? ", k" : "k") + std::to_string(i + 1);
  return out;
}

std::string KeyValues(const Table& t, const char* row) {
  std::string out;
  for (size_t i = 0; i < t.pk.size(); ++i) {
    out += (i ? ", " : "") + std::string(row) + "." + QuoteId(t.columns[t.pk[i]].name);
  }
  return out;
}

std::string Triggers(const Table& t) {
  const std::string on = QuoteId(t.name);
  const std::string when = " WHEN (SELECT applying FROM _datasync_control) = 0\nBEGIN\n";
  const std::string insert =
      "  INSERT INTO _datasync_changes(tbl, " + KeySlots(t) + ") ";
  const std::string tbl = QuoteText(t.name);
  std::string key_changed;
  for (size_t i = 0; i < t.pk.size(); ++i) {
    const std::string col = QuoteId(t.columns[t.pk[i]].name);
    key_changed += (i ? " OR OLD." : "OLD.") + col + " IS NOT NEW." + col;
  }
  auto trigger = [&](const char* suffix, const char* event) {
    return "CREATE TRIGGER IF NOT EXISTS " +
           QuoteId("_datasync_" + t.name + "_" + suffix) + " AFTER " + event + " ON " + on +
           when;
  };
  return trigger("insert", "INSERT") + insert + "VALUES (" + tbl + ", " +
         KeyValues(t, "NEW") + ");\nEND;\n" + trigger("update", "UPDATE") + insert +
         "SELECT " + tbl + ", " + KeyValues(t, "OLD") + " WHERE " + key_changed + ";\n" +
         insert + "VALUES (" + tbl + ", " + KeyValues(t, "NEW") + ");\nEND;\n" +
         trigger("delete", "DELETE") + insert + "VALUES (" + tbl + ", " +
         KeyValues(t, "OLD") + ");\nEND;\n";
}

}  // namespace

Status ReadTables(sqlite3* db, const std::vector<ConnectorMapping>& map,
                  std::vector<Table>* tables) {
  tables->clear();
  for (const ConnectorMapping& m : map) {
    Table t;
    t.name = m.table;
    t.collection = m.collection;
    Stmt s;
    int rc = s.Prepare(db, "SELECT name, type, pk FROM pragma_table_info(?1)");
    if (rc != SQLITE_OK) return FromSqlite(db, rc, "reading the schema of " + m.table);
    sqlite3_bind_text(s.get(), 1, m.table.c_str(), -1, SQLITE_TRANSIENT);
    std::vector<std::pair<int, int>> keys;  // (pk position, column index)
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      Column c;
      c.name = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
      const unsigned char* type = sqlite3_column_text(s.get(), 1);
      c.affinity = AffinityOf(type ? reinterpret_cast<const char*>(type) : "");
      c.pk = sqlite3_column_int(s.get(), 2);
      if (c.pk > 0) keys.emplace_back(c.pk, static_cast<int>(t.columns.size()));
      t.columns.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return FromSqlite(db, rc, "reading the schema of " + m.table);
    if (t.columns.empty()) {
      return Status::NotFound("table " + m.table + " not found in the database");
    }
    if (keys.empty()) {
      return Status::Invalid("table " + m.table +
                             " has no declared primary key: it is what the record key "
                             "is made of");
    }
    if (keys.size() > kMaxKeyColumns) {
      return Status::Invalid("table " + m.table + ": primary keys of more than " +
                             std::to_string(kMaxKeyColumns) + " columns are not supported");
    }
    std::sort(keys.begin(), keys.end());
    for (const auto& [position, index] : keys) t.pk.push_back(index);
    tables->push_back(std::move(t));
  }
  return Status::Ok();
}

Status Install(sqlite3* db, const std::vector<Table>& tables, bool capture) {
  std::string sql = "BEGIN IMMEDIATE;\n";
  sql += kStateTables;
  if (capture) {
    sql += kCaptureTables;
    for (const Table& t : tables) sql += Triggers(t);
  }
  sql += "COMMIT;";
  Status s = Exec(db, sql, "installing capture");
  if (!s.ok()) (void)Exec(db, "ROLLBACK", "rollback");
  return s;
}

Status Uninstall(sqlite3* db) {
  Stmt s;
  int rc = s.Prepare(db,
                     "SELECT type, name FROM sqlite_schema WHERE name LIKE '\\_datasync\\_%' "
                     "ESCAPE '\\' AND type IN ('trigger', 'table') ORDER BY type = 'table'");
  if (rc != SQLITE_OK) return FromSqlite(db, rc, "uninstall");
  std::string sql = "BEGIN IMMEDIATE;\n";
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1));
    sql += (type == "trigger" ? "DROP TRIGGER IF EXISTS " : "DROP TABLE IF EXISTS ") +
           QuoteId(name) + ";\n";
  }
  if (rc != SQLITE_DONE) return FromSqlite(db, rc, "uninstall");
  s.Reset();
  sql += "COMMIT;";
  Status st = Exec(db, sql, "uninstall");
  if (!st.ok()) (void)Exec(db, "ROLLBACK", "rollback");
  return st;
}

}  // namespace datasync::sqlite_connector
