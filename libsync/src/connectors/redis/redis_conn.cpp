#include "connectors/redis/redis_conn.h"

#include <poll.h>
#include <sys/time.h>

namespace datasync::redis_connector {
namespace {

// Long enough for a SCAN page or an EXEC of a big batch on a busy server;
// short enough that a hung server is noticed and retried.
constexpr int kTimeoutMs = 5000;

std::vector<const char*> Argv(const Command& c, std::vector<size_t>* lens) {
  std::vector<const char*> argv;
  lens->clear();
  for (const std::string& a : c) {
    argv.push_back(a.data());
    lens->push_back(a.size());
  }
  return argv;
}

}  // namespace

std::string Text(const redisReply* r) {
  if (r == nullptr) return "";
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
      r->type == REDIS_REPLY_ERROR) {
    return std::string(r->str, r->len);
  }
  return "";
}

bool IsError(const redisReply* r) { return r != nullptr && r->type == REDIS_REPLY_ERROR; }

Status RedisConn::Connect(const RedisTarget& target, const std::string& what) {
  Close();
  what_ = "redis " + target.host + ":" + std::to_string(target.port) + " (" + what + ")";
  const timeval tv{kTimeoutMs / 1000, (kTimeoutMs % 1000) * 1000};
  ctx_ = redisConnectWithTimeout(target.host.c_str(), target.port, tv);
  if (ctx_ == nullptr) return Status::IoError(what_ + ": cannot allocate a connection");
  if (ctx_->err != 0) return Lost("connecting");
  if (redisSetTimeout(ctx_, tv) != REDIS_OK) return Lost("setting the timeout");
  if (target.db != 0) {
    Reply r;
    Status s = RunOne({"SELECT", std::to_string(target.db)}, "SELECT", &r);
    if (!s.ok()) {
      Close();
      return s;
    }
  }
  return Status::Ok();
}

void RedisConn::Close() {
  if (ctx_ != nullptr) redisFree(ctx_);
  ctx_ = nullptr;
}

Status RedisConn::Lost(const std::string& doing) {
  std::string error = what_ + ": " + doing + ": " +
                      (ctx_ != nullptr && ctx_->errstr[0] != '\0' ? ctx_->errstr
                                                                  : "connection lost");
  Close();
  return Status::IoError(error);
}

Status RedisConn::Run(const std::vector<Command>& commands, std::vector<Reply>* replies) {
  replies->clear();
  if (ctx_ == nullptr) return Status::IoError(what_ + ": not connected");
  std::vector<size_t> lens;
  for (const Command& c : commands) {
    std::vector<const char*> argv = Argv(c, &lens);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      return Lost("sending");
    }
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    void* r = nullptr;
    if (redisGetReply(ctx_, &r) != REDIS_OK || r == nullptr) return Lost("reading a reply");
    replies->emplace_back(static_cast<redisReply*>(r));
  }
  return Status::Ok();
}

Status RedisConn::RunOne(const Command& command, const std::string& context, Reply* reply) {
  std::vector<Reply> replies;
  Status s = Run({command}, &replies);
  if (!s.ok()) return s;
  *reply = std::move(replies[0]);
  if (IsError(reply->get())) return Status::IoError(what_ + ": " + context + ": " + Text(reply->get()));
  return Status::Ok();
}

Status RedisConn::Send(const Command& command) {
  if (ctx_ == nullptr) return Status::IoError(what_ + ": not connected");
  std::vector<size_t> lens;
  std::vector<const char*> argv = Argv(command, &lens);
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    return Lost("sending");
  }
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return Lost("sending");
  }
  return Status::Ok();
}

Status RedisConn::ReadAvailable(std::vector<Reply>* replies, size_t max) {
  if (ctx_ == nullptr) return Status::IoError(what_ + ": not connected");
  while (replies->size() < max) {
    // Whole replies already buffered first; then the socket, if readable.
    void* r = nullptr;
    if (redisGetReplyFromReader(ctx_, &r) != REDIS_OK) return Lost("reading");
    if (r != nullptr) {
      replies->emplace_back(static_cast<redisReply*>(r));
      continue;
    }
    pollfd p{ctx_->fd, POLLIN, 0};
    const int n = ::poll(&p, 1, 0);
    if (n <= 0) return Status::Ok();
    if (redisBufferRead(ctx_) != REDIS_OK) return Lost("reading");
  }
  return Status::Ok();
}

}  // namespace datasync::redis_connector
