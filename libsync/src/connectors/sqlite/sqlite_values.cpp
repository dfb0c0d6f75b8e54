#include "connectors/sqlite/sqlite_values.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <msgpack.hpp>

#include "connectors/row_value.h"


namespace datasync::sqlite_connector {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string FloatText(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

bool ParseFloat(const std::string& s, double* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// Text into a numeric column: its number when it is one.
bool TextToNumber(const std::string& s, Affinity a, SqlValue* out) {
  int64_t i = 0;
  double d = 0;
  if (a != Affinity::kReal && ParseInt(s, &i)) {
    *out = i;
    return true;
  }
  if (ParseFloat(s, &d)) {
    *out = d;
    return true;
  }
  return false;
}

std::string Where(const Table& t, const Column& c) {
  return "table " + t.name + ", column " + c.name;
}

// `v` converted to the affinity of column `c`.
bool Convert(const Table& t, const Column& c, SqlValue v, SqlValue* out,
             std::string* error) {
  const Affinity a = c.affinity;
  if (std::holds_alternative<std::nullptr_t>(v)) {
    *out = v;
    return true;
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (a == Affinity::kText || a == Affinity::kBlob) {
      *out = v;
      return true;
    }
    if (TextToNumber(*s, a, out)) return true;
    if (a == Affinity::kNumeric) {
      *out = v;  // NUMERIC keeps text that is not a number, as SQLite does
      return true;
    }
    *error = Where(t, c) + ": text \"" + s->substr(0, 40) + "\" is not a number";
    return false;
  }
  if (std::holds_alternative<Blob>(v)) {
    if (a == Affinity::kBlob) {
      *out = std::move(v);
      return true;
    }
    *error = Where(t, c) + ": bytes cannot go into a column of declared type other than "
             "BLOB (or none)";
    return false;
  }
  if (const auto* i = std::get_if<int64_t>(&v)) {
    if (a == Affinity::kText) {
      *out = std::to_string(*i);
    } else if (a == Affinity::kReal) {
      *out = static_cast<double>(*i);
    } else {
      *out = v;
    }
    return true;
  }
  const double d = std::get<double>(v);
  if (a == Affinity::kText) {
    *out = FloatText(d);
  } else if ((a == Affinity::kInteger || a == Affinity::kNumeric) && std::isfinite(d) &&
             d == std::trunc(d) && std::fabs(d) < 9.0e18) {
    *out = static_cast<int64_t>(d);
  } else {
    *out = d;
  }
  return true;
}

void PackStr(msgpack::packer<msgpack::sbuffer>& p, const char* data, size_t size) {
  p.pack_str(static_cast<uint32_t>(size));
  p.pack_str_body(data, static_cast<uint32_t>(size));
}

// A msgpack scalar as an SqlValue; false for arrays, maps and ext.
bool FromObject(const msgpack::object& o, SqlValue* out) {
  switch (o.type) {
    case msgpack::type::NIL:
      *out = nullptr;
      return true;
    case msgpack::type::BOOLEAN:
      *out = int64_t{o.via.boolean ? 1 : 0};
      return true;
    case msgpack::type::POSITIVE_INTEGER:
      if (o.via.u64 > static_cast<uint64_t>(INT64_MAX)) {
        *out = static_cast<double>(o.via.u64);
      } else {
        *out = static_cast<int64_t>(o.via.u64);
      }
      return true;
    case msgpack::type::NEGATIVE_INTEGER:
      *out = o.via.i64;
      return true;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      *out = o.via.f64;
      return true;
    case msgpack::type::STR:
      *out = std::string(o.via.str.ptr, o.via.str.size);
      return true;
    case msgpack::type::BIN:
      *out = Blob{std::string(o.via.bin.ptr, o.via.bin.size)};
      return true;
    default:
      return false;
  }
}

}  // namespace

Affinity AffinityOf(const std::string& declared_type) {
  const std::string t = Upper(declared_type);
  if (t.find("INT") != std::string::npos) return Affinity::kInteger;
  if (t.find("CHAR") != std::string::npos || t.find("CLOB") != std::string::npos ||
      t.find("TEXT") != std::string::npos) {
    return Affinity::kText;
  }
  if (t.empty() || t.find("BLOB") != std::string::npos) return Affinity::kBlob;
  if (t.find("REAL") != std::string::npos || t.find("FLOA") != std::string::npos ||
      t.find("DOUB") != std::string::npos) {
    return Affinity::kReal;
  }
  return Affinity::kNumeric;
}

void Bind(sqlite3_stmt* stmt, int index, const SqlValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) {
    sqlite3_bind_int64(stmt, index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    sqlite3_bind_double(stmt, index, *d);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()),
                      SQLITE_TRANSIENT);
  } else if (const auto* b = std::get_if<Blob>(&value)) {
    sqlite3_bind_blob(stmt, index, b->bytes.data(), static_cast<int>(b->bytes.size()),
                      SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

namespace {

// A statement on `db` that finalizes itself.
struct Query {
  sqlite3_stmt* stmt = nullptr;
  Query(sqlite3* db, const std::string& sql) {
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  }
  ~Query() { sqlite3_finalize(stmt); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
};

std::string ValueText(sqlite3_value* v) {
  const auto* p = sqlite3_value_type(v) == SQLITE_BLOB
                      ? static_cast<const char*>(sqlite3_value_blob(v))
                      : reinterpret_cast<const char*>(sqlite3_value_text(v));
  return std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
}

}  // namespace

bool EncodeKey(sqlite3* db, const Table& table, const std::vector<sqlite3_value*>& values,
               std::string* key, std::string* error) {
  const bool composite = values.size() > 1;
  for (size_t i = 0; i < values.size(); ++i) {
    const int type = sqlite3_value_type(values[i]);
    const std::string where = "table " + table.name + ", column " +
                              table.columns[table.pk[i]].name;
    if (type == SQLITE_NULL) {
      *error = where + ": primary key value is NULL";
      return false;
    }
    if (type == SQLITE_BLOB && composite) {
      *error = where + ": a blob cannot be part of a composite key";
      return false;
    }
  }
  if (!composite) {
    sqlite3_value* v = values[0];
    *key = sqlite3_value_type(v) == SQLITE_FLOAT ? FloatText(sqlite3_value_double(v))
                                                  : ValueText(v);
  } else {
    // SQLite's own JSON writer: strings escaped, numbers as numbers.
    std::string sql = "SELECT json_array(";
    for (size_t i = 0; i < values.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
    Query q(db, sql + ")");
    for (size_t i = 0; i < values.size(); ++i) {
      sqlite3_bind_value(q.stmt, static_cast<int>(i) + 1, values[i]);
    }
    if (q.stmt == nullptr || sqlite3_step(q.stmt) != SQLITE_ROW) {
      *error = "table " + table.name + ": cannot encode the key: " + sqlite3_errmsg(db);
      return false;
    }
    *key = ValueText(sqlite3_column_value(q.stmt, 0));
  }
  if (key->empty()) {
    *error = "table " + table.name + ": empty primary key";
    return false;
  }
  return true;
}

bool DecodeKey(sqlite3* db, const Table& table, const std::string& key,
               std::vector<SqlValue>* values, std::string* error) {
  values->clear();
  std::vector<SqlValue> parts;
  if (table.pk.size() == 1) {
    const bool blob = table.columns[table.pk[0]].affinity == Affinity::kBlob;
    parts.push_back(blob ? SqlValue(Blob{key}) : SqlValue(key));
  } else {
    // SQLite's own JSON reader; anything but an array of numbers and
    // strings of the right length is refused.
    Query q(db,
            "SELECT type, atom FROM json_each(?1) WHERE json_type(?1) = 'array' "
            "ORDER BY key");
    if (q.stmt != nullptr) {
      sqlite3_bind_text(q.stmt, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    }
    bool ok = q.stmt != nullptr;
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(q.stmt)) == SQLITE_ROW) {
      const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(q.stmt, 0));
      if (type == "integer") {
        parts.emplace_back(std::in_place_type<int64_t>, sqlite3_column_int64(q.stmt, 1));
      } else if (type == "real") {
        parts.emplace_back(std::in_place_type<double>, sqlite3_column_double(q.stmt, 1));
      } else if (type == "text") {
        parts.emplace_back(std::in_place_type<std::string>,
                           ValueText(sqlite3_column_value(q.stmt, 1)));
      } else {
        ok = false;
      }
    }
    if (!ok || rc != SQLITE_DONE || parts.size() != table.pk.size()) {
      *error = "table " + table.name + ": key is not a JSON array of " +
               std::to_string(table.pk.size()) + " primary key values";
      return false;
    }
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    SqlValue converted;
    if (!Convert(table, table.columns[table.pk[i]], std::move(parts[i]), &converted, error)) {
      return false;
    }
    values->push_back(std::move(converted));
  }
  return true;
}

std::string RowValue(const Table& table, sqlite3_stmt* stmt) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(static_cast<uint32_t>(table.columns.size()));
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const std::string& name = table.columns[i].name;
    PackStr(p, name.data(), name.size());
    const int col = static_cast<int>(i);
    switch (sqlite3_column_type(stmt, col)) {
      case SQLITE_INTEGER:
        p.pack(static_cast<int64_t>(sqlite3_column_int64(stmt, col)));
        break;
      case SQLITE_FLOAT:
        p.pack(sqlite3_column_double(stmt, col));
        break;
      case SQLITE_TEXT:
        PackStr(p, reinterpret_cast<const char*>(sqlite3_column_text(stmt, col)),
                static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
        break;
      case SQLITE_BLOB: {
        const auto size = static_cast<uint32_t>(sqlite3_column_bytes(stmt, col));
        p.pack_bin(size);
        p.pack_bin_body(static_cast<const char*>(sqlite3_column_blob(stmt, col)), size);
        break;
      }
      default:
        p.pack_nil();
    }
  }
  return std::string(buffer.data(), buffer.size());
}

bool DecodeRow(const Table& table, const std::string& value, std::vector<int>* columns,
               std::vector<SqlValue>* values, std::string* error) {
  columns->clear();
  values->clear();
  const bool ok = connector_values::ForEachEntry(
      value, "table " + table.name + ": ", "column", error,
      [&](std::string name, const msgpack::object& item) {
        int index = -1;
        for (size_t c = 0; c < table.columns.size(); ++c) {
          if (table.columns[c].name == name) index = static_cast<int>(c);
        }
        if (index < 0) {
          *error = "table " + table.name + " has no column " + name;
          return false;
        }
        SqlValue v;
        if (!FromObject(item, &v)) {
          *error = Where(table, table.columns[index]) +
                   ": value is not a scalar (nil, integer, float, text, bytes, bool)";
          return false;
        }
        SqlValue converted;
        if (!Convert(table, table.columns[index], std::move(v), &converted, error)) {
          return false;
        }
        columns->push_back(index);
        values->push_back(std::move(converted));
        return true;
      });
  if (!ok) return false;
  for (int pk : table.pk) {
    if (std::find(columns->begin(), columns->end(), pk) == columns->end()) {
      *error = Where(table, table.columns[pk]) + ": primary key column missing from the value";
      return false;
    }
  }
  return true;
}


}  // namespace datasync::sqlite_connector
