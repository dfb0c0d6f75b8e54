#include "worker.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "load_clock.h"

namespace datasync {
namespace {

// How long a Send may wait for room in the socket's queue; short, so that a
// worker whose node went away keeps its schedule and notices `stop`.
constexpr int kSendTimeoutMs = 100;
constexpr int64_t kExpiryPeriodUs = 100'000;
constexpr int kMaxWaitMs = 100;
constexpr size_t kValueOffsets = 64;

std::string RandomText(std::mt19937_64& rng, size_t size) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::uniform_int_distribution<size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string text(size, ' ');
  for (char& c : text) c = kAlphabet[pick(rng)];
  return text;
}

ClientOptions WorkerClientOptions(size_t max_outstanding) {
  ClientOptions options;
  const int room = static_cast<int>(std::min<size_t>(max_outstanding * 2, 1 << 20));
  options.sndhwm = std::max(options.sndhwm, room);
  options.rcvhwm = std::max(options.rcvhwm, room);
  return options;
}

}  // namespace

Worker::Worker(WorkerSetup setup)
    : setup_(setup),
      options_(*setup.options),
      max_outstanding_(static_cast<size_t>(setup.options->EffectiveMaxOutstanding())),
      sample_every_(setup.options->EffectiveSampleEvery()),
      rng_(setup.seed) {
  value_pool_ = RandomText(rng_, options_.value_size + kValueOffsets);
  in_flight_.reserve(max_outstanding_ * 2);
}

void Worker::Run(const std::atomic<bool>& stop, const std::atomic<int64_t>& start_us) {
  const std::string& endpoint = options_.nodes[setup_.node];
  Result<NodeClient> client = NodeClient::Connect(ProcessContext(), endpoint,
                                                  WorkerClientOptions(max_outstanding_));
  Status connected = client.ok() ? Handshake(*client) : client.status();
  ready_.store(true);
  while (start_us.load() == 0 && !stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!connected.ok()) {
    Fail(connected.ToString());
    finished_.store(true);
    return;
  }
  last_expiry_us_ = NowUs();
  if (setup_.rate > 0) {
    RunOpenLoop(*client, stop, start_us.load());
  } else {
    RunClosedLoop(*client, stop);
  }
  Drain(*client);
  finished_.store(true);
}

Status Worker::Handshake(NodeClient& client) {
  ClientRequest request;
  request.op = ClientOp::kStatus;
  Result<ClientReply> reply = client.Call(request, options_.timeout_ms);
  return reply.ok() ? Status::Ok() : reply.status();
}

void Worker::RunOpenLoop(NodeClient& client, const std::atomic<bool>& stop,
                         int64_t start_us) {
  const double interval_us = 1e6 * static_cast<double>(options_.batch) / setup_.rate;
  double next_due = static_cast<double>(start_us) + setup_.phase * interval_us;
  while (!stop.load(std::memory_order_relaxed) && !spent_) {
    const int64_t now = NowUs();
    while (next_due <= static_cast<double>(now) && in_flight_.size() < max_outstanding_ &&
           !spent_) {
      SendOne(client, static_cast<int64_t>(next_due));
      next_due += interval_us;
    }
    const auto wait_us = static_cast<int64_t>(next_due) - NowUs();
    if (in_flight_.size() >= max_outstanding_ || wait_us >= 1000) {
      // Receive() wakes up as soon as an answer comes, so acknowledgements
      // are timed precisely; only the sleep before a send is coarse, hence
      // the finer wait below.
      const int64_t wait_ms = in_flight_.size() >= max_outstanding_
                                  ? kMaxWaitMs
                                  : std::min<int64_t>(wait_us / 1000, kMaxWaitMs);
      ReceiveAndHandle(client, static_cast<int>(wait_ms));
    } else {
      ReceiveAndHandle(client, 0);
      const int64_t left_us = static_cast<int64_t>(next_due) - NowUs();
      if (left_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(left_us));
    }
    ExpireTimedOut();
  }
}

void Worker::RunClosedLoop(NodeClient& client, const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed) && !spent_) {
    while (in_flight_.size() < max_outstanding_ &&
           !stop.load(std::memory_order_relaxed)) {
      if (!SendOne(client, NowUs())) break;
    }
    ReceiveAndHandle(client, kMaxWaitMs);
    ExpireTimedOut();
  }
}

void Worker::Drain(NodeClient& client) {
  const int64_t deadline = NowUs() + int64_t{options_.timeout_ms} * 1000;
  while (!in_flight_.empty() && NowUs() < deadline) {
    ReceiveAndHandle(client, kMaxWaitMs);
    ExpireTimedOut();
  }
  ExpireTimedOut(/*force=*/true);
}

