#include "datasync/record.h"

namespace datasync {

bool IsValidNodeId(const std::string& id) {
  if (id.empty() || id.size() > kMaxNodeIdBytes) return false;
  for (unsigned char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidCollection(const std::string& collection) {
  return !collection.empty() && collection.size() <= kMaxCollectionBytes &&
         collection.find('\0') == std::string::npos;
}

std::string RecordKey(const std::string& collection, const std::string& key) {
  std::string out;
  out.reserve(1 + collection.size() + key.size());
  out.push_back(static_cast<char>(static_cast<unsigned char>(collection.size())));
  out += collection;
  out += key;
  return out;
}

bool SplitRecordKey(const std::string& record_key, std::string* collection,
                    std::string* key) {
  if (record_key.empty()) return false;
  const size_t n = static_cast<unsigned char>(record_key[0]);
  if (n == 0 || record_key.size() < 1 + n) return false;
  collection->assign(record_key, 1, n);
  key->assign(record_key, 1 + n, std::string::npos);
  return true;
}

}  // namespace datasync
