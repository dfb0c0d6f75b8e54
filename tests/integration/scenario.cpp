#include "scenario.h"

#include <cstdio>
#include <sstream>

namespace datasync::testutil {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

std::string KeyName(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key-%06llu", static_cast<unsigned long long>(i));
  return buf;
}

PutLoad OverlappingLoad(const Cluster& cluster, const std::string& id, uint64_t count,
                        uint64_t key_space, uint64_t key_offset, size_t value_bytes) {
  PutLoad load;
  load.endpoint = cluster.api(id);
  load.collection = kCollection;
  load.count = count;
  load.make = [id, key_space, key_offset, value_bytes](uint64_t i) {
    std::string value = "value-" + id + "-" + std::to_string(i);
    if (value.size() < value_bytes) value.resize(value_bytes, '.');
    return std::make_pair(KeyName((i + key_offset) % key_space), std::move(value));
  };
  return load;
}

std::vector<std::string> Others(const std::vector<std::string>& ids,
                                const std::string& id) {
  std::vector<std::string> others;
  for (const auto& o : ids) {
    if (o != id) others.push_back(o);
  }
  return others;
}

AssertionResult AllAcked(const std::vector<PutResult>& results) {
  std::ostringstream s;
  bool ok = true;
  for (size_t i = 0; i < results.size(); ++i) {
    const PutResult& r = results[i];
    if (r.refused == 0 && r.unanswered == 0 && r.no_version == 0 &&
        r.acked.size() == r.sent) {
      continue;
    }
    ok = false;
    s << "writer " << i << ": sent " << r.sent << ", acked " << r.acked.size()
      << ", refused " << r.refused << ", unanswered " << r.unanswered
      << ", ok without version " << r.no_version << "; first error: " << r.first_error
      << "\n";
  }
  if (ok) return AssertionSuccess();
  return AssertionFailure() << s.str();
}

AssertionResult WaitPeersConnected(Cluster& cluster, const std::string& id,
                                   const std::vector<std::string>& peers,
                                   std::chrono::milliseconds timeout) {
  std::string last;
  bool done = WaitUntil(
      [&] {
        std::string error;
        auto status = cluster.Status(id, &error);
        if (!status) {
          last = error;
          return false;
        }
        last = "peers: ";
        size_t connected = 0;
        for (const JsonValue& p : (*status)["peers"].items()) {
          last += p["id"].str() + (p["connected"].boolean() ? "(up) " : "(down) ");
          for (const auto& want : peers) {
            if (p["id"].str() == want && p["connected"].boolean()) ++connected;
          }
        }
        return connected == peers.size();
      },
      timeout, 50ms);
  if (done) return AssertionSuccess();
  return AssertionFailure() << id << " does not see all of its peers connected: " << last;
}

std::optional<uint64_t> RecordCount(Cluster& cluster, const std::string& id) {
  auto status = cluster.Status(id);
  if (!status) return std::nullopt;
  return (*status)["records"].AsUint();
}

std::string StatusDump(Cluster& cluster, const std::vector<std::string>& ids) {
  std::string dump;
  for (const auto& id : ids) {
    CtlResult r = cluster.CtlAt(id, {"--timeout-ms", "2000", "--json", "status"});
    dump += "status " + id + ": " + (r.code() == 0 ? r.out : r.Describe()) + "\n";
  }
  return dump;
}

AssertionResult CtlPut(Cluster& cluster, const std::string& id, const std::string& key,
                       const std::string& value) {
  CtlResult r = cluster.CtlAt(id, {"put", kCollection, key, value});
  if (r.code() == 0) return AssertionSuccess();
  return AssertionFailure() << r.Describe();
}

AssertionResult WaitValue(Cluster& cluster, const std::string& id, const std::string& key,
                          const std::string& value, std::chrono::milliseconds timeout) {
  CtlResult last;
  bool done = WaitUntil(
      [&] {
        last = cluster.CtlAt(id, {"--timeout-ms", "1000", "get", kCollection, key});
        return last.code() == 0 && last.out == value;
      },
      timeout, 25ms);
  if (done) return AssertionSuccess();
  return AssertionFailure() << key << " at " << id << " is not " << value << " after "
                            << timeout.count() << " ms; last " << last.Describe();
}

}  // namespace datasync::testutil
