// The msgpack codec of every Message (docs/wire-format.md is its spec).
//
// A message is one msgpack array: [protocol version, type, fields...].
// Decoding is total: any byte string yields a Message or an error Status;
// nothing throws out of here, nothing reads out of bounds, and allocation is
// bounded by CodecLimits. Thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "datasync/messages.h"
#include "datasync/status.h"

namespace datasync {

struct CodecLimits {
  size_t max_message_bytes = 16 << 20;  // a batch or page is ~1 MiB
  size_t max_records = 65536;        // per batch or page
  size_t max_key_bytes = 4096;
  size_t max_value_bytes = 1 << 20;
  size_t max_string_bytes = 4096;    // ids, endpoints, messages, digests
  size_t max_vector_entries = 4096;  // version vector origins
  size_t max_members = 4096;
  size_t max_map_entries = 4096;     // status counters and info
};

// Encodes `message` as msgpack. Never fails for a well-formed Message.
std::string Encode(const Message& message);
// Appends the encoding to *out (reuses its capacity).
void EncodeTo(const Message& message, std::string* out);
// Appends the encoding of `reply` with `records` as its records: the bytes
// EncodeTo gives for that reply, without copying the records into it (a
// change feed sends records the caller still holds).
// REQUIRES: reply.records is empty.
void EncodeReplyTo(const ClientReply& reply, const std::vector<const Record*>& records,
                   std::string* out);

// Decodes one message. Errors (kInvalidArgument) name what was wrong:
// truncation, trailing bytes, a wrong type, an oversize field, an unknown
// protocol version or message type, an invalid id or collection.
Result<Message> Decode(std::string_view bytes, const CodecLimits& limits = {});

}  // namespace datasync
