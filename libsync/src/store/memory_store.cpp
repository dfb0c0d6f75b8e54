// MemoryStore: std::map state behind a shared_ptr. Snapshots share the state
// they were opened on; a commit copies the state only when a snapshot still
// shares it (copy-on-write), so with no open snapshot a commit is in place.
#include "datasync/memory_store.h"

#include <algorithm>
#include <map>

#include "store/store_codec.h"

namespace datasync {
namespace {

struct MemoryState {
  std::map<std::string, Record> records;       // RecordKey -> record
  std::map<OriginSeq, std::string> by_origin;  // -> RecordKey
  Metadata metadata;
  std::map<std::string, std::string> aux;
};

Status ReadSinceFromState(const MemoryState& state, const VersionVector& since,
                          OriginSeq* cursor, size_t max_records, size_t max_bytes,
                          std::vector<Record>* out, bool* done) {
  const auto& index = state.by_origin;
  auto start_of = [&](const std::string& origin, uint64_t after) {
    return index.upper_bound(OriginSeq{origin, std::max(after, since.Get(origin))});
  };
  std::string origin;  // the origin `it` was positioned for
  auto it = index.begin();
  if (!cursor->origin.empty()) {
    origin = cursor->origin;
    it = start_of(origin, cursor->seq);
  }
  size_t records = 0, bytes = 0;
  max_records = std::max<size_t>(max_records, 1);
  while (it != index.end()) {
    if (it->first.origin != origin) {
      // Entering an origin: skip what `since` already covers there.
      origin = it->first.origin;
      if (since.Get(origin) > 0) {
        it = start_of(origin, 0);
        continue;
      }
    }
    if (records >= max_records || (records > 0 && bytes >= max_bytes)) {
      *done = false;
      return Status::Ok();
    }
    // An entry the caller forgot to name in `replaces` is stale: skip it.
    auto rec = state.records.find(it->second);
    if (rec != state.records.end() && rec->second.origin_seq() == it->first) {
      out->push_back(rec->second);
      *cursor = it->first;
      ++records;
      bytes += rec->second.key.size() + rec->second.value.size();
    }
    ++it;
  }
  *done = true;
  return Status::Ok();
}

class MemorySnapshot : public StoreSnapshot {
 public:
  explicit MemorySnapshot(std::shared_ptr<const MemoryState> state)
      : state_(std::move(state)) {}
  const Metadata& metadata() const override { return state_->metadata; }
  Status ReadSince(const VersionVector& since, OriginSeq* cursor, size_t max_records,
                   size_t max_bytes, std::vector<Record>* out, bool* done) override {
    return ReadSinceFromState(*state_, since, cursor, max_records, max_bytes, out, done);
  }

 private:
  std::shared_ptr<const MemoryState> state_;
};

class MemoryStore : public Store {
 public:
  Status Commit(const WriteBatch& batch) override {
    // Validate everything first: a failed commit must leave nothing behind.
    for (const RecordWrite& w : batch.writes) {
      if (Status s = ValidateRecord(w.record); !s.ok()) return s;
    }
    if (state_.use_count() > 1) state_ = std::make_shared<MemoryState>(*state_);
    MemoryState& state = *state_;
    for (const RecordWrite& w : batch.writes) {
      if (w.replaces) state.by_origin.erase(*w.replaces);
      std::string rkey = RecordKey(w.record.collection, w.record.key);
      state.by_origin[w.record.origin_seq()] = rkey;
      state.records.insert_or_assign(std::move(rkey), w.record);
    }
    if (batch.metadata) state.metadata = *batch.metadata;
    for (const auto& [name, value] : batch.aux) state.aux[name] = value;
    return Status::Ok();
  }

  Result<Metadata> LoadMetadata() const override { return state_->metadata; }

  Result<Record> Get(const std::string& collection,
                     const std::string& key) const override {
    auto it = state_->records.find(RecordKey(collection, key));
    if (it == state_->records.end()) return Status::NotFound(collection + "/" + key);
    return it->second;
  }

  Status Scan(const std::string& collection, const std::string& prefix,
              const std::function<bool(const Record&)>& fn) const override {
    const std::string start = RecordKey(collection, prefix);
    for (auto it = state_->records.lower_bound(start);
         it != state_->records.end() && it->first.starts_with(start); ++it) {
      if (!fn(it->second)) break;
    }
    return Status::Ok();
  }

  Status ScanAll(const std::function<bool(const Record&)>& fn) const override {
    for (const auto& [rkey, record] : state_->records) {
      if (!fn(record)) break;
    }
    return Status::Ok();
  }

  Result<std::string> GetAux(const std::string& name) const override {
    auto it = state_->aux.find(name);
    if (it == state_->aux.end()) return Status::NotFound("aux " + name);
    return it->second;
  }

  Result<std::unique_ptr<StoreSnapshot>> OpenSnapshot() const override {
    return std::unique_ptr<StoreSnapshot>(new MemorySnapshot(state_));
  }

  Result<StoreCounts> Counts() const override {
    StoreCounts counts;
    counts.records = state_->records.size();
    for (const auto& [rkey, record] : state_->records) {
      counts.tombstones += record.deleted;
    }
    return counts;
  }

  const char* Name() const override { return "memory"; }

 private:
  std::shared_ptr<MemoryState> state_ = std::make_shared<MemoryState>();
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace datasync
