// Turns the pgoutput messages of a peek at the replication slot into row
// changes of the mapped tables: whole transactions in commit order, those
// already captured (up to a position) and those of the connector's own
// replication origin skipped. Pure, no I/O: unit-tested directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "connectors/postgres/pg_values.h"
#include "datasync/connector.h"

namespace datasync::pg_connector {

// Where capture stands: every transaction whose commit record ends at or
// before `end` is captured, and the first `n` changes of the next one (a
// transaction bigger than a batch is captured in parts). `system`: the
// server's system identifier; a position of another server means "nothing
// captured yet".
struct Position {
  std::string system;
  uint64_t end = 0;
  uint64_t n = 0;
  bool operator==(const Position&) const = default;
};
// "SYSTEM:END_LSN:N"; ParsePosition: {} for anything else (or empty).
std::string FormatPosition(const Position& p);
Position ParsePosition(const std::string& text);

struct RowChange {
  size_t table = 0;  // index into the tables
  std::string key;
  bool deleted = false;
  std::vector<TextValue> key_values;  // primary-key values, in key order
  // The value's columns and their msgpack items; columns whose value the
  // message left out (unchanged TOAST) are in `unchanged`, to be read.
  std::vector<std::string> names, items;
  std::vector<size_t> unchanged;  // indexes into names/items
};

struct DecodeResult {
  std::vector<RowChange> changes;
  std::vector<ConnectorFailure> failures;
  Position reached;   // where capture stands after `changes`
  bool full = false;  // stopped at `max`: more may follow
};

// Decodes `messages` (one pgoutput message each) after position `after`
// (same system), up to `max` changes. A message that does not parse is a
// failure of the whole read (false, *error).
bool DecodeChanges(const std::vector<std::string>& messages,
                   const std::vector<Table>& tables, const std::string& own_origin,
                   const Position& after, size_t max, DecodeResult* out,
                   std::string* error);

}  // namespace datasync::pg_connector
