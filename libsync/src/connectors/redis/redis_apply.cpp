// The apply half of RedisBackend: a batch in one MULTI/EXEC, guarded by
// WATCH on its keys (redis_backend.h has the design).
#include "connectors/redis/redis_backend.h"

namespace datasync::redis_connector {
namespace {

// EXECs aborted by concurrent writers before the batch waits (kBusy).
// Each attempt leaves alone the keys found changed, so a second is rare.
constexpr int kMaxAttempts = 5;

std::string EncodeVersion(const Version& v) { return std::to_string(v.hlc) + "/" + v.origin; }

bool DecodeVersion(const std::string& text, Version* v) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  v->hlc = std::strtoull(text.c_str(), nullptr, 10);
  v->origin = text.substr(slash + 1);
  return true;
}

}  // namespace

Status RedisBackend::Apply(const ConnectorApply& batch, const std::string& captured_after,
                           ApplyResult* result) {
  Status s = Load(captured_after);
  for (int attempt = 1; s.ok(); ++attempt) {
    // What the application changed up to now must be known as dirty first.
    if (config_.captures()) s = ProcessEvents();
    if (!s.ok()) return s;
    ApplyResult tried;
    bool retry = false;
    s = ApplyOnce(batch, &tried, &retry);
    if (s.ok() && !retry) {
      result->applied += tried.applied;
      result->skipped += tried.skipped;
      for (ConnectorFailure& f : tried.failures) result->failures.push_back(std::move(f));
      return s;
    }
    if (s.ok() && attempt >= kMaxAttempts) {
      s = Status::Busy("redis " + config_.target + ": keys of the batch keep changing under it");
    }
  }
  return s;
}

Status RedisBackend::ApplyOnce(const ConnectorApply& batch, ApplyResult* result, bool* retry) {
  struct Planned {
    const Record* record;
    const ConnectorMapping* mapping;
    std::string key;
    Fields fields;
  };
  std::vector<Planned> plan;
  for (const Record& r : batch.records) {
    const ConnectorMapping* m = MappingOfCollection(config_, r.collection);
    if (m == nullptr) {
      result->failures.push_back({r.collection, r.key, "collection " + r.collection +
                                                           " is not mapped to a prefix"});
      continue;
    }
    Planned p{&r, m, m->table + r.key, {}};
    if (MappingOfKey(config_, p.key) != m) {
      result->failures.push_back({r.collection, r.key, "redis key " + p.key +
                                                           " is the connector's own"});
      continue;
    }
    if (in_flight_.count(p.key)) {
      ++result->skipped;  // a capture of this key is being committed: it wins
      continue;
    }
    std::string error;
    if (!r.deleted && m->redis_type == RedisType::kHash &&
        !DecodeHash(r.value, &p.fields, &error)) {
      result->failures.push_back({r.collection, r.key, "redis key " + p.key + ": " + error});
      continue;
    }
    plan.push_back(std::move(p));
  }
  std::vector<Command> reads;
  if (!plan.empty()) {
    Command watch = {"WATCH"};
    Command versions = {"HMGET", Own("ver")};
    for (const Planned& p : plan) {
      watch.push_back(p.key);
      versions.push_back(p.key);
    }
    reads = {watch, versions};
    for (const Planned& p : plan) reads.push_back(ReadCommand(*p.mapping, p.key));
  }
  std::vector<Reply> replies;
  Status s = cmd_.Run(reads, &replies);
  if (!s.ok()) return s;
  if (!plan.empty() && (IsError(replies[0].get()) || replies[1]->type != REDIS_REPLY_ARRAY ||
                        replies[1]->elements != plan.size())) {
    return Status::IoError("redis " + config_.target + ": reading " + Own("ver") + ": " +
                           Text(replies[IsError(replies[0].get()) ? 0 : 1].get()));
  }
  std::vector<Command> writes = {{"MULTI"}};
  Command ver = {"HSET", Own("ver")};
  Command seen_set = {"HSET", Own("seen")};
  Command seen_del = {"HDEL", Own("seen")};
  std::vector<std::pair<std::string, std::string>> new_seen;
  for (size_t i = 0; i < plan.size(); ++i) {
    const Planned& p = plan[i];
    const Record& r = *p.record;
    Version have;
    const std::string have_text = Text(replies[1]->element[i]);
    if (DecodeVersion(have_text, &have) && !Supersedes(r.version, have)) {
      ++result->skipped;  // this version, or a newer one, is already here
      continue;
    }
    const Content now = ContentOf(*p.mapping, replies[2 + i].get());
    if (!now.error.empty()) {
      result->failures.push_back({r.collection, r.key, "redis key " + p.key + " " + now.error});
      continue;
    }
    if (config_.captures() && now.hash != SeenOf(p.key)) {
      // Changed by the application and not captured yet: that change will
      // be a newer write than this record, so it wins.
      dirty_.insert(p.key);
      ++result->skipped;
      continue;
    }
    std::string hash;
    if (!r.deleted && p.mapping->redis_type == RedisType::kString) {
      hash = StringHash(r.value);
    } else if (!r.deleted && !p.fields.empty()) {
      hash = HashHash(p.fields);  // an empty hash does not exist in Redis
    }
    if (hash != now.hash) {
      if (hash.empty() || p.mapping->redis_type == RedisType::kHash) {
        if (!now.hash.empty()) writes.push_back({"DEL", p.key});
      }
      if (!hash.empty() && p.mapping->redis_type == RedisType::kString) {
        writes.push_back({"SET", p.key, r.value});
      } else if (!hash.empty()) {
        Command hset = {"HSET", p.key};
        for (const auto& [field, value] : p.fields) {
          hset.push_back(field);
          hset.push_back(value);
        }
        writes.push_back(std::move(hset));
      }
    }
    ver.push_back(p.key);
    ver.push_back(EncodeVersion(r.version));
    if (hash.empty()) {
      seen_del.push_back(p.key);
    } else {
      seen_set.push_back(p.key);
      seen_set.push_back(hash);
    }
    new_seen.emplace_back(p.key, std::move(hash));
    ++result->applied;
  }
  if (ver.size() > 2) writes.push_back(std::move(ver));
  if (seen_set.size() > 2) writes.push_back(std::move(seen_set));
  if (seen_del.size() > 2) writes.push_back(std::move(seen_del));
  if (batch.has_vv) writes.push_back({"SET", Own("vv"), batch.vv.ToText()});
  if (writes.size() == 1) {
    if (!plan.empty()) return cmd_.RunOne({"UNWATCH"}, "UNWATCH", &replies.emplace_back());
    return Status::Ok();
  }
  writes.push_back({"EXEC"});
  s = cmd_.Run(writes, &replies);
  if (!s.ok()) return s;
  const redisReply* exec = replies.back().get();
  if (exec->type == REDIS_REPLY_NIL) {
    *retry = true;  // a watched key was written meanwhile
    return Status::Ok();
  }
  if (exec->type != REDIS_REPLY_ARRAY) {
    return Status::IoError("redis " + config_.target + ": applying a batch: " + Text(exec));
  }
  for (size_t i = 0; i < exec->elements; ++i) {
    if (IsError(exec->element[i])) {
      return Status::IoError("redis " + config_.target + ": applying a batch: " +
                             Text(exec->element[i]));
    }
  }
  for (auto& [key, hash] : new_seen) {
    if (hash.empty()) {
      seen_.erase(key);
    } else {
      seen_[key] = std::move(hash);
    }
  }
  return Status::Ok();
}

}  // namespace datasync::redis_connector
