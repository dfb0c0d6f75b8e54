// A hiredis connection for the redis connector: blocking commands with a
// timeout, pipelines, and the non-blocking reads of a subscriber.
// Private to libsync/src/connectors/redis; one thread.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "connectors/redis/redis_target.h"
#include "datasync/status.h"

namespace datasync::redis_connector {

struct ReplyFree {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;
using Command = std::vector<std::string>;

// The text of a string, status or error reply; "" otherwise.
std::string Text(const redisReply* r);
bool IsError(const redisReply* r);

class RedisConn {
 public:
  ~RedisConn() { Close(); }

  // Connects (and SELECTs the target's db). `what` names the connection in
  // errors.
  Status Connect(const RedisTarget& target, const std::string& what);
  void Close();
  bool open() const { return ctx_ != nullptr; }

  // Sends every command, then reads every reply (in order). An error reply
  // is a reply: the caller judges it. A connection failure is an IoError,
  // after which the connection is closed.
  Status Run(const std::vector<Command>& commands, std::vector<Reply>* replies);
  // One command; an error reply becomes an IoError naming `context`.
  Status RunOne(const Command& command, const std::string& context, Reply* reply);

  // Subscriber side: sends without waiting for a reply.
  Status Send(const Command& command);
  // Reads what has arrived (up to `max` replies), without blocking, into
  // *replies. IoError when the connection is gone.
  Status ReadAvailable(std::vector<Reply>* replies, size_t max);

 private:
  Status Lost(const std::string& doing);

  redisContext* ctx_ = nullptr;
  std::string what_;
};

}  // namespace datasync::redis_connector
