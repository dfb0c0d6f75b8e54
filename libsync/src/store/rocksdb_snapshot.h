// The open RocksDB database of a RocksDbStore, shared with its snapshots so
// that a snapshot may outlive the store, and RocksDbSnapshot itself: one
// rocksdb::Snapshot read through the by_origin index. Private to
// rocksdb_store.cpp (header-only because the store target lists its
// sources one by one).
#pragma once

#include <rocksdb/db.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "datasync/status.h"
#include "datasync/store.h"
#include "store/store_codec.h"

namespace datasync::rocks {

constexpr char kMetadataKey[] = "metadata";

// Maps a RocksDB status to ours; `context` names the store and operation.
inline Status FromRocks(const rocksdb::Status& s, const std::string& context) {
  std::string message = context + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(std::move(message));
  if (s.IsCorruption()) return Status::Corruption(std::move(message));
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) {
    return Status::Busy(std::move(message));
  }
  if (s.IsInvalidArgument()) return Status::Invalid(std::move(message));
  return Status::IoError(std::move(message));
}

// The open database, shared by the store and its snapshots so that a
// snapshot may outlive the store.
struct RocksDb {
  std::string dir;
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* records = nullptr;
  rocksdb::ColumnFamilyHandle* by_origin = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;

  ~RocksDb() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    if (db != nullptr) db->Close().PermitUncheckedError();
    delete db;
  }

  Status ReadMetadata(const rocksdb::ReadOptions& ro, Metadata* out) const {
    rocksdb::PinnableSlice bytes;
    rocksdb::Status s = db->Get(ro, meta, kMetadataKey, &bytes);
    if (s.IsNotFound()) {
      *out = Metadata();
      return Status::Ok();
    }
    if (!s.ok()) return FromRocks(s, dir + ": reading metadata");
    if (!DecodeMetadata(bytes.ToStringView(), out)) {
      return Status::Corruption(dir + ": undecodable metadata");
    }
    return Status::Ok();
  }

  Status ReadRecord(const rocksdb::ReadOptions& ro, const rocksdb::Slice& rkey,
                    rocksdb::PinnableSlice* scratch, Record* out) const {
    scratch->Reset();
    rocksdb::Status s = db->Get(ro, records, rkey, scratch);
    if (s.IsNotFound()) return Status::NotFound("record");
    if (!s.ok()) return FromRocks(s, dir + ": reading a record");
    if (!DecodeStoredRecord(rkey.ToStringView(), scratch->ToStringView(), out)) {
      return Status::Corruption(dir + ": undecodable record");
    }
    return Status::Ok();
  }
};

class RocksDbSnapshot : public StoreSnapshot {
 public:
  RocksDbSnapshot(std::shared_ptr<RocksDb> db, const rocksdb::Snapshot* snapshot,
                  Metadata metadata)
      : db_(std::move(db)), snapshot_(snapshot), metadata_(std::move(metadata)) {
    ro_.snapshot = snapshot_;
  }
  ~RocksDbSnapshot() override {
    iter_.reset();  // an iterator must not outlive its snapshot
    db_->db->ReleaseSnapshot(snapshot_);
  }

  const Metadata& metadata() const override { return metadata_; }

  Status ReadSince(const VersionVector& since, OriginSeq* cursor, size_t max_records,
                   size_t max_bytes, std::vector<Record>* out, bool* done) override;

 private:
  // Positions iter_ on `origin`'s first entry with seq > max(after,
  // since[origin]), or past it when there is none.
  void SeekOrigin(const VersionVector& since, const std::string& origin, uint64_t after);

  std::shared_ptr<RocksDb> db_;
  const rocksdb::Snapshot* snapshot_;
  Metadata metadata_;
  rocksdb::ReadOptions ro_;
  std::unique_ptr<rocksdb::Iterator> iter_;
  std::string key_buf_;
  rocksdb::PinnableSlice value_buf_;
};

inline void RocksDbSnapshot::SeekOrigin(const VersionVector& since,
                                        const std::string& origin, uint64_t after) {
  const uint64_t from = std::max(after, since.Get(origin));
  if (from == UINT64_MAX) {
    // Past every "origin\0<seq>" key; node ids hold no byte below '-'.
    key_buf_ = origin + '\x01';
  } else {
    EncodeIndexKey(origin, from + 1, &key_buf_);
  }
  iter_->Seek(key_buf_);
}

inline Status RocksDbSnapshot::ReadSince(const VersionVector& since, OriginSeq* cursor,
                                         size_t max_records, size_t max_bytes,
                                         std::vector<Record>* out, bool* done) {
  if (!iter_) iter_.reset(db_->db->NewIterator(ro_, db_->by_origin));
  std::string origin;  // the origin iter_ has been positioned for
  if (cursor->origin.empty()) {
    iter_->SeekToFirst();
  } else {
    origin = cursor->origin;
    SeekOrigin(since, origin, cursor->seq);
  }
  max_records = std::max<size_t>(max_records, 1);
  size_t records = 0, bytes = 0;
  bool advance = false;
  while (true) {
    if (advance) iter_->Next();
    advance = true;
    if (!iter_->Valid()) break;
    std::string_view entry_origin;
    uint64_t seq = 0;
    if (!DecodeIndexKey(iter_->key().ToStringView(), &entry_origin, &seq)) {
      return Status::Corruption(db_->dir + ": undecodable index key");
    }
    if (entry_origin != origin) {
      // Entering an origin: one Seek skips all that `since` covers there.
      origin.assign(entry_origin);
      if (since.Get(origin) > 0) {
        SeekOrigin(since, origin, 0);
        advance = false;
        continue;
      }
    }
    if (records >= max_records || (records > 0 && bytes >= max_bytes)) {
      *done = false;
      return Status::Ok();
    }
    Record record;
    Status s = db_->ReadRecord(ro_, iter_->value(), &value_buf_, &record);
    if (s.code() == Code::kNotFound) continue;  // stale entry: skip
    if (!s.ok()) return s;
    if (record.seq != seq || record.version.origin != origin) continue;  // stale
    bytes += record.key.size() + record.value.size();
    ++records;
    cursor->origin = origin;
    cursor->seq = seq;
    out->push_back(std::move(record));
  }
  if (!iter_->status().ok()) return FromRocks(iter_->status(), db_->dir + ": ReadSince");
  *done = true;
  return Status::Ok();
}

}  // namespace datasync::rocks
