#include "datasync/version_vector.h"

namespace datasync {

VersionVector::VersionVector(Map entries) : entries_(std::move(entries)) {
  std::erase_if(entries_, [](const auto& e) { return e.second == 0; });
}

uint64_t VersionVector::Get(const std::string& origin) const {
  auto it = entries_.find(origin);
  return it == entries_.end() ? 0 : it->second;
}

void VersionVector::Set(const std::string& origin, uint64_t seq) {
  if (seq == 0) {
    entries_.erase(origin);
  } else {
    entries_[origin] = seq;
  }
}

void VersionVector::MergeFrom(const VersionVector& other) {
  for (const auto& [origin, seq] : other.entries_) {
    uint64_t& mine = entries_[origin];
    if (seq > mine) mine = seq;
  }
}

bool VersionVector::IsBehind(const VersionVector& other) const {
  for (const auto& [origin, seq] : other.entries_) {
    if (seq > Get(origin)) return true;
  }
  return false;
}

uint64_t VersionVector::LagBehind(const VersionVector& other) const {
  uint64_t lag = 0;
  for (const auto& [origin, seq] : other.entries_) {
    const uint64_t mine = Get(origin);
    if (seq > mine) lag += seq - mine;
  }
  return lag;
}

}  // namespace datasync
