#include "node_store.h"

#include <filesystem>
#include <system_error>

#include "datasync/durable_store.h"
#include "datasync/memory_store.h"

namespace datasync {

Result<std::unique_ptr<Store>> OpenNodeStore(const NodeConfig& config) {
  if (config.store.type == StoreType::kMemory) return NewMemoryStore();
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return Status::IoError("cannot create data directory " + config.data_dir + ": " +
                           ec.message());
  }
  DurableStoreOptions options;
  options.sync = config.store.sync;
  const bool rocksdb = config.store.type == StoreType::kRocksDb;
  const std::string path = config.data_dir + (rocksdb ? "/rocksdb" : "/datasync.sqlite");
  Result<std::unique_ptr<Store>> store =
      rocksdb ? OpenRocksDbStore(path, options) : OpenSqliteStore(path, options);
  if (!store.ok() && store.status().message().find(path) == std::string::npos) {
    // The stores name the path themselves; make sure the message does.
    const Status& s = store.status();
    return Status(s.code(), std::string(StoreTypeName(config.store.type)) + " store " +
                                path + ": " + s.message());
  }
  return store;
}

}  // namespace datasync
