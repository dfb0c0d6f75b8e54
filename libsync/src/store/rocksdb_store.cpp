// RocksDbStore: three column families in one database.
//   records   RecordKey -> EncodeStoredRecord
//   by_origin EncodeIndexKey(origin, seq) -> RecordKey (current records only)
//   meta      "format", "metadata", "aux/<name>"
// A commit is one rocksdb::WriteBatch with the WAL on, so a batch across the
// three families is all or nothing after kill -9. Writes are blind: the
// caller names the index entry each record replaces.
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>

#include "datasync/durable_store.h"
#include "store/rocksdb_snapshot.h"
#include "store/store_codec.h"
#include "store/store_tuning.h"

namespace datasync {
namespace {

using rocks::FromRocks;
using rocks::kMetadataKey;
using rocks::RocksDb;
using rocks::RocksDbSnapshot;

constexpr char kRecordsCf[] = "records";
constexpr char kByOriginCf[] = "by_origin";
constexpr char kMetaCf[] = "meta";
constexpr char kFormatKey[] = "format";
constexpr char kFormatValue[] = "datasync-rocksdb-1";
constexpr char kAuxPrefix[] = "aux/";
// How often a store stopped by a write error (a full disk) tries to resume.
constexpr auto kResumeInterval = std::chrono::milliseconds(200);

// The smallest string greater than every string starting with `prefix`, or
// "" when there is none (all 0xff).
std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

class RocksDbStore : public Store {
 public:
  RocksDbStore(std::shared_ptr<RocksDb> db, const DurableStoreOptions& options)
      : db_(std::move(db)) {
    write_options_.sync = options.sync;
  }

  Status Commit(const WriteBatch& batch) override;
  Result<Metadata> LoadMetadata() const override {
    Metadata m;
    if (Status s = db_->ReadMetadata(rocksdb::ReadOptions(), &m); !s.ok()) return s;
    return m;
  }
  Result<Record> Get(const std::string& collection,
                     const std::string& key) const override;
  Status Scan(const std::string& collection, const std::string& prefix,
              const std::function<bool(const Record&)>& fn) const override;
  Status ScanAll(const std::function<bool(const Record&)>& fn) const override {
    return ScanRange("", "", fn);
  }
  Result<std::string> GetAux(const std::string& name) const override;
  Result<std::unique_ptr<StoreSnapshot>> OpenSnapshot() const override;
  Result<StoreCounts> Counts() const override;
  const char* Name() const override { return "rocksdb"; }

 private:
  // Records with start <= RecordKey < limit (no limit when empty).
  Status ScanRange(const std::string& start, const std::string& limit,
                   const std::function<bool(const Record&)>& fn) const;
  // Ok when writes may be tried; else why not (yet).
  Status ResumeAfterFailure();

