#include "convergence.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "datasync/client.h"
#include "load_clock.h"

namespace datasync {
namespace {

constexpr auto kMinPause = std::chrono::milliseconds(250);
constexpr auto kLineEvery = std::chrono::seconds(1);

// One round: every node's digest, or an error for it.
void PollDigests(std::vector<NodeClient>& clients, const std::string& collection,
                 int timeout_ms, ConvergenceResult* result) {
  for (size_t i = 0; i < clients.size(); ++i) {
    ClientRequest request;
    request.op = ClientOp::kDigest;
    request.collection = collection;
    Result<ClientReply> reply = clients[i].Call(request, timeout_ms);
    result->digests[i].clear();
    if (!reply.ok()) {
      result->errors[i] = reply.status().ToString();
    } else if (reply->code != Code::kOk) {
      result->errors[i] = std::string(CodeName(reply->code)) + ": " + reply->message;
    } else {
      result->errors[i].clear();
      result->digests[i] = reply->digest;
    }
  }
}

bool AllEqual(const std::vector<std::string>& digests) {
  return !digests.empty() && !digests.front().empty() &&
         std::all_of(digests.begin(), digests.end(),
                     [&](const std::string& d) { return d == digests.front(); });
}

size_t Distinct(const std::vector<std::string>& digests) {
  return std::set<std::string>(digests.begin(), digests.end()).size();
}

}  // namespace

ConvergenceResult AwaitConvergence(const std::vector<std::string>& endpoints,
                                   const std::string& collection, int timeout_ms,
                                   double quiesce_timeout_s,
                                   const std::function<bool()>& aborted) {
  const auto start = LoadClock::now();
  const auto deadline = start + std::chrono::duration_cast<LoadClock::duration>(
                                    std::chrono::duration<double>(quiesce_timeout_s));
  ConvergenceResult result;
  result.digests.resize(endpoints.size());
  result.errors.resize(endpoints.size());
  std::vector<NodeClient> clients;
  for (const std::string& ep : endpoints) {
    Result<NodeClient> client = NodeClient::Connect(ProcessContext(), ep);
    if (!client.ok()) {
      result.errors[clients.size()] = client.status().ToString();
      return result;
    }
    clients.push_back(std::move(client).value());
  }
  std::string previous;
  auto next_line = start + kLineEvery;
  while (true) {
    const auto round_start = LoadClock::now();
    PollDigests(clients, collection, timeout_ms, &result);
    const auto now = LoadClock::now();
    result.waited_s = std::chrono::duration<double>(now - start).count();
    const bool equal = AllEqual(result.digests);
    // Equal twice in a row is the verdict; equal at the deadline is too, as
    // every write was answered before this began, so equal states hold it.
    if (equal && (result.digests.front() == previous || now >= deadline)) {
      result.converged = true;
      return result;
    }
    previous = equal ? result.digests.front() : "";
    if (now >= deadline || aborted()) return result;
    if (now >= next_line) {
      fmt::print(stderr, "quiescing {:.1f}s: {} distinct digest(s) over {} node(s)\n",
                 result.waited_s, Distinct(result.digests), endpoints.size());
      next_line = now + kLineEvery;
    }
    // Once equal, confirm soon: the time to the verdict is reported.
    const auto pause =
        equal ? LoadClock::duration(kMinPause)
              : std::max<LoadClock::duration>(kMinPause, 2 * (now - round_start));
    std::this_thread::sleep_until(std::min(now + pause, deadline));
  }
}

}  // namespace datasync
