// FeedWatcher: follows one node's change feed (NodeClient::Watch) on its
// own thread and reports every change of the load's collection to the
// ReplicationTracker, timestamped on arrival.
//
// The feed is confirmed live by a probe: once the watcher has started, the
// caller writes kProbeKey at that node, and the watcher is ready() when the
// feed shows it. Writes sent before that could be missed by the feed.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "datasync/record.h"
#include "replication_tracker.h"

namespace datasync {

// Written to each node before the load starts; not a "k<index>" key, so
// the tracker never confuses it with the load's writes.
inline constexpr char kProbeKey[] = "_loadgen_probe";

class FeedWatcher {
 public:
  FeedWatcher(size_t node, std::string endpoint, std::string collection,
              ReplicationTracker* tracker, int timeout_ms);
  ~FeedWatcher();  // Stop()s
  FeedWatcher(const FeedWatcher&) = delete;
  FeedWatcher& operator=(const FeedWatcher&) = delete;

  void Start();
  // Ends the watch and joins the thread; at most ~100 ms.
  void Stop();

  bool ready() const { return ready_.load(); }
  // True once Watch() ended with an error (no answer, refused, too many
  // watchers); error() says which.
  bool failed() const { return failed_.load(); }
  std::string error() const;
  uint64_t changes_seen() const { return changes_.load(std::memory_order_relaxed); }

 private:
  void Run();
  void OnRecord(const Record& record);

  const size_t node_;
  const std::string endpoint_;
  const std::string collection_;
  ReplicationTracker* tracker_;
  const int timeout_ms_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> ready_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> changes_{0};
  mutable std::mutex mu_;
  std::string error_;
  std::thread thread_;
};

// The index of a load key "k<digits>"; false for any other key.
bool ParseLoadKey(const std::string& key, uint64_t* index);

}  // namespace datasync
