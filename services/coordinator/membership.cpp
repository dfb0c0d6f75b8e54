#include "membership.h"

namespace datasync {

bool MembershipTable::Join(const MemberInfo& member, uint64_t now_ms) {
  auto [it, added] = members_.try_emplace(member.id);
  it->second.last_seen_ms = now_ms;
  // A node that re-sends an unchanged Join (after a restart, or when it
  // suspects we lost it) changes nothing for the others: no new epoch, no
  // broadcast.
  if (!added && it->second.info == member) return false;
  it->second.info = member;
  ++epoch_;
  return true;
}

bool MembershipTable::Touch(const std::string& id, uint64_t now_ms) {
  auto it = members_.find(id);
  if (it == members_.end()) return false;
  it->second.last_seen_ms = now_ms;
  return true;
}

bool MembershipTable::Remove(const std::string& id) {
  if (members_.erase(id) == 0) return false;
  ++epoch_;
  return true;
}

std::vector<std::string> MembershipTable::Expire(uint64_t now_ms, uint64_t timeout_ms) {
  std::vector<std::string> expired;
  for (auto it = members_.begin(); it != members_.end();) {
    if (now_ms > it->second.last_seen_ms + timeout_ms) {
      expired.push_back(it->first);
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
  if (!expired.empty()) ++epoch_;
  return expired;
}

std::vector<MemberInfo> MembershipTable::Members() const {
  std::vector<MemberInfo> members;
  members.reserve(members_.size());
  for (const auto& [id, entry] : members_) members.push_back(entry.info);
  return members;
}

std::vector<std::string> MembershipTable::Ids() const {
  std::vector<std::string> ids;
  ids.reserve(members_.size());
  for (const auto& [id, entry] : members_) ids.push_back(id);
  return ids;
}

}  // namespace datasync
