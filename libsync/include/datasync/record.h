// Record: one key of one collection, its value (or tombstone) and version.
//
// The last-writer-wins merge lives here: a record replaces another exactly
// when its version is higher. Plain value type, any thread.
#pragma once

#include <cstdint>
#include <string>

#include "datasync/version.h"

namespace datasync {

struct Record {
  std::string collection;  // 1..kMaxCollectionBytes bytes, no NUL
  std::string key;         // 1..limit bytes, any bytes
  std::string value;       // bytes; empty when deleted
  bool deleted = false;    // tombstone
  Version version;
  uint64_t seq = 0;        // origin's write number (version.origin's seq)

  OriginSeq origin_seq() const { return {version.origin, seq}; }
  bool operator==(const Record&) const = default;
};

constexpr size_t kMaxCollectionBytes = 255;
constexpr size_t kMaxNodeIdBytes = 64;
// The highest seq a write may carry. A node writing a million records a
// second needs 290,000 years to reach it, so a higher one is forged or
// corrupt; refusing it keeps `own seq + 1` from wrapping to zero.
constexpr uint64_t kMaxSeq = (uint64_t{1} << 63) - 1;

// True when `incoming` must replace `current` under last-writer-wins.
// Equal versions are the same write: not replaced (idempotence).
inline bool Supersedes(const Version& incoming, const Version& current) {
  return incoming > current;
}

// [A-Za-z0-9_-]{1,64}
bool IsValidNodeId(const std::string& id);
// 1..255 bytes without NUL.
bool IsValidCollection(const std::string& collection);

// The store key of (collection, key): one length byte, the collection, then
// the key. Unambiguous because the collection is at most 255 bytes; sorts all
// keys of a collection together.
std::string RecordKey(const std::string& collection, const std::string& key);
// Inverse of RecordKey; false when `record_key` was not made by it.
bool SplitRecordKey(const std::string& record_key, std::string* collection,
                    std::string* key);

}  // namespace datasync
