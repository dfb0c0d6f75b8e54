// VersionVector: per origin, how far this replica is known to be complete.
//
// vv[o] = n means every write of origin o with seq <= n is applied here or
// superseded by a higher version here (ARCHITECTURE §3). Plain value type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace datasync {

class VersionVector {
 public:
  using Map = std::map<std::string, uint64_t>;

  VersionVector() = default;
  // Zero entries are dropped: "nothing seen" is the same as absent.
  explicit VersionVector(Map entries);

  uint64_t Get(const std::string& origin) const;
  void Set(const std::string& origin, uint64_t seq);
  // Raises every entry to at least other's (pointwise max).
  void MergeFrom(const VersionVector& other);
  // True when some origin's entry in `other` is greater than ours.
  bool IsBehind(const VersionVector& other) const;
  // Sum over origins of max(0, other[o] - ours[o]): writes we are missing.
  uint64_t LagBehind(const VersionVector& other) const;

  // "a=3,b=7", origins in order; "" when empty. Node ids hold neither ','
  // nor '=', so the text is unambiguous. Connectors keep their vector so,
  // in a column or key of the system they serve.
  std::string ToText() const;
  // Reads what ToText writes, strictly: false on anything else.
  static bool FromText(std::string_view text, VersionVector* out);

  const Map& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool operator==(const VersionVector&) const = default;

 private:
  Map entries_;  // origins with seq 0 are not stored
};

}  // namespace datasync
