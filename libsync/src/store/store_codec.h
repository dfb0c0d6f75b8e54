// Private byte encodings shared by the stores: the stored form of a record,
// the (origin, seq) index key and the metadata blob. Pure functions, any
// thread. Decoders never trust their input: stored bytes may be damaged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "datasync/record.h"
#include "datasync/status.h"
#include "datasync/store.h"

namespace datasync {

// A record as stored under its RecordKey (which holds collection and key):
//   [flags u8: bit 0 deleted][hlc u64 BE][seq u64 BE][origin len u8][origin]
//   [value bytes to the end]
// Fixed header first so a tombstone count needs to read one byte.
constexpr size_t kStoredRecordHeader = 1 + 8 + 8 + 1;
constexpr uint8_t kStoredDeletedFlag = 1;

void EncodeStoredRecord(const Record& record, std::string* out);
// False when the bytes were not made by EncodeStoredRecord.
bool DecodeStoredRecord(std::string_view record_key, std::string_view bytes, Record* out);
inline bool StoredRecordIsTombstone(std::string_view bytes) {
  return !bytes.empty() && (static_cast<uint8_t>(bytes[0]) & kStoredDeletedFlag);
}

// Index key: origin, a NUL, then seq big-endian. Node ids hold no NUL, so
// bytewise order is (origin, seq) order, the order of OriginSeq.
void EncodeIndexKey(std::string_view origin, uint64_t seq, std::string* out);
bool DecodeIndexKey(std::string_view key, std::string_view* origin, uint64_t* seq);

std::string EncodeMetadata(const Metadata& metadata);
bool DecodeMetadata(std::string_view bytes, Metadata* out);

// What every store refuses to commit: a record whose collection, key or
// origin would not survive the encodings above.
Status ValidateRecord(const Record& record);

void PutFixed64BE(uint64_t v, std::string* out);
uint64_t GetFixed64BE(const char* p);

}  // namespace datasync
