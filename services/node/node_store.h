// Opens the store a node config names (ARCHITECTURE §6: store.type).
#pragma once

#include <memory>

#include "datasync/config.h"
#include "datasync/status.h"
#include "datasync/store.h"

namespace datasync {

// rocksdb: <data_dir>/rocksdb; sqlite: <data_dir>/datasync.sqlite; memory:
// nothing on disk. Creates data_dir when missing. Errors name the path.
Result<std::unique_ptr<Store>> OpenNodeStore(const NodeConfig& config);

}  // namespace datasync
