// IndexCleaner: deletes SqliteStore's superseded index entries in bulk.
//
// A commit appends its new (origin, seq) entries to by_origin, and one row
// listing the entries it superseded to `superseded`: sequential writes
// only. Deleting superseded entries at commit time instead costs a random
// page write per record, which halved commit throughput over 100 k keys and
// more (bench/store_bench). Private to sqlite_store.cpp; header-only
// because the store target lists its sources one by one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite_util.h"
#include "store/store_codec.h"

namespace datasync::sqlite {

// Works in generations: once enough entries are superseded, it reads them,
// sorts them, and deletes them a slice per commit, inside the commit's
// transaction, then drops that generation's rows from `superseded`. Its
// memory is only a cache of the table: after a failed commit or a restart
// it starts over, and deleting an entry twice does nothing.
class IndexCleaner {
 public:
  // Enough that a generation's deletes share pages: at 1 M records the index
  // has ~9 k pages, so ~0.15 page writes per entry instead of ~1.
  static constexpr uint64_t kGeneration = 65536;

  Status Prepare(sqlite3* db, const std::string& path);
  // Notes an index entry the current commit superseded.
  void Supersede(const OriginSeq& entry) {
    log_.push_back(static_cast<char>(entry.origin.size()));
    log_.append(entry.origin);
    PutFixed64BE(entry.seq, &log_);
    ++logged_;
  }
  // At the end of each commit's transaction: logs what it superseded and
  // deletes a slice of the current generation.
  Status Step();
  // The transaction failed: what was done in it is gone.
  void Forget() {
    generation_.clear();
    next_ = 0;
    recount_ = true;
    log_.clear();
    logged_ = 0;
  }

 private:
  Status Log();
  Status LoadGeneration();

  sqlite3* db_ = nullptr;
  std::string path_;
  Stmt insert_, count_, max_id_, list_, delete_entry_, drop_generation_;
  std::string log_;  // this commit's superseded entries: [len u8][origin][seq u64]
  uint64_t logged_ = 0;
  std::vector<OriginSeq> generation_;  // sorted
  size_t next_ = 0;
  int64_t generation_max_id_ = 0;
  uint64_t pending_ = 0;  // entries in `superseded` not in the generation
  bool recount_ = true;
};

inline Status IndexCleaner::Prepare(sqlite3* db, const std::string& path) {
  db_ = db;
  path_ = path;
  const std::pair<Stmt*, const char*> statements[] = {
      {&insert_, "INSERT INTO superseded(n, entries) VALUES(?1, ?2)"},
      {&count_, "SELECT coalesce(sum(n), 0) FROM superseded"},
      {&max_id_, "SELECT coalesce(max(id), 0) FROM superseded"},
      {&list_, "SELECT entries FROM superseded WHERE id <= ?1"},
      // Trusts RecordWrite::replaces, as RocksDbStore's blind delete does.
      {&delete_entry_, "DELETE FROM by_origin WHERE origin = ?1 AND seq = ?2"},
      {&drop_generation_, "DELETE FROM superseded WHERE id <= ?1"}};
  for (const auto& [stmt, sql] : statements) {
    if (int rc = stmt->Prepare(db, sql); rc != SQLITE_OK) {
      return FromSqlite(db, rc, path + ": preparing statements");
    }
  }
  return Status::Ok();
}

inline Status IndexCleaner::Log() {
  if (recount_) {
    ResetOnExit reset{count_};
    if (sqlite3_step(count_.get()) != SQLITE_ROW) {
      return FromSqlite(db_, sqlite3_errcode(db_), path_ + ": index cleanup");
    }
    pending_ = count_.Int(0);
    recount_ = false;
  }
  if (logged_ == 0) return Status::Ok();
  insert_.BindInt(1, logged_);
  insert_.BindBlob(2, log_);
  Status s = insert_.Run(db_, path_ + ": commit");
  pending_ += logged_;
  log_.clear();
  logged_ = 0;
  return s;
}

inline Status IndexCleaner::LoadGeneration() {
  {
    ResetOnExit reset{max_id_};
    if (sqlite3_step(max_id_.get()) != SQLITE_ROW) {
      return FromSqlite(db_, sqlite3_errcode(db_), path_ + ": index cleanup");
    }
    generation_max_id_ = static_cast<int64_t>(max_id_.Int(0));
  }
  ResetOnExit reset{list_};
  list_.BindInt(1, static_cast<uint64_t>(generation_max_id_));
  int rc;
  while ((rc = sqlite3_step(list_.get())) == SQLITE_ROW) {
    std::string_view entries = list_.Blob(0);
    while (!entries.empty()) {
      const size_t len = static_cast<uint8_t>(entries[0]);
      if (entries.size() < 1 + len + 8) {
        return Status::Corruption(path_ + ": undecodable superseded entries");
      }
      generation_.push_back(
          {std::string(entries.substr(1, len)), GetFixed64BE(entries.data() + 1 + len)});
      entries.remove_prefix(1 + len + 8);
    }
  }
  if (rc != SQLITE_DONE) return FromSqlite(db_, rc, path_ + ": index cleanup");
  // In key order, neighbouring deletes share pages.
  std::sort(generation_.begin(), generation_.end());
  pending_ = 0;
  next_ = 0;
  return Status::Ok();
}

inline Status IndexCleaner::Step() {
  const uint64_t superseded = logged_;
  if (Status s = Log(); !s.ok()) return s;
  if (generation_.empty()) {
    if (pending_ < kGeneration) return Status::Ok();
    if (Status s = LoadGeneration(); !s.ok()) return s;
  }
  // Twice the rate entries are superseded: a generation ends well before
  // the next is due, and no commit pays much more than its own share.
  const size_t end = std::min(generation_.size(), next_ + 2 * superseded + 16);
  for (; next_ < end; ++next_) {
    delete_entry_.BindBlob(1, generation_[next_].origin);
    delete_entry_.BindInt(2, generation_[next_].seq);
    if (Status s = delete_entry_.Run(db_, path_ + ": index cleanup"); !s.ok()) return s;
  }
  if (next_ == generation_.size()) {
    drop_generation_.BindInt(1, static_cast<uint64_t>(generation_max_id_));
    if (Status s = drop_generation_.Run(db_, path_ + ": index cleanup"); !s.ok()) {
      return s;
    }
    generation_.clear();
    next_ = 0;
  }
  return Status::Ok();
}

}  // namespace datasync::sqlite
