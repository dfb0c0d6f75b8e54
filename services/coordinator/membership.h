// MembershipTable: the coordinator's only state, who is in the cluster.
//
// Pure bookkeeping, no sockets and no clock of its own: callers pass the
// time. The epoch advances exactly when the set of members or what they
// advertise changes, so nodes can tell a newer table from a stale one.
// One thread (the coordinator loop).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "datasync/messages.h"

namespace datasync {

class MembershipTable {
 public:
  // first_epoch: the coordinator starts its epochs at the wall-clock
  // milliseconds of its start, so that a restarted coordinator's epochs are
  // higher than any its predecessor issued and nodes accept its tables.
  explicit MembershipTable(uint64_t first_epoch) : epoch_(first_epoch) {}

  // Adds `member` or updates its endpoints, and marks it alive at now_ms.
  // Returns true when the table changed (the epoch advanced).
  bool Join(const MemberInfo& member, uint64_t now_ms);
  // Marks a member alive; false when `id` is not a member.
  bool Touch(const std::string& id, uint64_t now_ms);
  // Removes a member; false when it was not one.
  bool Remove(const std::string& id);
  // Removes every member last seen more than timeout_ms before now_ms and
  // returns their ids (the epoch advances once when any were removed).
  std::vector<std::string> Expire(uint64_t now_ms, uint64_t timeout_ms);

  bool Contains(const std::string& id) const { return members_.count(id) > 0; }
  bool empty() const { return members_.empty(); }
  uint64_t epoch() const { return epoch_; }
  // The members, ordered by id.
  std::vector<MemberInfo> Members() const;
  std::vector<std::string> Ids() const;

 private:
  struct Entry {
    MemberInfo info;
    uint64_t last_seen_ms = 0;
  };
  std::map<std::string, Entry> members_;
  uint64_t epoch_;
};

}  // namespace datasync
