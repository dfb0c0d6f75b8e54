// Redis primary -> replica write-to-visible latency, measured the way
// sync-loadgen measures datasync's (bench/run compares the two).
//
// One connection SETs on the primary on a fixed open-loop schedule (rate/s,
// random keys of the key space, values of value-size bytes). Another,
// on the replica, subscribes to the replica's keyevent notifications for
// SET: a replica fires them as it applies its primary's stream, in the
// primary's order, so the n-th notification is the n-th SET (its key is
// checked). Latency runs from the intended send time (so a stall shows as
// latency, not as fewer samples) to the notification's arrival; the ack
// latency, to the primary's reply. Both clocks are this process's.
//
//   redis_latency --primary PORT --replica PORT [--rate 10000] [--seconds 5]
//                 [--keys 10000] [--value-size 100]     (prints one JSON object)
#include <hiredis/hiredis.h>
#include <poll.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int primary = 0;
  int replica = 0;
  double rate = 10000;
  double seconds = 5;
  uint64_t keys = 10000;
  size_t value_size = 100;
};

struct Write {
  std::string key;
  Clock::time_point intended;
};

redisContext* Connect(int port) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (c == nullptr || c->err) {
    std::fprintf(stderr, "redis_latency: cannot connect to 127.0.0.1:%d: %s\n", port,
                 c ? c->errstr : "out of memory");
    std::exit(1);
  }
  timeval tv{10, 0};  // no run waits this long for one answer
  redisSetTimeout(c, tv);
  return c;
}

bool Command(redisContext* c, const char* what) {
  auto* reply = static_cast<redisReply*>(redisCommand(c, what));
  const bool ok = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
  if (!ok) std::fprintf(stderr, "redis_latency: %s failed\n", what);
  if (reply) freeReplyObject(reply);
  return ok;
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "redis_latency: %s\n", what);
  std::exit(1);  // the subscriber thread may still wait: no unwinding
}

uint64_t Percentile(std::vector<uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()))];
}

uint64_t Us(Clock::duration d) {
  return static_cast<uint64_t>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Redis primary -> replica write-to-visible latency"};
  app.add_option("--primary", o.primary, "primary's port on 127.0.0.1")->required();
  app.add_option("--replica", o.replica, "replica's port on 127.0.0.1")->required();
  app.add_option("--rate", o.rate, "SETs per second")->capture_default_str();
  app.add_option("--seconds", o.seconds, "writing time")->capture_default_str();
  app.add_option("--keys", o.keys, "key space: k0 .. k<K-1>")->capture_default_str();
  app.add_option("--value-size", o.value_size, "bytes per value")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const size_t total = static_cast<size_t>(o.rate * o.seconds);
  std::vector<Write> writes(total);
  std::vector<uint64_t> ack_us(total), visible_us(total);
  std::atomic<size_t> published{0};  // writes[0..published) are filled in
  std::atomic<bool> subscribed{false};
  std::atomic<bool> failed{false};
  std::string error;  // the subscriber's, read after it is joined

  redisContext* watcher = Connect(o.replica);
  if (!Command(watcher, "CONFIG SET notify-keyspace-events E$")) return 1;
  std::thread subscriber([&] {
    auto* reply =
        static_cast<redisReply*>(redisCommand(watcher, "SUBSCRIBE __keyevent@0__:set"));
    if (reply) freeReplyObject(reply);
    subscribed.store(true);
    for (size_t n = 0; n < total; ++n) {
      void* r = nullptr;
      if (redisGetReply(watcher, &r) != REDIS_OK || r == nullptr) {
        error = "no notification for write " + std::to_string(n);
        failed.store(true);
        return;
      }
      const auto now = Clock::now();
      auto* m = static_cast<redisReply*>(r);
      while (published.load(std::memory_order_acquire) <= n) std::this_thread::yield();
      if (m->type != REDIS_REPLY_ARRAY || m->elements != 3 ||
          std::string(m->element[2]->str, m->element[2]->len) != writes[n].key) {
        error =
            "notification " + std::to_string(n) + " is not write " + std::to_string(n);
        failed.store(true);
        freeReplyObject(m);
        return;
      }
      visible_us[n] = Us(now - writes[n].intended);
      freeReplyObject(m);
    }
  });
  while (!subscribed.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  // Pipelined, like sync-loadgen's open loop: a slow reply does not hold
  // back the next write; replies come back in order.
  redisContext* writer = Connect(o.primary);
  size_t acked = 0;
  auto read_replies = [&](int timeout_ms) {
    pollfd p{writer->fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return;
    const auto now = Clock::now();
    if (redisBufferRead(writer) != REDIS_OK) Die("reading the primary's replies failed");
    void* r = nullptr;
    while (redisGetReplyFromReader(writer, &r) == REDIS_OK && r != nullptr) {
      if (static_cast<redisReply*>(r)->type == REDIS_REPLY_ERROR) Die("SET failed");
      freeReplyObject(r);
      ack_us[acked] = Us(now - writes[acked].intended);
      ++acked;
    }
  };
  const std::string value(o.value_size, 'v');
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> pick(0, o.keys - 1);
  const auto start = Clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / o.rate);
  for (size_t i = 0; i < total && !failed.load(); ++i) {
    Write& w = writes[i];
    w.key = "k" + std::to_string(pick(rng));
    w.intended = start + std::chrono::duration_cast<Clock::duration>(interval * i);
    for (auto left = w.intended - Clock::now(); left > std::chrono::milliseconds(1);
         left = w.intended - Clock::now()) {
      read_replies(static_cast<int>(left / std::chrono::milliseconds(1)));
    }
    std::this_thread::sleep_until(w.intended);
    published.store(i + 1, std::memory_order_release);
    redisAppendCommand(writer, "SET %b %b", w.key.data(), w.key.size(), value.data(),
                       value.size());
    for (int done = 0; !done;) {
      if (redisBufferWrite(writer, &done) != REDIS_OK)
        Die("writing to the primary failed");
    }
    read_replies(0);
  }
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (acked < total && !failed.load()) {
    if (Clock::now() > give_up) Die("the primary did not answer every SET");
    read_replies(100);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  subscriber.join();
  redisFree(writer);
  redisFree(watcher);
  if (!error.empty()) {
    std::fprintf(stderr, "redis_latency: %s\n", error.c_str());
    return 1;
  }
  std::printf(
      "{\"writes\": %zu, \"throughput_per_s\": %.0f, "
      "\"ack_latency_us\": {\"p50\": %llu, \"p99\": %llu, \"max\": %llu}, "
      "\"replication_latency_us\": {\"p50\": %llu, \"p99\": %llu, \"max\": %llu}}\n",
      total, total / elapsed, (unsigned long long)Percentile(ack_us, 50),
      (unsigned long long)Percentile(ack_us, 99),
      (unsigned long long)Percentile(ack_us, 100),
      (unsigned long long)Percentile(visible_us, 50),
      (unsigned long long)Percentile(visible_us, 99),
      (unsigned long long)Percentile(visible_us, 100));
  return 0;
}
