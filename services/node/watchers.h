// Watchers: the clients following this node's change feed (kWatch).
//
// A watcher is a client routing envelope plus a collection filter (empty:
// every collection). It receives ClientReply{request_id, records} for every
// change applied at this node, local or replicated, after it is committed.
// Clients renew a watch by resending kWatch (each renewal may carry a new
// request_id, which later replies then use); a watch not renewed for
// kWatchSilenceMs is dropped, and so is one whose client is gone. A watcher
// that cannot keep up loses replies (counted) instead of stalling the loop,
// and so does one sent max_bytes_per_renewal since its last renewal: a
// client that stopped reading (and renewing) holds at most that much of the
// node's memory in its queue, whatever the queue's length in messages.
// One thread (the node's loop), which owns the api socket passed in.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "datasync/record.h"

namespace datasync {

constexpr uint64_t kWatchSilenceMs = 15000;
// Far below the decoders' record limit (CodecLimits::max_records).
constexpr size_t kMaxReplyRecords = 1024;

class Watchers {
 public:
  explicit Watchers(size_t max_bytes_per_renewal, size_t max_watchers = 1024,
                    size_t max_reply_bytes = 1 << 20)
      : max_bytes_per_renewal_(max_bytes_per_renewal),
        max_watchers_(max_watchers),
        max_reply_bytes_(max_reply_bytes) {}

  // Registers a watch, or renews it. False when the table is full.
  bool Watch(const std::vector<std::string>& envelope, uint64_t request_id,
             const std::string& collection, uint64_t now_ms);

  // Drops the watchers silent for longer than kWatchSilenceMs.
  void Expire(uint64_t now_ms);

  // Sends each watcher the records that match its filter, in order, in
  // replies of at most max_reply_bytes and kMaxReplyRecords (at least one
  // record each).
  void Stream(zmq::socket_ref api, const std::vector<const Record*>& records);

  size_t size() const { return watchers_.size(); }
  uint64_t dropped_replies() const { return dropped_replies_; }
  uint64_t dropped_watchers() const { return dropped_watchers_; }

 private:
  struct Watcher {
    uint64_t request_id = 0;
    uint64_t renewed_ms = 0;
    size_t bytes_since_renewal = 0;
  };
  // (envelope, collection): one feed per client socket and filter.
  using Key = std::pair<std::vector<std::string>, std::string>;

  // False when the watcher's client is gone.
  bool SendTo(zmq::socket_ref api, const Key& key, Watcher& watcher,
              const std::vector<const Record*>& records, size_t bytes);

  size_t max_bytes_per_renewal_;
  size_t max_watchers_;
  size_t max_reply_bytes_;
  std::map<Key, Watcher> watchers_;
  uint64_t dropped_replies_ = 0;
  uint64_t dropped_watchers_ = 0;
  // Reused by every reply; at most max_reply_bytes_ plus one record.
  std::string encoded_;
};

}  // namespace datasync
