#include "connectors/postgres/pg_decode.h"

#include <map>

#include "connectors/postgres/pgoutput.h"

namespace datasync::pg_connector {
namespace {

struct Relation {
  int table = -1;  // -1: not mapped
  std::vector<RelationColumn> columns;
};

bool ParseUint(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// The key values (in key order) of a row image; false when the image lacks
// a key column.
bool KeyOf(const Table& t, const Relation& rel, const std::vector<TupleValue>& tuple,
           std::vector<TextValue>* key) {
  key->clear();
  for (int pk : t.pk) {
    const std::string& name = t.columns[pk].name;
    bool found = false;
    for (size_t i = 0; i < rel.columns.size() && i < tuple.size(); ++i) {
      if (rel.columns[i].name != name) continue;
      if (tuple[i].kind != TupleValue::kText) return false;
      key->push_back(tuple[i].data);
      found = true;
    }
    if (!found) return false;
  }
  return true;
}

// The change of one message; false (with *error) when it cannot be captured.
bool RowOf(const std::vector<Table>& tables, const Relation& rel, const PgMessage& m,
           std::vector<RowChange>* out, std::string* error) {
  const Table& t = tables[static_cast<size_t>(rel.table)];
  RowChange change;
  change.table = static_cast<size_t>(rel.table);
  if (m.type == PgMessage::kDelete) {
    if (!KeyOf(t, rel, m.old_tuple, &change.key_values)) {
      *error = "table " + t.name + ": delete without its primary key";
      return false;
    }
    change.deleted = true;
    if (!EncodeKey(t, change.key_values, &change.key, error)) return false;
    out->push_back(std::move(change));
    return true;
  }
  if (!KeyOf(t, rel, m.new_tuple, &change.key_values)) {
    *error = "table " + t.name + ": row without its primary key";
    return false;
  }
  if (!EncodeKey(t, change.key_values, &change.key, error)) return false;
  for (size_t i = 0; i < rel.columns.size() && i < m.new_tuple.size(); ++i) {
    const RelationColumn& c = rel.columns[i];
    const TupleValue& v = m.new_tuple[i];
    Kind kind = Kind::kText;  // an enum, or a type that appeared after Open()
    for (const Column& tc : t.columns) {
      if (tc.name == c.name) kind = tc.kind;
    }
    change.names.push_back(c.name);
    change.items.emplace_back();
    if (v.kind == TupleValue::kNull) {
      change.items.back() = PackNil();
    } else if (v.kind == TupleValue::kUnchangedToast) {
      change.unchanged.push_back(change.names.size() - 1);
    } else if (v.kind != TupleValue::kText ||
               !PackText(kind, v.data, &change.items.back(), error)) {
      *error = "table " + t.name + " column " + c.name + ": cannot read " +
               (v.kind == TupleValue::kText ? *error : std::string("a binary value"));
      return false;
    }
  }
  // A new primary key: the row under the old one is gone.
  std::vector<TextValue> old_key;
  if (m.type == PgMessage::kUpdate && m.has_old && KeyOf(t, rel, m.old_tuple, &old_key) &&
      old_key != change.key_values) {
    RowChange removed;
    removed.table = change.table;
    removed.deleted = true;
    removed.key_values = old_key;
    if (!EncodeKey(t, old_key, &removed.key, error)) return false;
    out->push_back(std::move(removed));
  }
  out->push_back(std::move(change));
  return true;
}

}  // namespace

std::string FormatPosition(const Position& p) {
  return p.system + ":" + FormatLsn(p.end) + ":" + std::to_string(p.n);
}

Position ParsePosition(const std::string& text) {
  const size_t a = text.find(':');
  const size_t b = a == std::string::npos ? a : text.find(':', a + 1);
  if (b == std::string::npos) return {};
  Position p;
  p.system = text.substr(0, a);
  std::optional<uint64_t> end = ParseLsn(text.substr(a + 1, b - a - 1));
  if (!end || !ParseUint(text.substr(b + 1), &p.n)) return {};
  p.end = *end;
  return p;
}

bool DecodeChanges(const std::vector<std::string>& messages,
                   const std::vector<Table>& tables, const std::string& own_origin,
                   const Position& after, size_t max, DecodeResult* out,
                   std::string* error) {
  *out = DecodeResult();
  out->reached = after;
  std::map<uint32_t, Relation> relations;
  bool in_txn = false, skip_txn = false;
  uint64_t seen_in_txn = 0;  // changes of this transaction, captured or skipped
  uint64_t skip_first = 0;   // of those, captured by an earlier read
  for (const std::string& bytes : messages) {
    PgMessage m;
    if (!ParsePgMessage(bytes, &m, error)) return false;
    switch (m.type) {
      case PgMessage::kRelation: {
        Relation& rel = relations[m.relid];
        rel.columns = m.columns;
        rel.table = -1;
        for (size_t i = 0; i < tables.size(); ++i) {
          if (tables[i].schema == m.nspname && tables[i].relname == m.relname) {
            rel.table = static_cast<int>(i);
          }
        }
        break;
      }
      case PgMessage::kBegin:
        in_txn = true;
        seen_in_txn = 0;
        // Commit records do not overlap: one that starts before `end`
        // also ends at or before it, and was captured.
        skip_txn = m.commit_lsn < after.end;
        skip_first = !skip_txn && out->reached == after ? after.n : 0;
        break;
      case PgMessage::kOrigin:
        if (m.origin == own_origin) skip_txn = true;
        break;
      case PgMessage::kInsert:
      case PgMessage::kUpdate:
      case PgMessage::kDelete: {
        if (!in_txn || skip_txn) break;
        if (seen_in_txn++ < skip_first) break;
        if (out->changes.size() >= max) {
          out->full = true;
          out->reached.n = seen_in_txn - 1;
          return true;
        }
        auto rel = relations.find(m.relid);
        std::string why;
        if (rel == relations.end() || rel->second.table < 0) {
          out->failures.push_back({"", "relation " + std::to_string(m.relid),
                                   "change of a table that is not mapped"});
        } else if (!RowOf(tables, rel->second, m, &out->changes, &why)) {
          const Table& t = tables[static_cast<size_t>(rel->second.table)];
          out->failures.push_back({t.collection, "", why});
        }
        out->reached.n = seen_in_txn;
        break;
      }
      case PgMessage::kCommit:
        if (in_txn && m.end_lsn > out->reached.end) {
          out->reached.end = m.end_lsn;
          out->reached.n = 0;
        }
        in_txn = false;
        break;
      default:
        break;  // types, truncations (not published), messages
    }
  }
  return true;
}

}  // namespace datasync::pg_connector
