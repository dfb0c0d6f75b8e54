// How syncctl shows replies: human-readable text by default, JSON with
// --json. Pure formatting, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "datasync/messages.h"
#include "../common/json_writer.h"

namespace datasync {

// Bytes made safe for one line of human output: printable ASCII and valid
// UTF-8 pass, backslash, control characters and invalid bytes are escaped
// C-style (\n, \t, \\, \xNN).
std::string Escaped(std::string_view bytes);

// The fields of `record` into an open JSON object: collection, key, value
// (or value_base64), deleted, version {hlc, origin}, origin, seq.
void RecordFields(const Record& record, JsonWriter* json);

// One change-feed line: "put COLLECTION KEY VALUE" or "del COLLECTION KEY".
std::string WatchLine(const Record& record);

// `syncctl status`: aligned "label  value" lines, or one JSON object.
std::string StatusText(const NodeStatus& status);
void StatusJson(const NodeStatus& status, JsonWriter* json);

// `syncctl members`: the epoch, then a table of members.
std::string MembersText(const Membership& membership);
void MembersJson(const Membership& membership, JsonWriter* json);

}  // namespace datasync
