// Rows and keys of a PostgreSQL table as datasync records (ARCHITECTURE §8),
// the same format as the SQLite connector's (sqlite_values.h).
//
// A row's value is a msgpack map of column name -> scalar: nil, bool,
// integer, float, text or bytes. Each column type maps to one kind:
// boolean -> bool, smallint/integer/bigint/oid -> integer, real/double ->
// float, bytea -> bytes, and the types whose text form is their value
// (text, varchar, char, numeric, json, jsonb, uuid, date and time types,
// inet, money, bit strings, enums) -> text. Arrays, composite, geometric,
// range and other types have no mapping: Open() reports them. The key is
// the primary key as text, a composite key a JSON array in key order,
// ["eu",42] (numbers for integer columns).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/row_value.h"

namespace datasync::pg_connector {

enum class Kind { kBool, kInteger, kFloat, kText, kBytes };
// The kind of a built-in type by OID; nullopt for types without a mapping.
// Enums (pg_type.typtype 'e') are text: the caller knows them.
std::optional<Kind> KindOfType(uint32_t type_oid);

struct Column {
  std::string name;
  Kind kind = Kind::kText;
};

struct Table {
  std::string name;             // as configured: "items" or "app.items"
  std::string schema, relname;  // "public", "items"
  std::string collection;
  std::vector<Column> columns;    // in table order
  std::vector<int> pk;            // column indexes, in primary-key order
  std::string Qualified() const;  // "schema"."name", quoted
};

// A column value in PostgreSQL's text form; nullopt is NULL.
using TextValue = std::optional<std::string>;

// Appends the msgpack scalar of `text` (a value in its text output form).
// False, with *error, when it does not parse as its kind.
bool PackText(Kind kind, const std::string& text, std::string* msgpack_item,
              std::string* error);
// A msgpack map of `names` -> `items` (each from PackText or a nil).
std::string PackRow(const std::vector<std::string>& names,
                    const std::vector<std::string>& items);
std::string PackNil();

// The record key of a row's primary-key values (text forms, in key order).
bool EncodeKey(const Table& table, const std::vector<TextValue>& key, std::string* out,
               std::string* error);
// The primary-key values of `key`, as text parameters for the key columns.
bool DecodeKey(const Table& table, const std::string& key,
               std::vector<std::string>* values, std::string* error);

// The columns (indexes into table.columns) and text parameters of a msgpack
// map, converted to each column's kind. False, with *error naming the table
// and column, for anything that does not fit.
bool DecodeRow(const Table& table, const std::string& value, std::vector<int>* columns,
               std::vector<TextValue>* values, std::string* error);

using connector_values::QuoteId;
using connector_values::QuoteText;

}  // namespace datasync::pg_connector
