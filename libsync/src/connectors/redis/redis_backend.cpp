// The redis connector: notifications, capture and its crash-safe
// bookkeeping (redis_backend.h has the design; redis_open.cpp connects,
// redis_apply.cpp applies).
#include "connectors/redis/redis_backend.h"

#include <chrono>

namespace datasync::redis_connector {
namespace {

// Bytes of values in one captured batch, beyond its first change.
constexpr size_t kBatchBytes = 4 << 20;
// Notifications handled per Poll, so a flood cannot hold the loop.
constexpr size_t kEventsPerPoll = 20000;
constexpr uint64_t kCheckEveryMs = 1000;

uint64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

uint64_t BatchOf(const std::string& position, const std::string& instance) {
  const size_t colon = position.rfind(':');
  if (colon == std::string::npos || position.substr(0, colon) != instance) return 0;
  return std::strtoull(position.c_str() + colon + 1, nullptr, 10);
}

}  // namespace

Status RedisBackend::ProcessEvents() {
  if (!sub_.open()) return config_.captures() ? Status::IoError("redis: not subscribed")
                                              : Status::Ok();
  std::vector<Reply> replies;
  Status s = sub_.ReadAvailable(&replies, kEventsPerPoll);
  if (!s.ok()) return s;
  for (const Reply& r : replies) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) continue;
    const std::string channel = Text(r->element[2]);
    if (channel.rfind(channel_prefix_, 0) != 0) continue;
    std::string key = channel.substr(channel_prefix_.size());
    if (MappingOfKey(config_, key) != nullptr) dirty_.insert(std::move(key));
  }
  return Status::Ok();
}

Result<bool> RedisBackend::Poll() {
  Status s = ProcessEvents();
  if (!s.ok()) return s;
  const uint64_t now = NowMs();
  if (now >= next_check_ms_) {
    // FLUSHDB / FLUSHALL notify no key: the instance key gone says the data
    // went (as in a restart without persistence), and a reopen starts anew.
    // This also finds a command connection that died while idle.
    next_check_ms_ = now + kCheckEveryMs;
    Reply r;
    s = cmd_.RunOne({"GET", Own("instance")}, "GET instance", &r);
    if (s.ok() && Text(r.get()) != instance_) {
      s = Status::IoError("redis " + config_.target + ": " + Own("instance") +
                          " changed: the database was flushed or replaced");
    }
    if (!s.ok()) return s;
  }
  return !dirty_.empty();
}

std::string RedisBackend::SeenOf(const std::string& key) const {
  auto it = seen_.find(key);
  return it == seen_.end() ? std::string() : it->second;
}

Status RedisBackend::CommitInFlight() {
  Command seen_set = {"HSET", Own("seen")};
  Command seen_del = {"HDEL", Own("seen")};
  for (const auto& [key, hash] : in_flight_) {
    if (hash.empty()) {
      seen_del.push_back(key);
    } else {
      seen_set.push_back(key);
      seen_set.push_back(hash);
    }
  }
  std::vector<Command> commands = {{"MULTI"}};
  if (seen_set.size() > 2) commands.push_back(seen_set);
  if (seen_del.size() > 2) commands.push_back(seen_del);
  commands.push_back({"DEL", Own("pending")});
  commands.push_back({"EXEC"});
  std::vector<Reply> replies;
  Status s = cmd_.Run(commands, &replies);
  if (!s.ok()) return s;
  if (replies.back()->type != REDIS_REPLY_ARRAY) {
    return Status::IoError("redis " + config_.target + ": merging the committed batch: " +
                           Text(replies.back().get()));
  }
  for (auto& [key, hash] : in_flight_) {
    if (hash.empty()) {
      seen_.erase(key);
    } else {
      seen_[key] = hash;
    }
  }
  in_flight_.clear();
  return Status::Ok();
}

Status RedisBackend::Load(const std::string& position) {
  if (!cmd_.open()) return Status::IoError("redis " + config_.target + ": not connected");
  const uint64_t batch = BatchOf(position, instance_);
  if (loaded_) {
    if (batch == committed_batch_) return Status::Ok();
    if (in_flight_batch_ != 0 && batch == in_flight_batch_) {
      Status s = CommitInFlight();
      if (!s.ok()) return s;
      in_flight_batch_ = 0;
      committed_batch_ = batch;
      return Status::Ok();
    }
  }
  // First use after Open: Redis says what is known.
  std::vector<Reply> replies;
  Status s = cmd_.Run({{"HGETALL", Own("seen")}, {"HGETALL", Own("pending")},
                       {"GET", Own("batch")}},
                      &replies);
  if (!s.ok()) return s;
  for (const Reply& r : replies) {
    if (IsError(r.get())) {
      return Status::IoError("redis " + config_.target + ": reading " + Own("*") + ": " +
                             Text(r.get()));
    }
  }
  seen_.clear();
  for (size_t i = 0; i + 1 < replies[0]->elements; i += 2) {
    seen_[Text(replies[0]->element[i])] = Text(replies[0]->element[i + 1]);
  }
  in_flight_.clear();
  for (size_t i = 0; i + 1 < replies[1]->elements; i += 2) {
    in_flight_[Text(replies[1]->element[i])] = Text(replies[1]->element[i + 1]);
  }
  last_batch_ = std::strtoull(Text(replies[2].get()).c_str(), nullptr, 10);
  committed_batch_ = batch;
  if (!in_flight_.empty() && batch != 0 && batch == last_batch_) {
    s = CommitInFlight();  // the node holds it: the merge was all that was missing
  } else if (!in_flight_.empty()) {
    for (const auto& [key, hash] : in_flight_) dirty_.insert(key);  // captured again
    in_flight_.clear();
    Reply r;
    s = cmd_.RunOne({"DEL", Own("pending")}, "DEL pending", &r);
  }
  if (!s.ok()) return s;
  in_flight_batch_ = 0;
  if (config_.captures()) {
    for (const auto& [key, hash] : seen_) {
      if (MappingOfKey(config_, key) != nullptr) dirty_.insert(key);
    }
  }
  loaded_ = true;
  return Status::Ok();
}

