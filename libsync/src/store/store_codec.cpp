#include "store/store_codec.h"

#include <cstring>

namespace datasync {

void PutFixed64BE(uint64_t v, std::string* out) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void EncodeStoredRecord(const Record& record, std::string* out) {
  out->clear();
  out->reserve(kStoredRecordHeader + record.version.origin.size() + record.value.size());
  out->push_back(static_cast<char>(record.deleted ? kStoredDeletedFlag : 0));
  PutFixed64BE(record.version.hlc, out);
  PutFixed64BE(record.seq, out);
  out->push_back(static_cast<char>(record.version.origin.size()));
  out->append(record.version.origin);
  out->append(record.value);
}

bool DecodeStoredRecord(std::string_view record_key, std::string_view bytes,
                        Record* out) {
  if (bytes.size() < kStoredRecordHeader) return false;
  const uint8_t flags = static_cast<uint8_t>(bytes[0]);
  if (flags & ~kStoredDeletedFlag) return false;
  const size_t origin_len = static_cast<uint8_t>(bytes[17]);
  if (bytes.size() < kStoredRecordHeader + origin_len) return false;
  // Inline SplitRecordKey over a view: no copy of the key on the read path.
  if (record_key.empty()) return false;
  const size_t collection_len = static_cast<uint8_t>(record_key[0]);
  if (collection_len == 0 || record_key.size() < 1 + collection_len) return false;
  out->collection.assign(record_key.substr(1, collection_len));
  out->key.assign(record_key.substr(1 + collection_len));
  out->deleted = flags & kStoredDeletedFlag;
  out->version.hlc = GetFixed64BE(bytes.data() + 1);
  out->seq = GetFixed64BE(bytes.data() + 9);
  out->version.origin.assign(bytes.data() + kStoredRecordHeader, origin_len);
  out->value.assign(bytes.substr(kStoredRecordHeader + origin_len));
  return true;
}

void EncodeIndexKey(std::string_view origin, uint64_t seq, std::string* out) {
  out->clear();
  out->append(origin);
  out->push_back('\0');
  PutFixed64BE(seq, out);
}

bool DecodeIndexKey(std::string_view key, std::string_view* origin, uint64_t* seq) {
  if (key.size() < 9 || key[key.size() - 9] != '\0') return false;
  *origin = key.substr(0, key.size() - 9);
  *seq = GetFixed64BE(key.data() + key.size() - 8);
  return true;
}

namespace {

void PutFixed32BE(uint32_t v, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint32_t GetFixed32BE(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

// [format u8 = 1][own_seq u64][hlc u64][n u32] then n x [len u32][origin][seq u64]
std::string EncodeMetadata(const Metadata& metadata) {
  std::string out;
  out.push_back(1);
  PutFixed64BE(metadata.own_seq, &out);
  PutFixed64BE(metadata.hlc, &out);
  PutFixed32BE(static_cast<uint32_t>(metadata.vv.size()), &out);
  for (const auto& [origin, seq] : metadata.vv.entries()) {
    PutFixed32BE(static_cast<uint32_t>(origin.size()), &out);
    out.append(origin);
    PutFixed64BE(seq, &out);
  }
  return out;
}

bool DecodeMetadata(std::string_view bytes, Metadata* out) {
  if (bytes.size() < 21 || bytes[0] != 1) return false;
  Metadata m;
  m.own_seq = GetFixed64BE(bytes.data() + 1);
  m.hlc = GetFixed64BE(bytes.data() + 9);
  const uint32_t n = GetFixed32BE(bytes.data() + 17);
  size_t pos = 21;
  for (uint32_t i = 0; i < n; ++i) {
    if (bytes.size() - pos < 4) return false;
    const size_t len = GetFixed32BE(bytes.data() + pos);
    pos += 4;
    if (bytes.size() - pos < len || bytes.size() - pos - len < 8) return false;
    std::string origin(bytes.substr(pos, len));
    const uint64_t seq = GetFixed64BE(bytes.data() + pos + len);
    pos += len + 8;
    if (origin.empty() || seq == 0 || m.vv.Get(origin) != 0) return false;
    m.vv.Set(origin, seq);
  }
  if (pos != bytes.size()) return false;
  *out = std::move(m);
  return true;
}

Status ValidateRecord(const Record& record) {
  if (!IsValidCollection(record.collection)) {
    return Status::Invalid("record has an invalid collection name");
  }
  if (record.key.empty()) {
    return Status::Invalid("record in collection '" + record.collection +
                           "' has an empty key");
  }
  if (!IsValidNodeId(record.version.origin)) {
    return Status::Invalid("record in collection '" + record.collection +
                           "' has an invalid origin '" + record.version.origin + "'");
  }
  return Status::Ok();
}

}  // namespace datasync
