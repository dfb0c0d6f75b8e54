// Digest of a replica's state: keys, versions, values and tombstones.
//
// Two stores have equal digests exactly when they hold the same records
// (up to a 128-bit hash collision). Order-sensitive over RecordKey order,
// which every Store's ScanAll follows.
#pragma once

#include <string>

#include "datasync/status.h"
#include "datasync/store.h"

namespace datasync {

class DigestBuilder {
 public:
  void Add(const Record& record);
  std::string Hex() const;  // 32 lowercase hex digits

 private:
  unsigned __int128 h_ = (static_cast<unsigned __int128>(0x6c62272e07bb0142ULL) << 64) |
                         0x62b821756295c58dULL;  // FNV-1a 128 offset basis
  void Mix(const void* data, size_t n);
  void MixU64(uint64_t v);
};

// Digest of every record in `store`, or of one collection when not empty.
Result<std::string> StoreDigest(const Store& store, const std::string& collection = "");

}  // namespace datasync
