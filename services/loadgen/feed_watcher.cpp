#include "feed_watcher.h"

#include <charconv>
#include <utility>

#include "datasync/client.h"
#include "load_clock.h"

namespace datasync {

bool ParseLoadKey(const std::string& key, uint64_t* index) {
  if (key.size() < 2 || key[0] != 'k') return false;
  const char* end = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(key.data() + 1, end, *index);
  return ec == std::errc() && ptr == end;
}

FeedWatcher::FeedWatcher(size_t node, std::string endpoint, std::string collection,
                         ReplicationTracker* tracker, int timeout_ms)
    : node_(node),
      endpoint_(std::move(endpoint)),
      collection_(std::move(collection)),
      tracker_(tracker),
      timeout_ms_(timeout_ms) {}

FeedWatcher::~FeedWatcher() { Stop(); }

void FeedWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void FeedWatcher::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::string FeedWatcher::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void FeedWatcher::Run() {
  // The feed carries every change of the collection, values included: at
  // full load that is the whole write stream, so give it deep queues.
  ClientOptions options;
  options.rcvhwm = 1 << 20;
  Result<NodeClient> client = NodeClient::Connect(ProcessContext(), endpoint_, options);
  Status status = client.ok() ? client->Watch(
                                    collection_, [this](const Record& r) { OnRecord(r); },
                                    stop_, timeout_ms_)
                              : client.status();
  if (!status.ok()) {
    std::lock_guard lock(mu_);
    error_ = status.ToString();
    failed_.store(true);
  }
}

void FeedWatcher::OnRecord(const Record& record) {
  changes_.fetch_add(1, std::memory_order_relaxed);
  uint64_t index = 0;
  if (ParseLoadKey(record.key, &index)) {
    if (tracker_ != nullptr) tracker_->Seen(node_, index, record.version, NowUs());
  } else if (record.key == kProbeKey) {
    ready_.store(true);
  }
}

}  // namespace datasync
