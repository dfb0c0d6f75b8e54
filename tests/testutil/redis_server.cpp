#include "testutil/redis_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "testutil/ports.h"

namespace datasync::testutil {

std::string RedisServerBinary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/redis-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

RedisServer::RedisServer(std::string dir) : dir_(std::move(dir)), port_(PickFreePort()) {
  ::mkdir(dir_.c_str(), 0755);
}

RedisServer::~RedisServer() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

::testing::AssertionResult RedisServer::Start() {
  const std::string binary = RedisServerBinary();
  if (binary.empty()) return ::testing::AssertionFailure() << "redis-server is not installed";
  SpawnOptions options{.binary = binary,
                       .args = {"--port", std::to_string(port_), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no",
                                "--dir", dir_, "--daemonize", "no"},
                       .stdout_path = dir_ + "/redis.log",
                       .stderr_path = dir_ + "/redis.err"};
  std::string error;
  process_ = Process::Spawn(options, &error);
  if (!process_) return ::testing::AssertionFailure() << "redis-server: " << error;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    RedisReply pong = Run({"PING"});
    if (pong && pong->type == REDIS_REPLY_STATUS) return ::testing::AssertionSuccess();
    if (!process_->Running()) break;
    // The server needs a moment to listen; there is nothing to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ::testing::AssertionFailure()
         << "redis-server on port " << port_ << " did not answer PING\n"
         << ReadFileOrEmpty(dir_ + "/redis.log") << ReadFileOrEmpty(dir_ + "/redis.err");
}

::testing::AssertionResult RedisServer::Kill() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
  if (!process_) return ::testing::AssertionFailure() << "redis-server is not running";
  process_->Kill(SIGKILL);
  auto status = process_->Wait(std::chrono::seconds(10));
  process_.reset();
  if (!status) return ::testing::AssertionFailure() << "redis-server survived SIGKILL";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult RedisServer::Stop(bool save) {
  if (!process_) return ::testing::AssertionFailure() << "redis-server is not running";
  Run({"SHUTDOWN", save ? "SAVE" : "NOSAVE"});
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
  auto status = process_->Wait(std::chrono::seconds(10));
  process_.reset();
  if (!status || !status->ok()) {
    return ::testing::AssertionFailure() << "redis-server did not shut down cleanly: "
                                         << (status ? status->ToString() : "still running");
  }
  return ::testing::AssertionSuccess();
}

RedisReply RedisServer::Run(const std::vector<std::string>& args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (ctx_ == nullptr) {
      const timeval tv{5, 0};
      ctx_ = redisConnectWithTimeout("127.0.0.1", port_, tv);
      if (ctx_ == nullptr) return nullptr;
      if (ctx_->err != 0) {
        redisFree(ctx_);
        ctx_ = nullptr;
        return nullptr;
      }
      redisSetTimeout(ctx_, tv);
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (r != nullptr) return RedisReply(r);
    // The connection was killed (CLIENT KILL, a restart): once more, anew.
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  return nullptr;
}

std::optional<std::string> RedisServer::Get(const std::string& key) {
  RedisReply r = Run({"GET", key});
  if (!r || r->type != REDIS_REPLY_STRING) return std::nullopt;
  return std::string(r->str, r->len);
}

std::map<std::string, std::string> RedisServer::HGetAll(const std::string& key) {
  std::map<std::string, std::string> out;
  RedisReply r = Run({"HGETALL", key});
  if (!r || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    out[std::string(r->element[i]->str, r->element[i]->len)] =
        std::string(r->element[i + 1]->str, r->element[i + 1]->len);
  }
  return out;
}

std::vector<std::string> RedisServer::Keys(const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    RedisReply r = Run({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) return keys;
    cursor = std::string(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i) {
      keys.emplace_back(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
    }
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace datasync::testutil
