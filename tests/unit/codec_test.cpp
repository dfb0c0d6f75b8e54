// Round trips and the encoded layout (docs/wire-format.md). Rejection of bad
// input is in codec_reject_test.cpp, fuzzing in codec_fuzz_test.cpp.
#include "datasync/codec.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "codec_test_util.h"

namespace datasync {
namespace {

using codec_test::Binary;
using codec_test::kMaxU64;
using codec_test::SampleBatch;
using codec_test::SampleMembers;
using codec_test::SampleRecord;
using codec_test::SampleStatus;
using codec_test::SampleVector;

// Decodes to an equal message, and re-encodes to the same bytes (one value,
// one encoding, which the digest and dedup logic may rely on).
void ExpectRoundTrip(const Message& m, const CodecLimits& limits = {}) {
  const std::string bytes = Encode(m);
  Result<Message> decoded = Decode(bytes, limits);
  ASSERT_TRUE(decoded.ok()) << MessageName(m) << ": " << decoded.status().ToString();
  EXPECT_EQ(decoded->index(), m.index());
  EXPECT_TRUE(decoded.value() == m) << MessageName(m);
  EXPECT_EQ(Encode(decoded.value()), bytes);
}

TEST(CodecRoundTrip, ChangeBatch) { ExpectRoundTrip(SampleBatch(5)); }

TEST(CodecRoundTrip, EmptyChangeBatch) { ExpectRoundTrip(ChangeBatch{"a", {}}); }

TEST(CodecRoundTrip, FieldsAtTheirLimits) {
  const CodecLimits limits;
  Record r = SampleRecord(1, std::string(kMaxNodeIdBytes, 'n'));
  r.collection = std::string(kMaxCollectionBytes, '\xfe');
  r.key = Binary(limits.max_key_bytes, 1);
  r.value = Binary(limits.max_value_bytes, 2);
  ExpectRoundTrip(ChangeBatch{r.version.origin, {r, r}}, limits);
}

TEST(CodecRoundTrip, Heartbeat) {
  ExpectRoundTrip(Heartbeat{"node-a", kMaxU64, SampleVector()});
  ExpectRoundTrip(Heartbeat{"node-a", 0, {}});
}

TEST(CodecRoundTrip, CatchUpRequestAndNext) {
  ExpectRoundTrip(CatchUpRequest{"node-b", kMaxU64, SampleVector()});
  ExpectRoundTrip(CatchUpRequest{"node-b", 0, {}});
  ExpectRoundTrip(CatchUpNext{"node-b", 77, 3});
}

TEST(CodecRoundTrip, CatchUpPage) {
  // Page records may come from any origin, unlike a ChangeBatch's.
  std::vector<Record> records = SampleBatch(4).records;
  records.push_back(SampleRecord(9, "other"));
  ExpectRoundTrip(CatchUpPage{"node-b", 1, records, false, {}, Code::kOk, "", 4});
  ExpectRoundTrip(CatchUpPage{"node-b", 1, {}, true, SampleVector(), Code::kOk, ""});
  ExpectRoundTrip(CatchUpPage{
      "node-b", 2, {}, true, {}, Code::kBusy, "snapshot expired \xe2\x9c\x97"});
}

TEST(CodecRoundTrip, ClientRequestEveryOp) {
  for (uint8_t op = 1; op <= kMaxClientOp; ++op) {
    ClientRequest req{op, static_cast<ClientOp>(op), "", "", "", "", 0, op % 2 == 0, {}};
    ExpectRoundTrip(req);
    req.collection = "orders";
    req.key = std::string("\0\0k", 3);
    req.value = Binary(1000, op);
    req.prefix = std::string("\xff\0", 2);
    req.limit = kMaxU64;
    ExpectRoundTrip(req);
    req.writes = {{"orders", "k1", Binary(100, op), false}, {"o", std::string(1, '\0'), "", true}};
    ExpectRoundTrip(req);
  }
}

TEST(CodecRoundTrip, ClientReplyWithStatus) {
  ExpectRoundTrip(ClientReply{kMaxU64, Code::kOk, "", {}, "", SampleStatus()});
  NodeStatus bare;
  bare.node_id = "x";
  ExpectRoundTrip(ClientReply{1, Code::kOk, "", {}, "", bare});
}

TEST(CodecRoundTrip, ClientReplyEveryCode) {
  for (int c = 0; c <= static_cast<int>(Code::kUnavailable); ++c) {
    ExpectRoundTrip(ClientReply{3, static_cast<Code>(c), "why", SampleBatch(3).records,
                                "0123abcd", std::nullopt});
  }
}

TEST(CodecRoundTrip, Membership) {
  ExpectRoundTrip(Join{SampleMembers()[0]});
  ExpectRoundTrip(Welcome{12, 250, SampleMembers()});
  ExpectRoundTrip(Welcome{0, 0, {}});
  ExpectRoundTrip(Membership{kMaxU64, SampleMembers()});
  ExpectRoundTrip(Ping{"a", 13});
  ExpectRoundTrip(Leave{"a"});
  ExpectRoundTrip(Shutdown{true});
  ExpectRoundTrip(Shutdown{false});
}

TEST(CodecRoundTrip, EverySampleMessage) {
  const std::vector<Message> samples = codec_test::SampleMessages();
  ASSERT_EQ(samples.size(), std::variant_size_v<Message>);
  for (const Message& m : samples) ExpectRoundTrip(m);
}

TEST(CodecEncode, EnvelopeBytes) {
  // [1, 13, true] and [1, 11, "a", 13]: the spec's own examples.
  EXPECT_EQ(Encode(Shutdown{true}), std::string("\x93\x01\x0d\xc3"));
  EXPECT_EQ(Encode(Ping{"a", 13}), std::string("\x94\x01\x0b\xa1"
                                               "a"
                                               "\x0d"));
}

TEST(CodecEncode, TypeNumbersFollowTheSpec) {
  const std::vector<Message> samples = codec_test::SampleMessages();
  for (size_t i = 0; i < samples.size(); ++i) {
    codec_test::Tree tree(samples[i]);
    EXPECT_EQ(tree.At(0).via.u64, kProtocolVersion);
    EXPECT_EQ(tree.At(1).via.u64, i + 1) << MessageName(samples[i]);
  }
}

TEST(CodecEncode, RecordLayout) {
  codec_test::Tree tree(ChangeBatch{"node-a", {SampleRecord()}});
  msgpack::object& record = tree.At(tree.At(3), 0);
  ASSERT_EQ(record.via.array.size, 7u);
  using msgpack::type::object_type;
  const object_type want[] = {object_type::STR,
                              object_type::BIN,
                              object_type::BIN,
                              object_type::BOOLEAN,
                              object_type::POSITIVE_INTEGER,
                              object_type::STR,
                              object_type::POSITIVE_INTEGER};
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(record.via.array.ptr[i].type, want[i]) << i;
}

TEST(CodecEncode, EncodeToAppendsAndReusesCapacity) {
  std::string out = "prefix";
  EncodeTo(SampleBatch(), &out);
  EXPECT_EQ(out, "prefix" + Encode(SampleBatch()));
  out.clear();
  const size_t capacity = out.capacity();
  EncodeTo(Leave{"a"}, &out);
  EXPECT_EQ(out, Encode(Leave{"a"}));
  EXPECT_EQ(out.capacity(), capacity);
}

TEST(CodecEncode, ReplyFromRecordPointersEncodesAsTheReplyHoldingThem) {
  const std::vector<Record> records = SampleBatch(3).records;
  ClientReply head{7, Code::kOk, "", {}, "ab12", SampleStatus()};
  ClientReply whole = head;
  whole.records = records;
  std::string out = "prefix";
  EncodeReplyTo(head, {&records[0], &records[1], &records[2]}, &out);
  EXPECT_EQ(out, "prefix" + Encode(whole));
  out.clear();
  EncodeReplyTo(ClientReply{}, {}, &out);
  EXPECT_EQ(out, Encode(ClientReply{}));
}

TEST(CodecDecode, AcceptsAnyIntegerFormOfAUint) {
  // [1, 11, "a", 13] with 1 as uint64 and 13 as int8: the same values.
  const std::string bytes = codec_test::Packed([](auto& pk) {
    pk.pack_array(4);
    pk.pack_fix_uint64(1);
    pk.pack_fix_int8(11);
    pk.pack(std::string("a"));
    pk.pack_fix_int8(13);
  });
  Result<Message> m = Decode(bytes);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m.value() == Message(Ping{"a", 13}));
}

TEST(CodecDecode, AcceptsUnsortedVector) {
  const std::string bytes = codec_test::Packed([](auto& pk) {
    pk.pack_array(5);
    pk.pack(1);
    pk.pack(2);
    pk.pack(std::string("a"));
    pk.pack(5);
    pk.pack_map(2);
    pk.pack(std::string("z"));
    pk.pack(1);
    pk.pack(std::string("b"));
    pk.pack(2);
  });
  Result<Message> m = Decode(bytes);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(std::get<Heartbeat>(m.value()).vv, VersionVector({{"b", 2}, {"z", 1}}));
}

TEST(CodecMessageName, NamesEveryType) {
  const char* want[] = {"change_batch",  "heartbeat",     "catch_up_request",
                        "catch_up_next", "catch_up_page", "client_request",
                        "client_reply",  "join",          "welcome",
                        "membership",    "ping",          "leave",
                        "shutdown"};
  const std::vector<Message> samples = codec_test::SampleMessages();
  for (size_t i = 0; i < samples.size(); ++i)
    EXPECT_STREQ(MessageName(samples[i]), want[i]);
}

}  // namespace
}  // namespace datasync
