// The raw ZeroMQ PUB/SUB limit for the messages datasync publishes, the
// yardstick for the node's replication throughput (bench/run).
//
// One publisher and 1..N subscribers, each on its own thread with its own
// context (as separate processes would be), over TCP on loopback. Every
// message is what a node sends: the topic frame "change" and a real
// ChangeBatch encoding of R records with the load generator's keys, values
// and collection. Nothing is decoded: this is the transport alone (the codec
// has codec_bench).
//
// No drops: the publisher is an XPUB with ZMQ_XPUB_NODROP, so a full queue
// blocks the sender instead of dropping; it starts once every subscriber's
// subscription has reached it (no slow joiners); and each subscriber checks
// a sequence number written into the first record's hlc, counting gaps.
// The rate is what was published over the time from the first send to the
// last message at the slowest subscriber.
//
//   zmq_bench [--records 1,64,1024] [--subscribers 1,2] [--seconds 2] [--json]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "datasync/codec.h"
#include "datasync/hlc.h"

namespace datasync {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kSentinel = 0x0123456789abcdefULL;  // marks the seq's place
constexpr int kReceiveTimeoutMs = 10000;

struct Options {
  std::vector<size_t> records{1, 64, 1024};
  std::vector<int> subscribers{1, 2};
  size_t value_size = 100;
  uint64_t keys = 1000000;
  double seconds = 2;
  int hwm = 1000;
  bool lossy = false;  // plain PUB behaviour: drops at the high-water mark
  bool json = false;
};

struct SubscriberResult {
  uint64_t received = 0;
  uint64_t gaps = 0;       // messages missing between two received ones
  uint64_t announced = 0;  // what the publisher said it sent
  Clock::time_point last;
  std::string error;
};

// A ChangeBatch as sync-loadgen's writes make it: collection "load", keys
// "k<index>", random-looking values, origin "n1".
std::string MakeBody(size_t records, size_t value_size, uint64_t keys) {
  ChangeBatch batch{"n1", {}};
  for (size_t i = 0; i < records; ++i) {
    Record r;
    r.collection = "load";
    r.key = "k" + std::to_string((i * 7919 + 12345) % keys);
    r.value.resize(value_size);
    for (size_t j = 0; j < value_size; ++j)
      r.value[j] = "abcdefghijklmnopqrstuvwxyz"[(i + j * 7) % 26];
    r.version = {i == 0 ? kSentinel : MakeHlc(1'790'000'000'000 + i, i % 5), "n1"};
    r.seq = 5'000'000 + i;
    batch.records.push_back(std::move(r));
  }
  return Encode(batch);
}

// Where the first record's 8-byte hlc sits in the body.
size_t SeqOffset(const std::string& body) {
  unsigned char pattern[9] = {0xcf};
  for (int i = 0; i < 8; ++i)
    pattern[1 + i] = static_cast<unsigned char>(kSentinel >> (56 - 8 * i));
  const size_t at = body.find(std::string(reinterpret_cast<char*>(pattern), 9));
  if (at == std::string::npos) {
    std::fprintf(stderr, "zmq_bench: sentinel hlc not found in the encoding\n");
    std::exit(1);
  }
  return at + 1;
}

uint64_t GetSeq(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutSeq(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

void Subscribe(const std::string& endpoint, size_t seq_offset, int hwm,
               SubscriberResult* out) {
  zmq::context_t context(1);
  zmq::socket_t sub(context, zmq::socket_type::sub);
  sub.set(zmq::sockopt::rcvhwm, hwm);
  sub.set(zmq::sockopt::rcvtimeo, kReceiveTimeoutMs);
  sub.set(zmq::sockopt::subscribe, "change");
  sub.set(zmq::sockopt::subscribe, "end");
  sub.connect(endpoint);
  uint64_t expected = 0;
  zmq::message_t topic, body;
  while (true) {
    if (!sub.recv(topic) || !sub.recv(body)) {
      out->error = "no message for " + std::to_string(kReceiveTimeoutMs) + " ms";
      return;
    }
    out->last = Clock::now();
    if (topic.to_string_view() == "end") {
      std::memcpy(&out->announced, body.data(), sizeof out->announced);
      return;
    }
    const uint64_t seq = GetSeq(static_cast<const char*>(body.data()) + seq_offset);
    if (seq > expected) out->gaps += seq - expected;
    expected = seq + 1;
    ++out->received;
  }
}

struct RunResult {
  size_t records = 0;
  int subscribers = 0;
  size_t message_bytes = 0;
  uint64_t messages = 0;
  double seconds = 0;
  uint64_t lost = 0;  // summed over subscribers
  std::string error;
};

RunResult RunOnce(const Options& o, size_t records, int subscribers) {
  RunResult r;
  r.records = records;
  r.subscribers = subscribers;
  std::string body = MakeBody(records, o.value_size, o.keys);
  const size_t seq_offset = SeqOffset(body);
  r.message_bytes = body.size() + 6;  // + the topic frame

  zmq::context_t context(1);
  zmq::socket_t pub(context, zmq::socket_type::xpub);
  pub.set(zmq::sockopt::sndhwm, o.hwm);
  pub.set(zmq::sockopt::xpub_nodrop, o.lossy ? 0 : 1);
  pub.set(zmq::sockopt::xpub_verbose, 1);
  pub.set(zmq::sockopt::sndtimeo, kReceiveTimeoutMs);
  pub.bind("tcp://127.0.0.1:*");
  const std::string endpoint = pub.get(zmq::sockopt::last_endpoint);

  std::vector<SubscriberResult> results(subscribers);
  std::vector<std::thread> threads;
  for (int i = 0; i < subscribers; ++i) {
    threads.emplace_back(Subscribe, endpoint, seq_offset, o.hwm, &results[i]);
  }
  // A subscriber's last subscription ("end", sent after "change") reaching
  // us means its pipe is attached: from now on it gets every message.
  pub.set(zmq::sockopt::rcvtimeo, kReceiveTimeoutMs);
  for (int joined = 0; joined < subscribers;) {
    zmq::message_t m;
    if (!pub.recv(m)) {
      r.error = "subscribers did not subscribe";
      break;
    }
    if (m.to_string_view() == std::string_view("\x01"
                                               "end",
                                               4))
      ++joined;
  }

  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o.seconds));
  uint64_t sent = 0;
  while (r.error.empty() && (sent % 64 != 0 || Clock::now() < end)) {
    PutSeq(body.data() + seq_offset, sent);
    if (!pub.send(zmq::buffer(std::string_view("change")), zmq::send_flags::sndmore) ||
        !pub.send(zmq::buffer(body), zmq::send_flags::none)) {
      r.error = "send timed out";
      break;
    }
    ++sent;
  }
  (void)pub.send(zmq::buffer(std::string_view("end")), zmq::send_flags::sndmore);
  (void)pub.send(zmq::buffer(&sent, sizeof sent), zmq::send_flags::none);
  for (std::thread& t : threads) t.join();

  r.messages = sent;
  auto last = start;
  for (const SubscriberResult& s : results) {
    if (!s.error.empty()) r.error = s.error;
    if (s.announced != sent) r.error = "a subscriber missed the end";
    r.lost += s.gaps + (sent - std::min(sent, s.received));
    last = std::max(last, s.last);
  }
  r.seconds = std::chrono::duration<double>(last - start).count();
  return r;
}

void Print(const RunResult& r, bool json) {
  const double msgs = r.seconds > 0 ? r.messages / r.seconds : 0;
  const double recs = msgs * static_cast<double>(r.records);
  const double mb = msgs * static_cast<double>(r.message_bytes) / 1e6;
  if (json) {
    std::printf(
        "{\"records_per_message\": %zu, \"subscribers\": %d, \"message_bytes\": %zu, "
        "\"messages\": %llu, \"seconds\": %.3f, \"messages_per_s\": %.0f, "
        "\"records_per_s\": %.0f, \"mb_per_s\": %.1f, \"lost\": %llu, \"error\": "
        "\"%s\"}\n",
        r.records, r.subscribers, r.message_bytes,
        static_cast<unsigned long long>(r.messages), r.seconds, msgs, recs, mb,
        static_cast<unsigned long long>(r.lost), r.error.c_str());
  } else {
    std::printf(
        "%6zu records/msg %7zu B  %d sub  %10.0f msgs/s %11.0f records/s %8.1f MB/s"
        "  lost %llu%s%s\n",
        r.records, r.message_bytes, r.subscribers, msgs, recs, mb,
        static_cast<unsigned long long>(r.lost), r.error.empty() ? "" : "  ERROR ",
        r.error.c_str());
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace datasync

int main(int argc, char** argv) {
  datasync::Options o;
  CLI::App app{"Raw ZeroMQ PUB/SUB throughput for datasync's ChangeBatch messages"};
  app.add_option("--records", o.records, "records per message (list)")->delimiter(',');
  app.add_option("--subscribers", o.subscribers, "subscriber counts (list)")
      ->delimiter(',');
  app.add_option("--value-size", o.value_size, "bytes per value")->capture_default_str();
  app.add_option("--keys", o.keys, "key space the keys are drawn from")
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "publishing time per run")
      ->capture_default_str();
  app.add_option("--hwm", o.hwm, "high-water mark (messages) of both ends")
      ->capture_default_str();
  app.add_flag("--lossy", o.lossy, "drop at the high-water mark, as plain PUB does");
  app.add_flag("--json", o.json, "one JSON object per run");
  CLI11_PARSE(app, argc, argv);
  int rc = 0;
  for (int subscribers : o.subscribers) {
    for (size_t records : o.records) {
      const datasync::RunResult r = datasync::RunOnce(o, records, subscribers);
      datasync::Print(r, o.json);
      if (r.lost > 0 || !r.error.empty()) rc = 1;
    }
  }
  return rc;
}