void Worker::ReceiveAndHandle(NodeClient& client, int timeout_ms) {
  Result<std::vector<ClientReply>> replies = client.Receive(timeout_ms);
  if (!replies.ok()) {
    // A socket error, not a node's answer: nothing in flight is failed by
    // it (the timeout does that), but it is worth showing.
    std::lock_guard lock(stats_.mu);
    stats_.last_error = replies.status().ToString();
    return;
  }
  if (!replies->empty()) Handle(*replies);
}

ClientWrite Worker::NextWrite(uint64_t* key) {
  *key = setup_.keys->Next(rng_);
  ClientWrite w;
  w.deleted = options_.delete_share > 0 &&
              std::uniform_real_distribution<double>(0, 1)(rng_) < options_.delete_share;
  w.collection = options_.collection;
  w.key = "k" + std::to_string(*key);
  if (!w.deleted) w.value = value_pool_.substr(writes_ % kValueOffsets, options_.value_size);
  ++writes_;
  return w;
}

bool Worker::SendOne(NodeClient& client, int64_t start_us) {
  const auto writes = static_cast<uint32_t>(options_.batch);
  if (setup_.budget != nullptr &&
      setup_.budget->fetch_sub(writes, std::memory_order_relaxed) <= 0) {
    spent_ = true;
    return false;
  }
  const bool sampled = setup_.tracker != nullptr && writes_ % sample_every_ == 0;
  ClientRequest request;
  uint64_t key = 0;
  if (options_.batch > 1) {
    // Only the last write of a batch is sampled: the reply names its version.
    request.op = ClientOp::kWriteBatch;
    request.writes.reserve(options_.batch);
    for (size_t i = 0; i < options_.batch; ++i) request.writes.push_back(NextWrite(&key));
  } else {
    ClientWrite w = NextWrite(&key);
    request.op = w.deleted ? ClientOp::kDelete : ClientOp::kPut;
    request.collection = std::move(w.collection);
    request.key = std::move(w.key);
    request.value = std::move(w.value);
  }
  if (sampled) setup_.tracker->Interest(key);
  Result<uint64_t> id = client.Send(std::move(request), kSendTimeoutMs);
  if (!id.ok()) {
    if (sampled) setup_.tracker->Abandon(key);
    Fail(id.status().ToString(), writes);
    return false;
  }
  in_flight_.emplace(id.value(), InFlight{start_us, NowUs(), key, sampled, writes});
  stats_.sent.fetch_add(writes, std::memory_order_relaxed);
  return true;
}

void Worker::Handle(std::vector<ClientReply>& replies) {
  const int64_t now = NowUs();
  batch_latencies_.clear();
  for (ClientReply& reply : replies) {
    auto it = in_flight_.find(reply.request_id);
    if (it == in_flight_.end()) continue;  // answered after it timed out
    const InFlight w = it->second;
    in_flight_.erase(it);
    if (reply.code != Code::kOk) {
      if (w.sampled) setup_.tracker->Abandon(w.key);
      Fail(std::string(CodeName(reply.code)) + ": " + reply.message, w.writes);
      continue;
    }
    // Every write of a batch waited as long as the batch.
    batch_latencies_.insert(batch_latencies_.end(), w.writes,
                            static_cast<uint64_t>(std::max<int64_t>(0, now - w.start_us)));
    if (options_.check_acked && !reply.records.empty()) {
      NoteAcked(&acked_, w.key, reply.records.front().version);
    }
    if (!w.sampled) continue;
    if (reply.records.empty()) {
      setup_.tracker->Abandon(w.key);  // a node that does not say the version
    } else {
      setup_.tracker->Acked(w.key, reply.records.front().version, setup_.node,
                            w.start_us);
    }
  }
  if (batch_latencies_.empty()) return;
  stats_.acked.fetch_add(batch_latencies_.size(), std::memory_order_relaxed);
  std::lock_guard lock(stats_.mu);
  for (uint64_t latency : batch_latencies_) {
    stats_.interval.Record(latency);
    stats_.total.Record(latency);
  }
}

void Worker::ExpireTimedOut(bool force) {
  const int64_t now = NowUs();
  if (!force && now - last_expiry_us_ < kExpiryPeriodUs) return;
  last_expiry_us_ = now;
  const int64_t limit_us = int64_t{options_.timeout_ms} * 1000;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (!force && now - it->second.sent_us <= limit_us) {
      ++it;
      continue;
    }
    if (it->second.sampled) setup_.tracker->Abandon(it->second.key);
    Fail("no answer from " + options_.nodes[setup_.node] + " within " +
             std::to_string(options_.timeout_ms) + " ms",
         it->second.writes);
    it = in_flight_.erase(it);
  }
}

void Worker::Fail(const std::string& error, uint64_t writes) {
  stats_.errors.fetch_add(writes, std::memory_order_relaxed);
  std::lock_guard lock(stats_.mu);
  stats_.last_error = error;
}

}  // namespace datasync
