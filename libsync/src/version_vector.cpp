#include "datasync/version_vector.h"

#include <algorithm>
#include <charconv>

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

std::string VersionVector::ToText() const {
  std::string out;
  for (const auto& [origin, seq] : entries_) {
    if (!out.empty()) out += ',';
    out += origin;
    out += '=';
    out += std::to_string(seq);
  }
  return out;
}

bool VersionVector::FromText(std::string_view text, VersionVector* out) {
  Map entries;
  while (!text.empty()) {
    const size_t end = std::min(text.find(','), text.size());
    const std::string_view item = text.substr(0, end);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    uint64_t seq = 0;
    const char* first = item.data() + eq + 1;
    const char* last = item.data() + item.size();
    const auto [ptr, ec] = std::from_chars(first, last, seq);
    if (first == last || ec != std::errc() || ptr != last || seq == 0) return false;
    if (!entries.emplace(std::string(item.substr(0, eq)), seq).second) return false;
    // A trailing comma would leave an empty item: refuse it too.
    if (end == text.size()) break;
    text.remove_prefix(end + 1);
    if (text.empty()) return false;
  }
  *out = VersionVector(std::move(entries));
  return true;
}

}  // namespace datasync