  std::shared_ptr<RocksDb> db_;
  rocksdb::WriteOptions write_options_;
  // Reused across commits: one commit per event-loop turn, so keeping the
  // capacity saves an allocation per record.
  rocksdb::WriteBatch wb_;
  std::string rkey_buf_, value_buf_, index_buf_;
  // Set by a failed write: RocksDB then refuses every write until resumed.
  std::optional<Status> write_failure_;
  std::chrono::steady_clock::time_point next_resume_{};
};

Status RocksDbStore::ResumeAfterFailure() {
  if (!write_failure_) return Status::Ok();
  // Resuming flushes the memtables to table files and starts a new WAL: it
  // fails, having written nothing that counts, while the disk is still
  // full, so it is tried now and then rather than at every commit.
  const auto now = std::chrono::steady_clock::now();
  if (now < next_resume_) return *write_failure_;
  next_resume_ = now + kResumeInterval;
  // While it fails (still no room, or Busy while RocksDB's own recovery
  // runs), the write error that stopped the store says best what is wrong.
  if (!db_->db->Resume().ok()) return *write_failure_;
  write_failure_.reset();
  return Status::Ok();
}

Status RocksDbStore::Commit(const WriteBatch& batch) {
  for (const RecordWrite& w : batch.writes) {
    if (Status s = ValidateRecord(w.record); !s.ok()) return s;
  }
  if (Status resumed = ResumeAfterFailure(); !resumed.ok()) return resumed;
  wb_.Clear();
  rocksdb::Status s;
  for (const RecordWrite& w : batch.writes) {
    const Record& r = w.record;
    rkey_buf_ = RecordKey(r.collection, r.key);
    EncodeStoredRecord(r, &value_buf_);
    s = wb_.Put(db_->records, rkey_buf_, value_buf_);
    // Delete before Put: when both name the same entry, the Put must win.
    if (s.ok() && w.replaces) {
      EncodeIndexKey(w.replaces->origin, w.replaces->seq, &index_buf_);
      s = wb_.Delete(db_->by_origin, index_buf_);
    }
    if (s.ok()) {
      EncodeIndexKey(r.version.origin, r.seq, &index_buf_);
      s = wb_.Put(db_->by_origin, index_buf_, rkey_buf_);
    }
    if (!s.ok()) return FromRocks(s, db_->dir + ": building a commit");
  }
  if (batch.metadata) {
    s = wb_.Put(db_->meta, kMetadataKey, EncodeMetadata(*batch.metadata));
  }
  for (const auto& [name, value] : batch.aux) {
    if (s.ok()) s = wb_.Put(db_->meta, kAuxPrefix + name, value);
  }
  if (s.ok()) s = db_->db->Write(write_options_, &wb_);
  if (!s.ok()) {
    // Resuming a store that is not stopped is a no-op: no need to tell.
    write_failure_ = FromRocks(s, db_->dir + ": commit");
    next_resume_ = std::chrono::steady_clock::now() + kResumeInterval;
    return *write_failure_;
  }
  return Status::Ok();
}

Result<Record> RocksDbStore::Get(const std::string& collection,
                                 const std::string& key) const {
  rocksdb::PinnableSlice scratch;
  Record record;
  Status s = db_->ReadRecord(rocksdb::ReadOptions(), RecordKey(collection, key), &scratch,
                             &record);
  if (s.code() == Code::kNotFound) return Status::NotFound(collection + "/" + key);
  if (!s.ok()) return s;
  return record;
}

Status RocksDbStore::Scan(const std::string& collection, const std::string& prefix,
                          const std::function<bool(const Record&)>& fn) const {
  const std::string start = RecordKey(collection, prefix);
  return ScanRange(start, PrefixSuccessor(start), fn);
}

Status RocksDbStore::ScanRange(const std::string& start, const std::string& limit,
                               const std::function<bool(const Record&)>& fn) const {
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(limit);
  if (!limit.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->records));
  Record record;
  for (it->Seek(start); it->Valid(); it->Next()) {
    if (!DecodeStoredRecord(it->key().ToStringView(), it->value().ToStringView(),
                            &record)) {
      return Status::Corruption(db_->dir + ": undecodable record");
    }
    if (!fn(record)) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), db_->dir + ": scan");
  return Status::Ok();
}

Result<std::string> RocksDbStore::GetAux(const std::string& name) const {
  std::string value;
  rocksdb::Status s =
      db_->db->Get(rocksdb::ReadOptions(), db_->meta, kAuxPrefix + name, &value);
  if (s.IsNotFound()) return Status::NotFound("aux " + name);
  if (!s.ok()) return FromRocks(s, db_->dir + ": reading aux " + name);
  return value;
}

Result<std::unique_ptr<StoreSnapshot>> RocksDbStore::OpenSnapshot() const {
  const rocksdb::Snapshot* snapshot = db_->db->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  Metadata metadata;
  if (Status s = db_->ReadMetadata(ro, &metadata); !s.ok()) {
    db_->db->ReleaseSnapshot(snapshot);
    return s;
  }
  return std::unique_ptr<StoreSnapshot>(
      new RocksDbSnapshot(db_, snapshot, std::move(metadata)));
}

