// The redis connector: connecting, notifications, the reconciliation scan,
// the applied vector and uninstalling (redis_backend.h has the design).
#include "connectors/redis/redis_backend.h"

#include <random>

namespace datasync::redis_connector {
namespace {

// Keyspace events capture needs: K keyspace channel; $ strings, h hashes,
// g generic (DEL, RENAME, EXPIRE...), x expired, e evicted; and l s z t
// (lists, sets, sorted sets, streams), so that a key of another type under
// a mapped prefix is reported when written, not only at the next SCAN.
// 'A' stands for all of them but K.
constexpr std::string_view kEvents = "K$hgxelszt";
constexpr size_t kScanCount = 1000;

std::string NewInstance() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(gen()));
  return text;
}

}  // namespace

RedisBackend::RedisBackend(const ConnectorConfig& config) : config_(config) {
  if (!ParseRedisTarget(config_.target, &target_, &target_error_)) {
    target_error_ = "target: " + target_error_;
  }
  channel_prefix_ = "__keyspace@" + std::to_string(target_.db) + "__:";
}

Status RedisBackend::Connect() {
  if (!target_error_.empty()) return Status::Invalid(target_error_);
  if (cmd_.open()) return Status::Ok();
  return cmd_.Connect(target_, "commands");
}

Status RedisBackend::Open() {
  Close();
  Status s = Connect();
  if (s.ok() && config_.captures()) s = EnableNotifications();
  if (s.ok() && config_.captures()) s = Subscribe();
  if (!s.ok()) {
    Close();
    return s;
  }
  // A Redis that lost its data lost this too: a new instance.
  Reply r;
  s = cmd_.RunOne({"SET", Own("instance"), NewInstance(), "NX"}, "SET instance", &r);
  if (s.ok()) s = cmd_.RunOne({"GET", Own("instance")}, "GET instance", &r);
  if (s.ok()) instance_ = Text(r.get());
  // Subscribed first: what changes after the scan passes a key is notified.
  if (s.ok() && config_.captures()) s = Reconcile();
  if (!s.ok()) Close();
  return s;
}

void RedisBackend::Close() {
  cmd_.Close();
  sub_.Close();
  loaded_ = false;
  in_flight_batch_ = 0;
  in_flight_.clear();
  dirty_.clear();
}

Status RedisBackend::EnableNotifications() {
  Reply r;
  Status s = cmd_.RunOne({"CONFIG", "GET", "notify-keyspace-events"},
                         "CONFIG GET notify-keyspace-events", &r);
  if (!s.ok()) return s;
  std::string have;
  if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) have = Text(r->element[1]);
  std::string missing;
  for (char c : kEvents) {
    const bool covered = have.find(c) != std::string::npos ||
                         (c != 'K' && have.find('A') != std::string::npos);
    if (!covered) missing += c;
  }
  if (missing.empty()) return Status::Ok();
  // What it was before us, for Uninstall; NX: not our own value after a
  // Redis restart reset it.
  s = cmd_.RunOne({"SET", Own("config"), have, "NX"}, "SET config", &r);
  if (!s.ok()) return s;
  return cmd_.RunOne({"CONFIG", "SET", "notify-keyspace-events", have + missing},
                     "CONFIG SET notify-keyspace-events", &r);
}

Status RedisBackend::Subscribe() {
  Status s = sub_.Connect(target_, "notifications");
  if (!s.ok()) return s;
  std::vector<Command> commands;
  for (const ConnectorMapping& m : config_.map) {
    commands.push_back({"PSUBSCRIBE", EscapeGlob(channel_prefix_ + m.table) + "*"});
  }
  // Blocking reads of the confirmations: once they are in, every later
  // change is notified.
  std::vector<Reply> replies;
  s = sub_.Run(commands, &replies);
  if (!s.ok()) return s;
  for (const Reply& r : replies) {
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || Text(r->element[0]) != "psubscribe") {
      return Status::IoError("redis " + config_.target + ": PSUBSCRIBE refused: " +
                             Text(r.get()));
    }
  }
  return Status::Ok();
}

Status RedisBackend::Reconcile() {
  for (const ConnectorMapping& m : config_.map) {
    std::string cursor = "0";
    do {
      Reply r;
      Status s = cmd_.RunOne({"SCAN", cursor, "MATCH", EscapeGlob(m.table) + "*", "COUNT",
                              std::to_string(kScanCount)},
                             "SCAN " + m.table + "*", &r);
      if (!s.ok()) return s;
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
          r->element[1]->type != REDIS_REPLY_ARRAY) {
        return Status::IoError("redis " + config_.target + ": unexpected SCAN reply");
      }
      cursor = Text(r->element[0]);
      const redisReply* keys = r->element[1];
      for (size_t i = 0; i < keys->elements; ++i) {
        std::string key = Text(keys->element[i]);
        if (MappingOfKey(config_, key) == &m) dirty_.insert(std::move(key));
      }
    } while (cursor != "0");
  }
  // Known keys too: those deleted while away are found by reading them.
  // (Load adds them, it reads `seen`.)
  return Status::Ok();
}

Result<VersionVector> RedisBackend::AppliedVector() {
  Status s = Connect();
  Reply r;
  if (s.ok()) s = cmd_.RunOne({"GET", Own("vv")}, "GET vv", &r);
  if (!s.ok()) return s;
  VersionVector vv;
  if (r->type == REDIS_REPLY_STRING && !VersionVector::FromText(Text(r.get()), &vv)) {
    return Status::Corruption("redis " + config_.target + ": " + Own("vv") +
                              " is not a version vector");
  }
  return vv;
}

Status RedisBackend::Uninstall() {
  Status s = Connect();
  Reply r;
  if (s.ok()) s = cmd_.RunOne({"GET", Own("config")}, "GET config", &r);
  if (s.ok() && r->type == REDIS_REPLY_STRING) {
    const std::string before = Text(r.get());
    s = cmd_.RunOne({"CONFIG", "SET", "notify-keyspace-events", before},
                    "CONFIG SET notify-keyspace-events", &r);
  }
  if (s.ok()) {
    s = cmd_.RunOne({"DEL", Own("instance"), Own("seen"), Own("pending"), Own("batch"),
                     Own("ver"), Own("vv"), Own("config")},
                    "DEL " + Own("*"), &r);
  }
  Close();
  return s;
}

}  // namespace datasync::redis_connector

namespace datasync {

std::unique_ptr<ConnectorBackend> MakeRedisBackend(const ConnectorConfig& config) {
  return std::make_unique<redis_connector::RedisBackend>(config);
}

}  // namespace datasync