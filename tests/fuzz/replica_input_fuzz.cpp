// libFuzzer target over what a Replica accepts from the network: one replica
// ("a", peers "b" and "c") is fed messages the input makes up: structured
// ones with plausible fields (forged origins, seqs that skip or repeat,
// clocks far off, pages for sessions that never existed, its own origin
// echoed back) and raw bytes through Decode, interleaved with client writes,
// ticks and flushes. Only messages the decoder accepts reach it, as in the
// node. Peers are trusted for what they claim, so convergence is not the
// point here (sequence_fuzz checks it with honest peers); the point is that
// nothing a peer sends can crash the replica or break its own bookkeeping:
// - its vector, own seq and clock never go down;
// - every client write gets exactly one reply;
// - every message it emits is one the decoder accepts, unchanged;
// - its in-memory index agrees with its store after each commit.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "datasync/codec.h"
#include "datasync/hlc.h"
#include "datasync/memory_store.h"
#include "datasync/replica.h"

namespace datasync {
namespace {

constexpr uint64_t kEpochMs = 1'700'000'000'000ULL;
constexpr size_t kMaxSteps = 300;

void Require(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "replica_input_fuzz: %s\n", what.c_str());
  std::abort();
}

class Driver {
 public:
  explicit Driver(FuzzedDataProvider* in) : in_(*in), store_(NewMemoryStore()) {
    ReplicaOptions o;
    o.node_id = "a";
    o.catch_up_page_records = 2;
    o.publish_batch_records = 3;
    Result<std::unique_ptr<Replica>> r = Replica::Open(o, store_.get());
    Require(r.ok(), "Replica::Open: " + r.status().ToString());
    replica_ = std::move(r.value());
    replica_->SetPeers({"b", "c"});
  }

  void Step();
  void Flush();
  void Finish() {
    Flush();
    Require(waiting_.empty(), "a client write was never answered");
  }

 private:
  std::string Origin() { return in_.PickValueInArray({"a", "b", "c", "z"}); }
  uint64_t Seq() {
    return in_.ConsumeBool() ? in_.ConsumeIntegralInRange<uint64_t>(0, 8)
                             : in_.ConsumeIntegral<uint64_t>();
  }
  HlcTimestamp Hlc() {
    if (in_.ConsumeBool()) return in_.ConsumeIntegral<uint64_t>();
    const int64_t skew = in_.ConsumeIntegralInRange<int64_t>(-5000, 5000);
    return MakeHlc(static_cast<uint64_t>(static_cast<int64_t>(Now()) + skew),
                   in_.ConsumeIntegralInRange(0, 3));
  }
  VersionVector Vector() {
    VersionVector vv;
    for (int n = in_.ConsumeIntegralInRange(0, 3); n > 0; --n) vv.Set(Origin(), Seq());
    return vv;
  }
  std::vector<Record> Records(const std::string* origin) {
    std::vector<Record> records;
    for (int n = in_.ConsumeIntegralInRange(0, 4); n > 0; --n) {
      Record r;
      r.collection = "c";
      r.key = std::string(1, static_cast<char>('k' + in_.ConsumeIntegralInRange(0, 3)));
      r.deleted = in_.ConsumeBool();
      if (!r.deleted)
        r.value = in_.ConsumeBytesAsString(in_.ConsumeIntegralInRange(0, 8));
      r.version = {Hlc(), origin ? *origin : Origin()};
      r.seq = Seq();
      records.push_back(std::move(r));
    }
    return records;
  }
  Message MakeMessage();
  uint64_t Now() const { return kEpochMs + now_; }
  void Deliver(const Message& m);
  void CheckMonotone();
  void CheckIndex();

