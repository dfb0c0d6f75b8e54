// The read side of client_load.h: checking what a node holds.
#include "client_load.h"

#include <sstream>
#include <unordered_map>

#include "datasync/client.h"

namespace datasync::testutil {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

constexpr size_t kMaxReported = 10;

// Compares one kGet reply with the expected write; appends a line to
// *problems when it does not hold.
void Judge(const ClientReply& reply, const AckedPut& want, bool exact,
           std::ostringstream* problems, size_t* bad) {
  std::string what;
  if (reply.code == Code::kNotFound ||
      (reply.code == Code::kOk && reply.records.empty())) {
    what = "missing";
  } else if (reply.code != Code::kOk) {
    what = std::string("error ") + CodeName(reply.code) + ": " + reply.message;
  } else {
    const Record& got = reply.records.front();
    if (got.version < want.version) {
      what = "older version " + VersionString(got.version);
    } else if (exact && got.version != want.version) {
      what = "other version " + VersionString(got.version);
    } else if (exact && (got.deleted || got.value != want.value)) {
      what = "value " + got.value.substr(0, 40) + " != " + want.value.substr(0, 40);
    }
  }
  if (what.empty()) return;
  if (++*bad <= kMaxReported) {
    *problems << "  key " << want.key << " (acked " << VersionString(want.version)
              << " seq " << want.seq << "): " << what << "\n";
  }
}

}  // namespace

AssertionResult NodeHolds(const std::string& endpoint, const std::string& collection,
                          const std::map<std::string, AckedPut>& expected, bool exact,
                          size_t window) {
  auto client = NodeClient::Connect(ProcessContext(), endpoint);
  if (!client.ok()) return AssertionFailure() << client.status().ToString();
  std::unordered_map<uint64_t, const AckedPut*> in_flight;
  std::ostringstream problems;
  size_t bad = 0;
  auto it = expected.begin();
  while (it != expected.end() || !in_flight.empty()) {
    while (it != expected.end() && in_flight.size() < window) {
      ClientRequest request;
      request.op = ClientOp::kGet;
      request.collection = collection;
      request.key = it->first;
      auto id = client->Send(request, 3000);
      if (!id.ok())
        return AssertionFailure() << endpoint << ": " << id.status().ToString();
      in_flight[*id] = &it->second;
      ++it;
    }
    auto replies = client->Receive(5000);
    if (!replies.ok() || replies->empty()) {
      return AssertionFailure()
             << endpoint << ": no answer to " << in_flight.size() << " gets within 5 s";
    }
    for (const ClientReply& reply : *replies) {
      auto f = in_flight.find(reply.request_id);
      if (f == in_flight.end()) continue;
      Judge(reply, *f->second, exact, &problems, &bad);
      in_flight.erase(f);
    }
  }
  if (bad == 0) return AssertionSuccess();
  return AssertionFailure() << endpoint << ": " << bad << " of " << expected.size()
                            << " keys do not hold their acknowledged write"
                            << (bad > kMaxReported ? " (first ones):\n" : ":\n")
                            << problems.str();
}

AssertionResult CallOk(const std::string& endpoint, ClientRequest request,
                       ClientReply* reply, int timeout_ms) {
  auto client = NodeClient::Connect(ProcessContext(), endpoint);
  if (!client.ok()) return AssertionFailure() << client.status().ToString();
  auto answer = client->Call(std::move(request), timeout_ms);
  if (!answer.ok())
    return AssertionFailure() << endpoint << ": " << answer.status().ToString();
  if (reply != nullptr) *reply = *answer;
  if (answer->code != Code::kOk) {
    return AssertionFailure() << endpoint << " answered " << CodeName(answer->code)
                              << ": " << answer->message;
  }
  return AssertionSuccess();
}

std::optional<Record> GetRecord(const std::string& endpoint,
                                const std::string& collection, const std::string& key) {
  ClientRequest request;
  request.op = ClientOp::kGet;
  request.collection = collection;
  request.key = key;
  ClientReply reply;
  if (!CallOk(endpoint, request, &reply, 2000) || reply.records.empty()) {
    return std::nullopt;
  }
  return reply.records.front();
}

}  // namespace datasync::testutil
