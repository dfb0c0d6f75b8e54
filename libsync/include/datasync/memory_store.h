// MemoryStore: the Store contract in memory, for tests, the simulator and
// nodes that need no durability. Part of the pure core (no I/O).
#pragma once

#include <memory>

#include "datasync/store.h"

namespace datasync {

std::unique_ptr<Store> NewMemoryStore();

}  // namespace datasync