Result<StoreCounts> RocksDbStore::Counts() const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a full pass would evict the working set
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->records));
  StoreCounts counts;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++counts.records;
    counts.tombstones += StoredRecordIsTombstone(it->value().ToStringView());
  }
  if (!it->status().ok()) return FromRocks(it->status(), db_->dir + ": counts");
  return counts;
}

Status OpenError(const std::string& dir, const rocksdb::Status& s) {
  const std::string text = s.ToString();
  if (text.find("lock hold by current process") != std::string::npos ||
      text.find("While lock file") != std::string::npos) {
    return Status::IoError("rocksdb store " + dir +
                           " is locked: open in another process or store (" + text + ")");
  }
  if (s.IsCorruption()) return FromRocks(s, "damaged rocksdb store " + dir);
  return FromRocks(s, "cannot open rocksdb store " + dir);
}

bool LooksLikeRocksDbFile(const std::string& name) {
  return name.starts_with("MANIFEST-") || name.starts_with("OPTIONS-") ||
         name.ends_with(".sst") || name.ends_with(".log") || name == "IDENTITY";
}

// Without CURRENT, RocksDB would create a new database and then delete the
// old files as obsolete: refuse when there are any.
Status CheckNoOrphanFiles(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (LooksLikeRocksDbFile(name)) {
      return Status::Corruption(dir + "/CURRENT is missing but " + dir + "/" + name +
                                " exists: refusing to create a new store over it");
    }
  }
  return Status::Ok();  // no directory yet is fine: it gets created
}

Status CheckColumnFamilies(const std::string& dir) {
  std::vector<std::string> names;
  rocksdb::Status s =
      rocksdb::DB::ListColumnFamilies(RocksDbTunedDbOptions(), dir, &names);
  if (!s.ok()) return OpenError(dir, s);
  const std::set<std::string> got(names.begin(), names.end());
  const std::set<std::string> want = {rocksdb::kDefaultColumnFamilyName, kRecordsCf,
                                      kByOriginCf, kMetaCf};
  if (got != want) {
    return Status::Invalid(dir +
                           " is a RocksDB database but not a datasync store "
                           "(unexpected column families)");
  }
  return Status::Ok();
}

bool FamilyIsEmpty(const RocksDb& db, rocksdb::ColumnFamilyHandle* cf) {
  std::unique_ptr<rocksdb::Iterator> it(db.db->NewIterator(rocksdb::ReadOptions(), cf));
  it->SeekToFirst();
  return !it->Valid() && it->status().ok();
}

// The format marker says who made the store. A store without one is adopted
// only when empty: creation was interrupted before the marker was written.
Status CheckFormat(const RocksDb& db) {
  std::string value;
  rocksdb::Status s = db.db->Get(rocksdb::ReadOptions(), db.meta, kFormatKey, &value);
  if (s.ok()) {
    if (value == kFormatValue) return Status::Ok();
    return Status::Invalid(db.dir + " has unknown store format '" + value + "'");
  }
  if (!s.IsNotFound()) return FromRocks(s, db.dir + ": reading the format marker");
  if (!FamilyIsEmpty(db, db.meta) || !FamilyIsEmpty(db, db.records)) {
    return Status::Invalid(db.dir + " is not a datasync store (no format marker)");
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db.db->Put(wo, db.meta, kFormatKey, kFormatValue);
  if (!s.ok()) return FromRocks(s, db.dir + ": writing the format marker");
  return Status::Ok();
}

std::vector<rocksdb::ColumnFamilyDescriptor> Families() {
  return {{rocksdb::kDefaultColumnFamilyName, RocksDbTunedCfOptions(4 << 20, false)},
          {kRecordsCf, RocksDbTunedCfOptions(64 << 20, true)},
          {kByOriginCf, RocksDbIndexCfOptions()},
          {kMetaCf, RocksDbTunedCfOptions(4 << 20, true)}};
}

// The checking open writes nothing, not even its LOG.
class NoLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

// Checks an existing store without writing to it: a read-only open reads
// the MANIFEST and opens every table file, and VerifyChecksum reads each
// whole. A read-write open would first write a new MANIFEST and OPTIONS
// file and retire the old ones: a damaged store would not be left as it
// was found.
Status VerifyWithoutWriting(const std::string& dir) {
  // A store that another process has open is reported as locked, rather
  // than as damaged by whatever that process is writing meanwhile.
  rocksdb::Env* env = rocksdb::Env::Default();
  rocksdb::FileLock* lock = nullptr;
  rocksdb::Status s = env->LockFile(dir + "/LOCK", &lock);
  if (!s.ok()) return OpenError(dir, s);
  if (s = env->UnlockFile(lock); !s.ok()) return OpenError(dir, s);
  rocksdb::DBOptions options = RocksDbTunedDbOptions();
  options.info_log = std::make_shared<NoLogger>();
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, dir, Families(), &handles, &db);
  if (!s.ok()) return OpenError(dir, s);
  s = db->VerifyChecksum();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  delete db;
  if (!s.ok()) return OpenError(dir, s);
  return Status::Ok();
}

