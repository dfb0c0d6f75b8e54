// Rows and keys of an application's SQLite table as datasync records
// (ARCHITECTURE §8).
//
// A row's value is a msgpack map of column name -> scalar: nil, integer,
// float, text (str) or blob (bin). Its key is the primary key as text: a
// single-column key is the column's value (an integer in decimal, a float
// as %.17g, text as is, a blob as its bytes); a composite key is a JSON
// array of its components in primary-key order, e.g. ["eu",42] (blobs
// cannot be components). Applying converts each value to the type affinity
// of the target column; what cannot be converted is an error naming the
// table and the column.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "connectors/row_value.h"

namespace datasync::sqlite_connector {

enum class Affinity { kInteger, kText, kBlob, kReal, kNumeric };
// SQLite's rules (datatype3.html §3.1) applied to a declared type.
Affinity AffinityOf(const std::string& declared_type);

struct Column {
  std::string name;
  Affinity affinity = Affinity::kBlob;
  int pk = 0;  // 1-based position in the primary key, 0 when not part of it
};

struct Table {
  std::string name;
  std::string collection;
  std::vector<Column> columns;  // in table order
  std::vector<int> pk;          // column indexes, in primary-key order
};

struct Blob {
  std::string bytes;
};
// A value ready to bind: NULL, INTEGER, REAL, TEXT or BLOB.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

void Bind(sqlite3_stmt* stmt, int index, const SqlValue& value);

// The record key of a row whose primary-key values are `values` (in
// primary-key order); `db` runs SQLite's json_array() for composite keys.
// False, with *error, for NULL, or a blob in a composite key.
bool EncodeKey(sqlite3* db, const Table& table, const std::vector<sqlite3_value*>& values,
               std::string* key, std::string* error);
// The primary-key values of `key`, converted to the key columns' types
// (composite keys read with SQLite's json_each()).
bool DecodeKey(sqlite3* db, const Table& table, const std::string& key,
               std::vector<SqlValue>* values, std::string* error);

// The msgpack map of the current row of `stmt` (all columns of `table`, in
// order).
std::string RowValue(const Table& table, sqlite3_stmt* stmt);

// The columns (indexes into table.columns) and values of a msgpack map,
// converted to each column's type. False, with *error, when the value is not
// such a map, names a column the table lacks, or holds a value the column's
// type cannot take.
bool DecodeRow(const Table& table, const std::string& value, std::vector<int>* columns,
               std::vector<SqlValue>* values, std::string* error);

using connector_values::QuoteId;
using connector_values::QuoteText;

}  // namespace datasync::sqlite_connector