Command RedisBackend::ReadCommand(const ConnectorMapping& m, const std::string& key) {
  if (m.redis_type == RedisType::kHash) return {"HGETALL", key};
  return {"GET", key};
}

RedisBackend::Content RedisBackend::ContentOf(const ConnectorMapping& m,
                                              const redisReply* r) {
  Content c;
  const char* want = m.redis_type == RedisType::kHash ? "a hash" : "a string";
  if (IsError(r)) {
    c.error = std::string("holds another type than ") + want + ", which prefix " + m.table +
              " maps (" + Text(r) + ")";
    return c;
  }
  if (m.redis_type == RedisType::kString) {
    if (r->type == REDIS_REPLY_STRING) {
      c.value = Text(r);
      c.hash = StringHash(c.value);
    }
    return c;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return c;  // absent
  Fields fields;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    fields.emplace_back(Text(r->element[i]), Text(r->element[i + 1]));
  }
  c.value = EncodeHash(fields);
  c.hash = HashHash(std::move(fields));
  return c;
}

Status RedisBackend::ReadChanges(const std::string& after, size_t max, ConnectorCaptured* out,
                                 std::vector<ConnectorFailure>* failures) {
  Status s = Load(after);
  if (s.ok()) s = ProcessEvents();
  if (!s.ok()) return s;
  if (in_flight_batch_ != 0) {
    // The node did not commit it: those keys are read again.
    for (const auto& [key, hash] : in_flight_) dirty_.insert(key);
    in_flight_.clear();
    in_flight_batch_ = 0;
  }
  std::vector<std::string> keys;
  std::vector<Command> reads;
  for (auto it = dirty_.begin(); it != dirty_.end() && keys.size() < max; ++it) {
    const ConnectorMapping* m = MappingOfKey(config_, *it);
    if (m == nullptr) continue;
    keys.push_back(*it);
    reads.push_back(ReadCommand(*m, *it));
  }
  std::vector<Reply> replies;
  s = cmd_.Run(reads, &replies);
  if (!s.ok()) return s;
  size_t bytes = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    const ConnectorMapping& m = *MappingOfKey(config_, key);
    if (!out->changes.empty() && bytes >= kBatchBytes) break;  // stays dirty
    dirty_.erase(key);
    Content c = ContentOf(m, replies[i].get());
    if (!c.error.empty()) {
      failures->push_back({m.collection, key.substr(m.table.size()), "redis key " + key + " " + c.error});
      continue;
    }
    if (c.hash == SeenOf(key)) continue;  // our own write, or no change
    CapturedChange change;
    change.collection = m.collection;
    change.key = key.substr(m.table.size());
    change.deleted = c.hash.empty();
    change.value = std::move(c.value);
    bytes += change.value.size();
    in_flight_[key] = c.hash;
    out->changes.push_back(std::move(change));
  }
  if (out->changes.empty()) return Status::Ok();
  const uint64_t batch = last_batch_ + 1;
  Command pending = {"HSET", Own("pending")};
  for (const auto& [key, hash] : in_flight_) {
    pending.push_back(key);
    pending.push_back(hash);
  }
  // In Redis before the node can commit the batch (see the header).
  std::vector<Command> commands = {{"MULTI"},
                                   {"DEL", Own("pending")},
                                   pending,
                                   {"SET", Own("batch"), std::to_string(batch)},
                                   {"EXEC"}};
  s = cmd_.Run(commands, &replies);
  if (s.ok() && replies.back()->type != REDIS_REPLY_ARRAY) {
    s = Status::IoError("redis " + config_.target + ": writing " + Own("pending") + ": " +
                        Text(replies.back().get()));
  }
  if (!s.ok()) {
    for (const auto& [key, hash] : in_flight_) dirty_.insert(key);
    in_flight_.clear();
    out->changes.clear();
    return s;
  }
  last_batch_ = batch;
  in_flight_batch_ = batch;
  out->position = instance_ + ":" + std::to_string(batch);
  return Status::Ok();
}

Status RedisBackend::Consumed(const std::string& position) { return Load(position); }

Result<uint64_t> RedisBackend::Backlog(const std::string&) { return dirty_.size(); }

}  // namespace datasync::redis_connector
