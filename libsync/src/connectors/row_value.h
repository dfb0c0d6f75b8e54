// What the table-like connectors (SQLite, PostgreSQL, Redis hashes) share:
// a record's value is a row, a msgpack map of name (text) -> scalar; and
// SQLite and PostgreSQL quote SQL names and text the same way.
#pragma once

#include <functional>
#include <string>

#include <msgpack.hpp>

namespace datasync::connector_values {

// Unpacks `value` and calls `entry(name, object)` for each entry of the
// map, in order, until it returns false (having said why in *error). False,
// with *error, when `value` is not such a map: the message starts with
// `where` ("table items: ") and names the entries `what` ("column").
bool ForEachEntry(const std::string& value, const std::string& where, const std::string& what,
                  std::string* error,
                  const std::function<bool(std::string name, const msgpack::object&)>& entry);

// "name" with inner quotes doubled, and 'text' likewise.
std::string QuoteId(const std::string& name);
std::string QuoteText(const std::string& text);

}  // namespace datasync::connector_values
