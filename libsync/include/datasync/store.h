// Store: where a node's replica lives durably (ARCHITECTURE §3, §5).
//
// A Store holds records keyed by (collection, key), an index of the current
// records by (origin, seq) for catch-up, the replica's metadata (own seq, HLC
// high-water mark, version vector) and small named values committed with the
// records (connector resume positions). One WriteBatch commits atomically:
// after a crash either all of it is there or none of it.
//
// Implementations: MemoryStore (core, no I/O), RocksDbStore, SqliteStore.
// A Store is used by one thread (the node's event loop); a StoreSnapshot may
// outlive later commits and keeps reading the state it was opened on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "datasync/record.h"
#include "datasync/status.h"
#include "datasync/version_vector.h"

namespace datasync {

struct Metadata {
  uint64_t own_seq = 0;   // last seq assigned to a local write
  HlcTimestamp hlc = 0;   // clock high-water mark: never go below after restart
  VersionVector vv;
  bool operator==(const Metadata&) const = default;
};

struct RecordWrite {
  Record record;
  // The index entry of the record this one overwrites (same collection and
  // key), to be removed. Known by the caller, so stores write blind.
  std::optional<OriginSeq> replaces;
};

struct WriteBatch {
  std::vector<RecordWrite> writes;  // applied in order; later wins per key
  std::optional<Metadata> metadata; // replaces the stored metadata when set
  std::vector<std::pair<std::string, std::string>> aux;  // name -> value

  bool empty() const { return writes.empty() && !metadata && aux.empty(); }
};

class StoreSnapshot {
 public:
  virtual ~StoreSnapshot() = default;
  // The metadata consistent with this snapshot's records.
  virtual const Metadata& metadata() const = 0;
  // Appends to *out the current records whose seq is greater than
  // since.Get(their origin), in (origin, seq) order, starting after *cursor
  // (an empty cursor origin means from the start), and moves *cursor to the
  // last record appended. Stops after max_records records or once max_bytes
  // of keys and values are appended (at least one record per call). Sets
  // *done when nothing is left. Uses the (origin, seq) index, never a scan.
  virtual Status ReadSince(const VersionVector& since, OriginSeq* cursor,
                           size_t max_records, size_t max_bytes,
                           std::vector<Record>* out, bool* done) = 0;
};

struct StoreCounts {
  uint64_t records = 0;     // live and tombstones
  uint64_t tombstones = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Commits the batch atomically. On error nothing of it is visible, and the
  // store stays usable (a full disk may recover).
  virtual Status Commit(const WriteBatch& batch) = 0;

  // The stored metadata; all zero for a new store.
  virtual Result<Metadata> LoadMetadata() const = 0;

  // The record (maybe a tombstone), or NotFound.
  virtual Result<Record> Get(const std::string& collection,
                             const std::string& key) const = 0;

  // Calls fn for each record of `collection` whose key starts with `prefix`,
  // tombstones included, in key order, until fn returns false.
  virtual Status Scan(const std::string& collection, const std::string& prefix,
                      const std::function<bool(const Record&)>& fn) const = 0;

  // Every record of every collection, in RecordKey order.
  virtual Status ScanAll(const std::function<bool(const Record&)>& fn) const = 0;

  // A named value committed through WriteBatch::aux, or NotFound.
  virtual Result<std::string> GetAux(const std::string& name) const = 0;

  // A consistent read-only view for catch-up answers.
  virtual Result<std::unique_ptr<StoreSnapshot>> OpenSnapshot() const = 0;

  // What the store holds; implementations may scan.
  virtual Result<StoreCounts> Counts() const = 0;

  // "memory", "rocksdb" or "sqlite".
  virtual const char* Name() const = 0;
};

}  // namespace datasync