// RocksDB's own warnings go to the process's stderr (the node's log), not to
// a LOG file in the store's directory: on a full disk that file fails too,
// and the next warning written to it aborts the process (Debian's library
// keeps RocksDB's assertions, and one asserts that a failed writer is not
// written again).
class StderrLogger : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(RocksDbTunedDbOptions().info_log_level) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    const int n = std::vsnprintf(line, sizeof(line), format, ap);
    if (n < 0) return;
    std::fprintf(stderr, "rocksdb: %s\n", line);  // one call: lines stay whole
  }
};

Result<std::shared_ptr<RocksDb>> OpenDb(const std::string& dir, bool exists) {
  rocksdb::DBOptions db_options = RocksDbTunedDbOptions();
  db_options.info_log = std::make_shared<StderrLogger>();
  db_options.create_if_missing = !exists;
  db_options.create_missing_column_families = !exists;
  // The recovered WAL stays as it is until the first flush.
  db_options.avoid_flush_during_recovery = true;
  auto db = std::make_shared<RocksDb>();
  db->dir = dir;
  rocksdb::Status s =
      rocksdb::DB::Open(db_options, dir, Families(), &db->handles, &db->db);
  if (!s.ok()) return OpenError(dir, s);
  db->records = db->handles[1];
  db->by_origin = db->handles[2];
  db->meta = db->handles[3];
  return db;
}

Result<std::unique_ptr<Store>> OpenChecked(const std::string& dir,
                                           const DurableStoreOptions& options) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(dir + "/CURRENT", ec);
  if (!exists) {
    if (options.must_exist) {
      return Status::NotFound("no rocksdb store at " + dir + " (" + dir +
                              "/CURRENT missing)");
    }
    if (Status s = CheckNoOrphanFiles(dir); !s.ok()) return s;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return Status::IoError("cannot create rocksdb store " + dir + ": " + ec.message());
    }
  } else {
    if (Status s = CheckColumnFamilies(dir); !s.ok()) return s;
    // Every table file is read whole now: a damaged block is refused at
    // start rather than met by a read in the middle of serving.
    if (Status s = VerifyWithoutWriting(dir); !s.ok()) return s;
  }
  auto db = OpenDb(dir, exists);
  if (!db.ok()) return db.status();
  if (Status s = CheckFormat(**db); !s.ok()) return s;
  return std::unique_ptr<Store>(new RocksDbStore(std::move(*db), options));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksDbStore(const std::string& dir,
                                                const DurableStoreOptions& options) {
  try {
    return OpenChecked(dir, options);
  } catch (const std::exception& e) {
    return Status::IoError("cannot open rocksdb store " + dir + ": " + e.what());
  }
}

}  // namespace datasync
