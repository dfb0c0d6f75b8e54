// MemoryStore: state in standard containers behind a shared_ptr. Snapshots share the state
// they were opened on; a commit copies the state only when a snapshot still
// shares it (copy-on-write), so with no open snapshot a commit is in place.
#include "datasync/memory_store.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>

#include "store/store_codec.h"

namespace datasync {
namespace {

struct MemoryState {
  MemoryState() = default;
  // The hash and the index point into `records`, so a copy rebuilds them
  // for its own records (dropping any stale index entry on the way).
  MemoryState(const MemoryState& other)
      : records(other.records), metadata(other.metadata), aux(other.aux) {
    for (auto& [rkey, record] : records) {
      by_key.emplace(rkey, &record);
      Index(record);
    }
  }
  MemoryState& operator=(const MemoryState&) = delete;

  void Index(const Record& record) {
    auto& seqs = by_origin[record.version.origin];
    // Seqs mostly arrive in increasing order: the hint makes that O(1).
    seqs.insert_or_assign(seqs.end(), record.seq, &record);
  }
  void Unindex(const OriginSeq& entry) {
    auto it = by_origin.find(entry.origin);
    if (it != by_origin.end()) it->second.erase(entry.seq);
  }

  std::map<std::string, Record> records;  // RecordKey -> record, in key order
  // The same records by hash: most writes overwrite a key that is already
  // here, and hashing finds it without the ordered map's string comparisons.
  // Map nodes never move and records are never erased (deletes are
  // tombstones), so the views and pointers into `records` stay valid.
  std::unordered_map<std::string_view, Record*> by_key;
  // origin -> seq -> its record. An entry whose record was overwritten
  // without `replaces` naming it no longer matches that record's (origin,
  // seq), and readers skip it.
  std::map<std::string, std::map<uint64_t, const Record*>> by_origin;
  Metadata metadata;
  std::map<std::string, std::string> aux;
};

Status ReadSinceFromState(const MemoryState& state, const VersionVector& since,
                          OriginSeq* cursor, size_t max_records, size_t max_bytes,
                          std::vector<Record>* out, bool* done) {
  size_t records = 0, bytes = 0;
  max_records = std::max<size_t>(max_records, 1);
  auto origin_it = cursor->origin.empty() ? state.by_origin.begin()
                                          : state.by_origin.lower_bound(cursor->origin);
  for (; origin_it != state.by_origin.end(); ++origin_it) {
    const auto& [origin, seqs] = *origin_it;
    // Skip what `since` covers, and what earlier pages of this origin sent.
    uint64_t after = since.Get(origin);
    if (origin == cursor->origin) after = std::max(after, cursor->seq);
    for (auto it = seqs.upper_bound(after); it != seqs.end(); ++it) {
      const Record& rec = *it->second;
      if (rec.version.origin != origin || rec.seq != it->first) continue;  // stale
      if (records >= max_records || (records > 0 && bytes >= max_bytes)) {
        *done = false;
        return Status::Ok();
      }
      out->push_back(rec);
      *cursor = OriginSeq{origin, rec.seq};
      ++records;
      bytes += rec.key.size() + rec.value.size();
    }
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
      if (w.replaces) state.Unindex(*w.replaces);
      std::string rkey = RecordKey(w.record.collection, w.record.key);
      auto found = state.by_key.find(rkey);
      Record* record = found != state.by_key.end() ? found->second : nullptr;
      if (record == nullptr) {
        auto it = state.records.emplace(std::move(rkey), Record{}).first;
        record = &it->second;
        state.by_key.emplace(it->first, record);
      }
      *record = w.record;
      state.Index(*record);
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
