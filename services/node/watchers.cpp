#include "watchers.h"

#include "datasync/codec.h"
#include "transport/zmq_util.h"

namespace datasync {

bool Watchers::Watch(const std::vector<std::string>& envelope, uint64_t request_id,
                     const std::string& collection, uint64_t now_ms) {
  Key key{envelope, collection};
  auto it = watchers_.find(key);
  if (it == watchers_.end()) {
    if (watchers_.size() >= max_watchers_) return false;
    it = watchers_.emplace(std::move(key), Watcher{}).first;
  }
  it->second = Watcher{request_id, now_ms};
  return true;
}

void Watchers::Expire(uint64_t now_ms) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if (now_ms > it->second.renewed_ms + kWatchSilenceMs) {
      ++dropped_watchers_;
      it = watchers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Watchers::Stream(zmq::socket_ref api, const std::vector<const Record*>& records) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    const std::string& filter = it->first.second;
    std::vector<const Record*> chunk;
    size_t bytes = 0;
    bool alive = true;
    for (const Record* r : records) {
      if (!filter.empty() && r->collection != filter) continue;
      const size_t size = r->collection.size() + r->key.size() + r->value.size() + 64;
      if (chunk.size() >= kMaxReplyRecords ||
          (!chunk.empty() && bytes + size > max_reply_bytes_)) {
        alive = SendTo(api, it->first, it->second, chunk, bytes);
        chunk.clear();
        bytes = 0;
        if (!alive) break;
      }
      chunk.push_back(r);
      bytes += size;
    }
    if (alive && !chunk.empty())
      alive = SendTo(api, it->first, it->second, chunk, bytes);
    if (alive) {
      ++it;
    } else {
      ++dropped_watchers_;
      it = watchers_.erase(it);
    }
  }
}

bool Watchers::SendTo(zmq::socket_ref api, const Key& key, Watcher& watcher,
                      const std::vector<const Record*>& records, size_t bytes) {
  if (watcher.bytes_since_renewal + bytes > max_bytes_per_renewal_) {
    ++dropped_replies_;
    return true;
  }
  ClientReply reply;
  reply.request_id = watcher.request_id;
  encoded_.clear();
  EncodeReplyTo(reply, records, &encoded_);
  switch (transport::SendFrames(api, key.first, encoded_)) {
    case transport::SendResult::kSent:
      watcher.bytes_since_renewal += bytes;
      return true;
    case transport::SendResult::kWouldBlock:
      // A slow watcher loses changes rather than holding up replication.
      ++dropped_replies_;
      return true;
    case transport::SendResult::kUnreachable:
    case transport::SendResult::kFailed:
      return false;
  }
  return false;
}

}  // namespace datasync