  FuzzedDataProvider& in_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Replica> replica_;
  uint64_t now_ = 0;
  ClientToken next_token_ = 1;
  std::set<ClientToken> waiting_;
  VersionVector vv_;
  uint64_t own_seq_ = 0;
  HlcTimestamp clock_ = 0;
};

Message Driver::MakeMessage() {
  switch (in_.ConsumeIntegralInRange(0, 5)) {
    case 0: {
      ChangeBatch b{Origin(), {}};
      b.records = Records(&b.origin);
      return b;
    }
    case 1:
      return Heartbeat{Origin(), Hlc(), Vector()};
    case 2:
      return CatchUpRequest{Origin(), in_.ConsumeIntegralInRange<uint64_t>(0, 3),
                            Vector()};
    case 3:
      return CatchUpNext{Origin(), in_.ConsumeIntegralInRange<uint64_t>(0, 3), Seq()};
    case 4: {
      CatchUpPage p;
      p.from = Origin();
      p.request_id = in_.ConsumeIntegralInRange<uint64_t>(0, 3);
      p.records = Records(nullptr);
      p.done = in_.ConsumeBool();
      p.vv = Vector();
      p.error = in_.ConsumeBool() ? Code::kOk : Code::kBusy;
      p.page = Seq();
      return p;
    }
    default:
      return Ping{Origin(), Seq()};
  }
}

void Driver::Deliver(const Message& m) {
  // The node hands the replica only what Decode accepted.
  Result<Message> decoded = Decode(Encode(m));
  if (!decoded.ok()) return;
  replica_->OnMessage(decoded.value(), Now());
  CheckMonotone();
}

void Driver::Step() {
  switch (in_.ConsumeIntegralInRange(0, 6)) {
    case 0:
    case 1:
      Deliver(MakeMessage());
      break;
    case 2: {
      Result<Message> m =
          Decode(in_.ConsumeBytesAsString(in_.ConsumeIntegralInRange(0, 64)));
      if (m.ok()) Deliver(m.value());
      break;
    }
    case 3: {
      const ClientToken token = next_token_++;
      waiting_.insert(token);
      const std::string key(1, static_cast<char>('k' + in_.ConsumeIntegralInRange(0, 3)));
      if (in_.ConsumeBool()) {
        replica_->Put(token, "c", key, in_.ConsumeBytesAsString(4), Now());
      } else {
        replica_->Delete(token, "c", key, Now());
      }
      CheckMonotone();
      break;
    }
    case 4:
      now_ += in_.ConsumeIntegralInRange<uint64_t>(0, 4000);
      replica_->Tick(Now());
      CheckMonotone();
      break;
    default:
      Flush();
      break;
  }
}

void Driver::Flush() {
  ReplicaOutput out = replica_->TakeOutput();
  if (!out.batch.empty()) {
    Status s = store_->Commit(out.batch);
    Require(s.ok(), "MemoryStore::Commit: " + s.ToString());
    CheckIndex();
  }
  for (const Outgoing& o : out.messages) {
    Result<Message> back = Decode(Encode(o.message));
    Require(back.ok(), std::string("emitted an undecodable ") + MessageName(o.message) +
                           ": " + (back.ok() ? "" : back.status().ToString()));
    Require(back.value() == o.message, std::string("emitted a ") +
                                           MessageName(o.message) +
                                           " that does not survive the codec");
  }
  for (const Reply& r : out.replies) {
    Require(waiting_.erase(r.token) == 1, "a reply to a token never given, or twice");
  }
}

void Driver::CheckMonotone() {
  for (const auto& [origin, seq] : vv_.entries()) {
    Require(replica_->vv().Get(origin) >= seq, "vv went back for origin " + origin);
  }
  vv_ = replica_->vv();
  Require(replica_->own_seq() >= own_seq_, "own seq went back");
  own_seq_ = replica_->own_seq();
  Require(replica_->clock() >= clock_, "clock went back");
  clock_ = replica_->clock();
}

// The store holds what was committed; the index may be ahead only for
// output not yet taken, and Flush has just taken it all.
void Driver::CheckIndex() {
  uint64_t records = 0;
  Status s = store_->ScanAll([&](const Record& r) {
    ++records;
    std::optional<Version> v = replica_->VersionOf(r.collection, r.key);
    Require(v && *v == r.version, "index differs from the store for key " + r.key);
    return true;
  });
  Require(s.ok(), "ScanAll: " + s.ToString());
  Require(records == replica_->record_count(), "index and store hold different counts");
}

}  // namespace
}  // namespace datasync

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  datasync::Driver driver(&in);
  for (size_t step = 0; step < datasync::kMaxSteps && in.remaining_bytes() > 0; ++step)
    driver.Step();
  driver.Finish();
  return 0;
}
