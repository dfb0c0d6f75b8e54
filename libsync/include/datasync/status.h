// Status and Result<T>: how libsync reports what the world does to it.
//
// A malformed message, a bad config or a full disk is an expected event, not
// an exception: every public libsync function that can fail returns a Status
// or a Result<T>. Broken internal invariants are our own bugs and abort
// through SYNC_CHECK instead. Safe to use from any thread (plain values).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace datasync {

enum class Code {
  kOk = 0,
  kNotFound,
  kInvalidArgument,  // bad input from a client, a peer or a config file
  kCorruption,       // stored or received bytes that cannot be right
  kIoError,          // the OS or a library refused (disk full, read-only...)
  kRefused,          // valid request this node will not serve (receive-only)
  kBusy,             // bounded resource exhausted; retry later
  kUnavailable,      // peer or server not reachable
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Invalid(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Refused(std::string m) { return {Code::kRefused, std::move(m)}; }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: <message>", or "ok".
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a T or a non-ok Status. REQUIRES: value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr);

}  // namespace datasync

// Aborts on a broken internal invariant. Never use on network or config input.
#define SYNC_CHECK(expr) \
  ((expr) ? (void)0 : ::datasync::CheckFailed(__FILE__, __LINE__, #expr))
