// PostgreSQL's logical replication protocol, version 1, as the pgoutput
// plugin writes it (protocol-logicalrep-message-formats.html): one message
// per row of pg_logical_slot_peek_binary_changes(). Pure parsing, no I/O;
// malformed bytes are an error, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace datasync::pg_connector {

// "16/B374D848" <-> 0x16B374D848. ParseLsn: nullopt for anything else.
std::optional<uint64_t> ParseLsn(const std::string& text);
std::string FormatLsn(uint64_t lsn);

struct RelationColumn {
  std::string name;
  uint32_t type_oid = 0;
  bool key = false;  // part of the replica identity (the primary key)
};

// One column of a row image.
struct TupleValue {
  enum Kind : char { kNull = 'n', kUnchangedToast = 'u', kText = 't', kBinary = 'b' };
  Kind kind = kNull;
  std::string data;
};

struct PgMessage {
  enum Type : char {
    kBegin = 'B',
    kCommit = 'C',
    kOrigin = 'O',
    kRelation = 'R',
    kType = 'Y',
    kInsert = 'I',
    kUpdate = 'U',
    kDelete = 'D',
    kTruncate = 'T',
    kMessage = 'M',
  };
  Type type = kBegin;
  uint64_t commit_lsn = 0;       // Begin: the commit record's LSN; Commit: the same
  uint64_t end_lsn = 0;          // Commit: the end of the commit record
  uint32_t xid = 0;              // Begin
  std::string origin;            // Origin: the replication origin's name
  uint32_t relid = 0;            // Relation, Insert, Update, Delete
  std::string nspname, relname;  // Relation
  std::vector<RelationColumn> columns;           // Relation
  bool has_old = false;                          // Update: old key or row sent
  std::vector<TupleValue> old_tuple, new_tuple;  // Delete: old_tuple only
};

// Parses one message. False, with *error, when the bytes are not one.
bool ParsePgMessage(const std::string& bytes, PgMessage* out, std::string* error);

}  // namespace datasync::pg_connector
