// Helpers for the codec tests: sample messages with awkward field values,
// and an editable msgpack tree for building malformed input from valid input.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <msgpack.hpp>
#include <string>
#include <vector>

#include "datasync/codec.h"
#include "datasync/hlc.h"
#include "datasync/messages.h"

namespace datasync::codec_test {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

// Bytes that break naive string handling: NUL, 0xff, a high bit.
inline std::string Binary(size_t size, uint8_t seed = 0) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + seed) % 256);
  return s;
}

inline VersionVector SampleVector() {
  return VersionVector({{"a", 1}, {"node-b", uint64_t{1} << 40}, {"Z_9", kMaxSeq}});
}

inline Record SampleRecord(uint64_t seq = 42, std::string origin = "node-a") {
  Record r;
  r.collection = "orders";
  r.key = std::string("k\0y\xff", 4);
  r.value = Binary(100, static_cast<uint8_t>(seq));
  r.version = {MakeHlc(1'790'000'000'000, 7), std::move(origin)};
  r.seq = seq;
  return r;
}

// A batch of `n` records that includes a tombstone, an empty value and the
// largest hlc and seq.
inline ChangeBatch SampleBatch(size_t n = 5) {
  ChangeBatch b{"node-a", {}};
  for (size_t i = 0; i < n; ++i) b.records.push_back(SampleRecord(i + 1));
  if (n > 1) {
    b.records[1].deleted = true;
    b.records[1].value.clear();
  }
  if (n > 2) b.records[2].value.clear();
  if (n > 3) {
    b.records[3].version.hlc = kMaxU64;
    b.records[3].seq = kMaxSeq;
  }
  return b;
}

inline NodeStatus SampleStatus() {
  NodeStatus s;
  s.node_id = "node-a";
  s.mode = "both";
  s.store = "rocksdb";
  s.vv = SampleVector();
  s.peers = {{"node-b", true, 3, SampleVector()}, {"c", false, 0, {}}};
  s.records = 1'000'000;
  s.tombstones = 17;
  s.counters = {{"bad_input", 2}, {"catch_up_served", kMaxU64}};
  s.info = {{"connector.orders-pg", "running"}, {"", std::string("x\0y", 3)}};
  return s;
}

inline std::vector<MemberInfo> SampleMembers() {
  return {{"a", "tcp://127.0.0.1:7101", "tcp://127.0.0.1:7102", "tcp://127.0.0.1:7103"},
          {"b-2", "ipc:///tmp/b.api", "", ""}};
}

// One message of every type, in type-number order, fields set to
// non-default values.
inline std::vector<Message> SampleMessages() {
  CatchUpPage page{"node-b",  kMaxU64, SampleBatch(4).records, true, SampleVector(),
                   Code::kOk, ""};
  ClientRequest put{7, ClientOp::kPut, "orders", std::string("\0key", 4), Binary(300), "",
                    0, false, {}};
  ClientReply reply{9, Code::kOk, "", SampleBatch(3).records, "ab12", SampleStatus()};
  return {SampleBatch(),
          Heartbeat{"node-a", MakeHlc(1'790'000'000'000, 65535), SampleVector()},
          CatchUpRequest{"node-b", 5, SampleVector()},
          CatchUpNext{"node-b", 5},
          page,
          put,
          reply,
          Join{SampleMembers()[0]},
          Welcome{12, 250, SampleMembers()},
          Membership{13, SampleMembers()},
          Ping{"a", 13},
          Leave{"a"},
          Shutdown{true}};
}

// Fails with kInvalidArgument, and the message contains `text`.
inline void ExpectRejected(const std::string& bytes, const std::string& text,
                           const CodecLimits& limits = {}) {
  Result<Message> r = Decode(bytes, limits);
  ASSERT_FALSE(r.ok()) << "accepted as " << MessageName(r.value());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(text), std::string::npos)
      << "want \"" << text << "\" in \"" << r.status().message() << "\"";
}

// An encoded message as an editable msgpack tree: edit, then Bytes().
class Tree {
 public:
  explicit Tree(const Message& m) : Tree(Encode(m)) {}
  explicit Tree(const std::string& bytes) {
    root_ = msgpack::unpack(zone_, bytes.data(), bytes.size());
  }

  msgpack::object& root() { return root_; }
  // The i-th element of the array `o` (the root when omitted).
  static msgpack::object& At(msgpack::object& o, size_t i) {
    EXPECT_EQ(o.type, msgpack::type::ARRAY);
    EXPECT_LT(i, o.via.array.size);
    return o.via.array.ptr[i];
  }
  msgpack::object& At(size_t i) { return At(root_, i); }

  template <typename T>
  msgpack::object Make(const T& value) {
    return msgpack::object(value, zone_);
  }
  // Appends `value` to the array `o`.
  void Append(msgpack::object& o, const msgpack::object& value) {
    const uint32_t n = o.via.array.size;
    auto* items = static_cast<msgpack::object*>(
        zone_.allocate_align(sizeof(msgpack::object) * (n + 1)));
    for (uint32_t i = 0; i < n; ++i) items[i] = o.via.array.ptr[i];
    items[n] = value;
    o.via.array.ptr = items;
    o.via.array.size = n + 1;
  }

  std::string Bytes() const {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, root_);
    return std::string(buffer.data(), buffer.size());
  }

 private:
  msgpack::zone zone_;
  msgpack::object root_;
};

// Packs whatever `fill` writes with a msgpack::packer.
template <typename Fill>
std::string Packed(Fill fill) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(&buffer);
  fill(pk);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace datasync::codec_test
