#include "client_load.h"

#include <sstream>
#include <thread>
#include <unordered_map>

#include "datasync/client.h"

namespace datasync::testutil {
namespace {

using Clock = std::chrono::steady_clock;

struct InFlight {
  std::string key;
  std::string value;
};

// Takes the replies of one Receive(); updates `result`.
void TakeReplies(const std::vector<ClientReply>& replies,
                 std::unordered_map<uint64_t, InFlight>* in_flight, PutResult* result,
                 std::atomic<uint64_t>* progress) {
  for (const ClientReply& reply : replies) {
    auto it = in_flight->find(reply.request_id);
    if (it == in_flight->end()) continue;
    if (reply.code != Code::kOk) {
      ++result->refused;
      if (result->first_error.empty()) {
        result->first_error = std::string(CodeName(reply.code)) + ": " + reply.message;
      }
    } else if (reply.records.empty()) {
      ++result->no_version;
    } else {
      const Record& r = reply.records.front();
      result->acked.push_back({it->second.key, it->second.value, r.version, r.seq});
      result->last_ack = Clock::now();
      if (progress != nullptr) progress->fetch_add(1);
    }
    in_flight->erase(it);
  }
}

}  // namespace

PutResult RunPuts(const PutLoad& load) {
  PutResult result;
  ClientOptions options;
  auto client = NodeClient::Connect(ProcessContext(), load.endpoint, options);
  if (!client.ok()) {
    result.first_error = client.status().ToString();
    return result;
  }
  std::unordered_map<uint64_t, InFlight> in_flight;
  uint64_t next = 0;
  auto last_reply = Clock::now();
  auto stopped = [&] { return load.stop != nullptr && load.stop->load(); };
  while (true) {
    bool sending = next < load.count && !stopped();
    while (sending && in_flight.size() < static_cast<size_t>(load.window)) {
      auto [key, value] = load.make(next);
      ClientRequest request;
      request.op = ClientOp::kPut;
      request.collection = load.collection;
      request.key = key;
      request.value = value;
      auto id = client->Send(request, 1000);
      if (!id.ok()) {  // no room: the node is gone or stuck; retry later
        if (result.first_error.empty()) result.first_error = id.status().ToString();
        break;
      }
      in_flight[*id] = {std::move(key), std::move(value)};
      ++next;
      ++result.sent;
      sending = next < load.count && !stopped();
    }
    if (!sending && in_flight.empty()) break;
    auto replies = client->Receive(50);
    if (replies.ok() && !replies->empty()) {
      last_reply = Clock::now();
      TakeReplies(*replies, &in_flight, &result, load.progress);
    } else if (Clock::now() - last_reply >
               std::chrono::milliseconds(load.silence_timeout_ms)) {
      result.unanswered += in_flight.size();
      break;  // the node stopped answering: give up on this load
    }
  }
  return result;
}

std::vector<PutResult> RunPutsInParallel(const std::vector<PutLoad>& loads) {
  std::vector<PutResult> results(loads.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < loads.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = RunPuts(loads[i]); });
  }
  for (auto& t : threads) t.join();
  return results;
}

BackgroundLoad::BackgroundLoad(std::vector<PutLoad> loads)
    : loads_(std::move(loads)),
      progress_(new std::atomic<uint64_t>[loads_.size()]),
      results_(loads_.size()) {
  for (size_t i = 0; i < loads_.size(); ++i) {
    progress_[i] = 0;
    loads_[i].stop = &stop_;
    loads_[i].progress = &progress_[i];
  }
  for (size_t i = 0; i < loads_.size(); ++i) {
    threads_.emplace_back([this, i] { results_[i] = RunPuts(loads_[i]); });
  }
}

BackgroundLoad::~BackgroundLoad() { Finish(); }

std::vector<PutResult> BackgroundLoad::Finish() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  return results_;
}

std::map<std::string, AckedPut> HighestAcked(const std::vector<PutResult>& results) {
  std::map<std::string, AckedPut> highest;
  for (const auto& result : results) {
    for (const auto& put : result.acked) {
      auto [it, inserted] = highest.emplace(put.key, put);
      if (!inserted && put.version > it->second.version) it->second = put;
    }
  }
  return highest;
}

Clock::time_point LastAck(const std::vector<PutResult>& results) {
  Clock::time_point last{};
  for (const auto& r : results) last = std::max(last, r.last_ack);
  return last;
}

std::string VersionString(const Version& v) {
  std::ostringstream s;
  s << "(hlc " << v.hlc << ", " << v.origin << ")";
  return s.str();
}

}  // namespace datasync::testutil
