// Library settings of the durable stores, in one place so that bench/ can
// run its "raw" baselines (plain writes through the same library) with
// exactly the settings the stores use: the ratio store/raw then measures the
// stores' own work, not a difference in tuning.
#pragma once

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

namespace datasync {

inline rocksdb::DBOptions RocksDbTunedDbOptions() {
  rocksdb::DBOptions o;
  o.paranoid_checks = true;
  // Opens every table file at Open, so a damaged one is refused there.
  o.max_open_files = -1;
  o.max_background_jobs = 2;   // the machines have 2 cores
  o.bytes_per_sync = 1 << 20;  // smooth write-back instead of bursts
  o.keep_log_file_num = 4;
  o.max_log_file_size = 8 << 20;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // One writer (the event loop): concurrent memtable inserts buy nothing,
  // and the index family's vector memtable does not support them.
  o.allow_concurrent_memtable_write = false;
  return o;
}

// `point_lookups`: the family is read by key (records), so a bloom filter
// pays; the (origin, seq) index is only sought, so it would not.
inline rocksdb::ColumnFamilyOptions RocksDbTunedCfOptions(size_t write_buffer_bytes,
                                                          bool point_lookups) {
  static const std::shared_ptr<rocksdb::Cache> kBlockCache =
      rocksdb::NewLRUCache(64 << 20);
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = write_buffer_bytes;
  o.max_write_buffer_number = 4;
  o.level_compaction_dynamic_level_bytes = true;
  o.target_file_size_base = 64 << 20;
  o.max_bytes_for_level_base = 256 << 20;
  // Values are small and often already compact (msgpack); LZ4 only where
  // data settles, none on the hot upper levels.
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = kBlockCache;
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

// The (origin, seq) index family. Each commit deletes, at random places,
// the entries of the records it replaces; in a skiplist memtable those
// deletes cost more than the record writes themselves (measured: ~6 us
// against ~4 us per record at 100 k keys). A vector memtable appends them
// instead, and sorts once at flush. Its price is paid by readers: an
// iterator over the live memtable sorts a copy of it, so the memtable is
// kept small, and ReadSince makes one iterator per snapshot.
inline rocksdb::ColumnFamilyOptions RocksDbIndexCfOptions() {
  rocksdb::ColumnFamilyOptions o = RocksDbTunedCfOptions(4 << 20, false);
  o.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  return o;
}

// SQLite connection settings applied by the store and by the raw baseline.
// synchronous is set separately (NORMAL, or FULL with options.sync).
constexpr const char* kSqliteTuningPragmas =
    "PRAGMA cache_size=-65536;"  // 64 MiB of pages per connection
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA wal_autocheckpoint=4096;"  // 16 MiB of WAL between checkpoints
    "PRAGMA busy_timeout=5000;";

}  // namespace datasync
