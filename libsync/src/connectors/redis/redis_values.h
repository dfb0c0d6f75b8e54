// Redis keys and values as datasync records (redis_backend.h has the
// design). Pure functions: unit-tested without a server.
//
// A key under a mapped prefix is the record key without the prefix. A
// string's value is its bytes. A hash's value is a msgpack map field ->
// str (bin when the bytes are not UTF-8), fields sorted: the value shape of
// an SQLite row, so a row can become a hash and back. Applying a map turns
// numbers into decimal text, booleans into "1"/"0", and leaves nil fields
// out (a hash field cannot be null).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "datasync/config.h"

namespace datasync::redis_connector {

using Fields = std::vector<std::pair<std::string, std::string>>;

// The connector's own keys: never captured, never a record.
inline constexpr std::string_view kOwnPrefix = "_datasync:";

// The map entry `key` belongs to; nullptr when none (or one of ours).
const ConnectorMapping* MappingOfKey(const ConnectorConfig& config, std::string_view key);
// The entry of `collection`; nullptr when it is not mapped.
const ConnectorMapping* MappingOfCollection(const ConnectorConfig& config,
                                            std::string_view collection);

// `text` with Redis glob characters (* ? [ ] \) escaped: a pattern that
// matches exactly it, for PSUBSCRIBE and SCAN MATCH.
std::string EscapeGlob(std::string_view text);

// The msgpack map of `fields`, sorted by field name.
std::string EncodeHash(Fields fields);
// The fields a record value sets, sorted. False, with *error, when the value
// is not a msgpack map of scalars with str keys.
bool DecodeHash(const std::string& value, Fields* fields, std::string* error);

// What capture compares: the XXH3-128 of a key's content, typed (a string
// and a hash of the same bytes differ). Hash fields in any order.
std::string StringHash(std::string_view bytes);
std::string HashHash(Fields fields);

}  // namespace datasync::redis_connector
