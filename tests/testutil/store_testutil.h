// Helpers for tests that run against every Store implementation: how to
// open (and reopen) each kind in a directory, records made in one line, and
// whole-store reads collected into vectors.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "datasync/store.h"

namespace datasync::testutil {

struct StoreKind {
  std::string name;  // "memory", "rocksdb", "sqlite": also the test name suffix
  bool durable = false;
  // Opens the store kept in `dir` (an existing directory); opening again
  // after the previous store is gone reopens it (durable kinds only).
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
};

// Test names and failure messages show the kind's name.
inline void PrintTo(const StoreKind& kind, std::ostream* os) { *os << kind.name; }

std::vector<StoreKind> AllStoreKinds();
std::vector<StoreKind> DurableStoreKinds();

Record MakeRecord(const std::string& collection, const std::string& key,
                  const std::string& value, HlcTimestamp hlc, const std::string& origin,
                  uint64_t seq, bool deleted = false);

// Every record, in ScanAll order; a failing scan fails the current test.
std::vector<Record> ScanAllRecords(const Store& store);
std::vector<Record> ScanRecords(const Store& store, const std::string& collection,
                                const std::string& prefix);

struct ReadSinceResult {
  std::vector<Record> records;
  size_t pages = 0;
};
// Pages through snapshot->ReadSince from an empty cursor until done.
ReadSinceResult ReadAllSince(StoreSnapshot* snapshot, const VersionVector& since,
                             size_t max_records = 1024, size_t max_bytes = 1 << 20);

}  // namespace datasync::testutil
