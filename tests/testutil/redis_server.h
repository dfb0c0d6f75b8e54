// A real redis-server for connector tests: on a free loopback port, no
// persistence unless asked (a kill -9 loses the data, like a cache), its
// files in a folder of the test. Started, stopped, killed and restarted on
// the same port; plus a hiredis client for the test's own commands.
#pragma once

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testutil/process.h"

namespace datasync::testutil {

// The path of redis-server on PATH; "" when it is not installed (tests
// then skip, saying so).
std::string RedisServerBinary();

struct RedisReplyFree {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

class RedisServer {
 public:
  // Files under `dir` (made if missing); the port is picked now and kept.
  explicit RedisServer(std::string dir);
  ~RedisServer();

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  // Starts it (loading dump.rdb when there is one) and waits until it
  // answers PING.
  ::testing::AssertionResult Start();
  // SIGKILL, reaped: the data is lost (nothing is saved).
  ::testing::AssertionResult Kill();
  // SHUTDOWN SAVE (kept for the next Start) or NOSAVE, waited for.
  ::testing::AssertionResult Stop(bool save);

  // One command on the test's connection (reconnected as needed). nullptr
  // when the server cannot be reached.
  RedisReply Run(const std::vector<std::string>& args);
  // Conveniences over Run: nullopt when absent (or on error).
  std::optional<std::string> Get(const std::string& key);
  std::map<std::string, std::string> HGetAll(const std::string& key);
  // Keys matching `pattern` (SCAN), sorted.
  std::vector<std::string> Keys(const std::string& pattern);

 private:
  std::string dir_;
  int port_ = 0;
  std::optional<Process> process_;
  redisContext* ctx_ = nullptr;
};

}  // namespace datasync::testutil
