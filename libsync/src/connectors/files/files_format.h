// How a record and a file of the files connector correspond. With
// `format: bytes` (the default) the key is the relative path and the value
// the file's bytes. With `format: json` only files named KEY.json are
// synced, and a record's value, a msgpack map (a table row, ARCHITECTURE
// §8), is the JSON object in the file: so a folder can follow a table, and
// a JSON file written there becomes a row.
#pragma once

#include <optional>
#include <string>

#include "datasync/config.h"

namespace datasync::files_connector {

// The record key of the file at `path`; nullopt when the file is not synced.
std::optional<std::string> KeyOfPath(const ConnectorConfig& config, const std::string& path);
std::string PathOfKey(const ConnectorConfig& config, const std::string& key);

// File content -> record value and back. False, with *error, when the
// content is not a JSON object (json) or the value not a msgpack map.
bool FileToValue(const ConnectorConfig& config, std::string content, std::string* value,
                 std::string* error);
bool ValueToFile(const ConnectorConfig& config, const std::string& value, std::string* content,
                 std::string* error);

}  // namespace datasync::files_connector
