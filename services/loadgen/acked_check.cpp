#include "acked_check.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <numeric>

#include "datasync/client.h"
#include "load_clock.h"

namespace datasync {
namespace {

constexpr size_t kWindow = 256;

std::string Describe(const Version& v) {
  return fmt::format("(hlc {}, {})", v.hlc, v.origin);
}

// Checks one node; returns the number of lost keys, or sets *error.
uint64_t CheckNode(const std::string& endpoint, const std::string& collection,
                   const AckedVersions& acked, int timeout_ms, std::string* error,
                   std::string* example) {
  ClientOptions options;
  options.sndhwm = options.rcvhwm = static_cast<int>(kWindow * 4);
  Result<NodeClient> client = NodeClient::Connect(ProcessContext(), endpoint, options);
  if (!client.ok()) {
    *error = client.status().ToString();
    return 0;
  }
  uint64_t lost = 0;
  // request id -> (key index, the version acknowledged for it)
  std::unordered_map<uint64_t, std::pair<uint64_t, Version>> in_flight;
  auto next = acked.begin();
  int64_t last_reply_us = NowUs();
  while (next != acked.end() || !in_flight.empty()) {
    while (next != acked.end() && in_flight.size() < kWindow) {
      ClientRequest request;
      request.op = ClientOp::kGet;
      request.collection = collection;
      request.key = "k" + std::to_string(next->first);
      Result<uint64_t> id = client->Send(std::move(request), timeout_ms);
      if (!id.ok()) {
        *error = id.status().ToString();
        return lost;
      }
      in_flight.emplace(*id, *next);
      ++next;
    }
    Result<std::vector<ClientReply>> replies = client->Receive(100);
    if (!replies.ok() || replies->empty()) {
      if (NowUs() - last_reply_us > int64_t{timeout_ms} * 1000) {
        *error = fmt::format("no answer from {} within {} ms", endpoint, timeout_ms);
        return lost;
      }
      continue;
    }
    last_reply_us = NowUs();
    for (const ClientReply& reply : *replies) {
      auto it = in_flight.find(reply.request_id);
      if (it == in_flight.end()) continue;
      const auto [key, want] = it->second;
      in_flight.erase(it);
      std::string why;
      if (reply.code == Code::kNotFound) {
        why = "missing";
      } else if (reply.code != Code::kOk || reply.records.empty()) {
        *error = fmt::format("k{}: {}: {}", key, CodeName(reply.code), reply.message);
        return lost;
      } else if (reply.records.front().version < want) {
        why = "at " + Describe(reply.records.front().version);
      }
      if (why.empty()) continue;
      ++lost;
      if (example->empty()) {
        *example = fmt::format("{}: k{} acknowledged at {}, {}", endpoint, key,
                               Describe(want), why);
      }
    }
  }
  return lost;
}

}  // namespace

void NoteAcked(AckedVersions* acked, uint64_t key, const Version& version) {
  auto [it, inserted] = acked->emplace(key, version);
  if (!inserted && it->second < version) it->second = version;
}

void MergeAcked(AckedVersions* into, const AckedVersions& from) {
  for (const auto& [key, version] : from) NoteAcked(into, key, version);
}

bool AckedCheckResult::ok() const {
  return total_lost() == 0 && std::all_of(errors.begin(), errors.end(),
                                          [](const auto& e) { return e.empty(); });
}

uint64_t AckedCheckResult::total_lost() const {
  return std::accumulate(lost.begin(), lost.end(), uint64_t{0});
}

AckedCheckResult CheckAcked(const std::vector<std::string>& endpoints,
                            const std::string& collection, const AckedVersions& acked,
                            int timeout_ms) {
  AckedCheckResult result;
  result.ran = true;
  result.keys = acked.size();
  for (const std::string& endpoint : endpoints) {
    std::string error;
    result.lost.push_back(
        CheckNode(endpoint, collection, acked, timeout_ms, &error, &result.example));
    result.errors.push_back(error);
  }
  return result;
}

}  // namespace datasync
