// libFuzzer target over what a PostgreSQL server sends the connector: a
// peek's pgoutput messages, decoded into row changes of two mapped tables
// (one with a composite key). The input is a sequence of messages, each
// behind a 2-byte big-endian length, so mutations reach whole transactions
// (relations, begin/commit, origins, tuples), not only one message.
//
// Asserts DecodeChanges' contract (pg_decode.h): it never crashes or reads
// out of bounds; refused input comes with an error; accepted input yields
// changes of the mapped tables only, each with a key, at most `max` of them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "connectors/postgres/pg_decode.h"

namespace datasync::pg_connector {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "pgoutput_fuzz: %s\n", what);
  std::abort();
}

// The tables of make_seeds' messages: items(id int8 key, name text, ok
// bool, data bytea) and app.stock(region text key, id int4 key, qty int4).
const std::vector<Table>& Tables() {
  static const std::vector<Table> tables = {
      {"items",
       "public",
       "items",
       "items",
       {{"id", Kind::kInteger}, {"name", Kind::kText}, {"ok", Kind::kBool}, {"data", Kind::kBytes}},
       {0}},
      {"app.stock",
       "app",
       "stock",
       "stock",
       {{"region", Kind::kText}, {"id", Kind::kInteger}, {"qty", Kind::kInteger}},
       {0, 1}},
  };
  return tables;
}

std::vector<std::string> Split(const uint8_t* data, size_t size) {
  std::vector<std::string> messages;
  size_t at = 0;
  while (at + 2 <= size) {
    const size_t n = (size_t{data[at]} << 8) | data[at + 1];
    at += 2;
    const size_t take = n < size - at ? n : size - at;
    messages.emplace_back(reinterpret_cast<const char*>(data + at), take);
    at += take;
  }
  return messages;
}

}  // namespace
}  // namespace datasync::pg_connector

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace datasync::pg_connector;
  constexpr size_t kMax = 8;
  const std::vector<std::string> messages = Split(data, size);
  DecodeResult out;
  std::string error;
  if (!DecodeChanges(messages, Tables(), "datasync_own", {"sys", 0, 0}, kMax, &out, &error)) {
    if (error.empty()) Die("refused without an error");
    return 0;
  }
  if (out.changes.size() > kMax) Die("more changes than asked for");
  for (const RowChange& c : out.changes) {
    if (c.table >= Tables().size()) Die("change of an unmapped table");
    if (c.key.empty()) Die("change without a key");
    if (c.names.size() != c.items.size()) Die("names and items differ in number");
  }
  return 0;
}
