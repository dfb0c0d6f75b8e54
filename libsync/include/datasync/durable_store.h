// The durable stores: RocksDB (the default) and SQLite in WAL mode.
//
// Both keep the Store contract of store.h. Opening refuses, with a Status
// naming the file, a store that is damaged, locked by another process, not
// writable, or made by something else; it never modifies such a store.
#pragma once

#include <memory>
#include <string>

#include "datasync/status.h"
#include "datasync/store.h"

namespace datasync {

struct DurableStoreOptions {
  // fsync at every commit (survives power loss); off: survives kill -9 only.
  bool sync = false;
  // Refuse to create a new store (open existing only).
  bool must_exist = false;
};

// RocksDB database in directory `dir` (created when missing).
Result<std::unique_ptr<Store>> OpenRocksDbStore(const std::string& dir,
                                                const DurableStoreOptions& options);

// SQLite database file `path` (created when missing), WAL mode.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const DurableStoreOptions& options);

}  // namespace datasync
