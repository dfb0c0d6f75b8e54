// What the decoder must reject (docs/wire-format.md, "Rejection"): each test
// is one kind of malformed input, made by editing a valid encoding or by
// packing raw msgpack. Size limits are in codec_limits_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "codec_test_util.h"
#include "datasync/codec.h"

namespace datasync {
namespace {

using codec_test::ExpectRejected;
using codec_test::kMaxU64;
using codec_test::Packed;
using codec_test::SampleBatch;
using codec_test::Tree;
using msgpack::type::object_type;

// [1, type, fields...] packed by hand.
template <typename Fill>
std::string Envelope(uint64_t type, uint32_t fields, Fill fill) {
  return Packed([&](auto& pk) {
    pk.pack_array(2 + fields);
    pk.pack(kProtocolVersion);
    pk.pack(type);
    fill(pk);
  });
}

// A heartbeat from "a" whose vector is whatever `fill_vv` packs.
template <typename Fill>
std::string HeartbeatWithVector(Fill fill_vv) {
  return Envelope(2, 3, [&](auto& pk) {
    pk.pack(std::string("a"));
    pk.pack(1);
    fill_vv(pk);
  });
}

// Record i of a ChangeBatch tree (the records array is field 1, element 3).
msgpack::object& RecordField(Tree& t, size_t record, size_t field) {
  return Tree::At(Tree::At(t.At(3), record), field);
}

TEST(CodecReject, EmptyInput) { ExpectRejected("", "empty message"); }

TEST(CodecReject, TruncatedAtEveryPrefix) {
  for (const Message& m : codec_test::SampleMessages()) {
    const std::string bytes = Encode(m);
    for (size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(std::string(MessageName(m)) + " cut at " + std::to_string(n));
      ASSERT_FALSE(Decode(bytes.substr(0, n)).ok());
    }
  }
  ExpectRejected(Encode(SampleBatch()).substr(0, 40), "truncated");
}

TEST(CodecReject, TrailingBytes) {
  ExpectRejected(Encode(Leave{"a"}) + '\0', "1 trailing bytes");
  ExpectRejected(Encode(Leave{"a"}) + Encode(Leave{"b"}), "trailing bytes");
}

TEST(CodecReject, NotAnArray) {
  ExpectRejected(Packed([](auto& pk) { pk.pack_map(0); }),
                 "message: expected array, got map");
  ExpectRejected(Packed([](auto& pk) { pk.pack(7); }),
                 "message: expected array, got uint");
  ExpectRejected(Packed([](auto& pk) { pk.pack(std::string("hi")); }), "got str");
}

TEST(CodecReject, EnvelopeTooShort) {
  ExpectRejected(Packed([](auto& pk) { pk.pack_array(0); }), "got an array of 0");
  ExpectRejected(Packed([](auto& pk) { pk.pack_array(1).pack(1); }), "got an array of 1");
}

TEST(CodecReject, WrongProtocolVersion) {
  for (uint64_t version : {uint64_t{0}, uint64_t{2}, kMaxU64}) {
    const std::string bytes =
        Packed([&](auto& pk) { pk.pack_array(3).pack(version).pack(13).pack(true); });
    ExpectRejected(bytes, "unsupported protocol version " + std::to_string(version));
  }
}

TEST(CodecReject, VersionNotAUint) {
  Tree t(Shutdown{});
  t.At(0) = t.Make(std::string("1"));
  ExpectRejected(t.Bytes(), "version: expected uint, got str");
}

TEST(CodecReject, UnknownType) {
  for (uint64_t type : {0, 14, 255, 256, 65536}) {
    ExpectRejected(Envelope(type, 1, [](auto& pk) { pk.pack(true); }),
                   "unknown message type " + std::to_string(type));
  }
}

TEST(CodecReject, NegativeType) {
  Tree t(Shutdown{});
  t.At(1) = t.Make(-13);
  ExpectRejected(t.Bytes(), "type: expected uint, got negative int");
}

TEST(CodecReject, HugeType) {
  ExpectRejected(Envelope(kMaxU64, 1, [](auto& pk) { pk.pack(true); }),
                 "unknown message type 18446744073709551615");
}

TEST(CodecReject, WrongFieldCount) {
  for (const Message& m : codec_test::SampleMessages()) {
    SCOPED_TRACE(MessageName(m));
    Tree fewer(m);
    fewer.root().via.array.size -= 1;
    ExpectRejected(fewer.Bytes(), std::string(MessageName(m)) + ": expected ");
    Tree more(m);
    more.Append(more.root(), more.Make(0));
    ExpectRejected(more.Bytes(), " fields, got ");
  }
}

TEST(CodecReject, RecordKeyIsStrNotBin) {
  Tree t(SampleBatch());
  RecordField(t, 3, 1).type = object_type::STR;  // same payload layout as bin
  ExpectRejected(t.Bytes(), "change_batch.records[3].key: expected bin, got str");
}

TEST(CodecReject, RecordFieldsOfWrongType) {
  struct Case {
    size_t field;
    msgpack::object (*make)(Tree&);
    const char* want;
  };
  const Case cases[] = {
      {0, [](Tree& t) { return t.Make(std::vector<char>{'o'}); },
       "records[0].collection: expected str, got bin"},
      {2, [](Tree& t) { return t.Make(std::string("v")); },
       "value: expected bin, got str"},
      {3, [](Tree& t) { return t.Make(1); },
       "records[0].deleted: expected bool, got uint"},
      {4, [](Tree& t) { return t.Make(std::string("12")); },
       "hlc: expected uint, got str"},
      {4, [](Tree& t) { return t.Make(1.5); }, "hlc: expected uint, got float64"},
      {5, [](Tree&) { return msgpack::object(); }, "origin: expected str, got nil"},
      {6, [](Tree& t) { return t.Make(-1); }, "seq: expected uint, got negative int"},
  };
  for (const Case& c : cases) {
    Tree t(SampleBatch());
    RecordField(t, 0, c.field) = c.make(t);
    ExpectRejected(t.Bytes(), c.want);
  }
}

TEST(CodecReject, RecordNotASevenArray) {
  Tree t(SampleBatch());
  Tree::At(t.At(3), 2).via.array.size = 6;
  ExpectRejected(t.Bytes(), "records[2]: expected an array of 7 elements, got 6");
  Tree u(SampleBatch());
  Tree::At(u.At(3), 0) = u.Make(std::string("record"));
  ExpectRejected(u.Bytes(), "records[0]: expected array, got str");
}

TEST(CodecReject, MessageFieldsOfWrongType) {
  Tree hb(Heartbeat{"a", 5, codec_test::SampleVector()});
  hb.At(3) = hb.Make(2.5);
  ExpectRejected(hb.Bytes(), "heartbeat.hlc: expected uint, got float64");
  Tree vv(Heartbeat{"a", 5, {}});
  vv.At(4) = vv.Make(std::vector<int>{1});
  ExpectRejected(vv.Bytes(), "heartbeat.vv: expected map, got array");
  Tree sd(Shutdown{true});
  sd.At(2) = sd.Make(1);
  ExpectRejected(sd.Bytes(), "shutdown.cluster: expected bool, got uint");
  Tree rp(ClientReply{});
  rp.At(7) = rp.Make(std::string("ok"));
  ExpectRejected(rp.Bytes(), "client_reply.status: expected array, got str");
  Tree cb(SampleBatch());
  cb.At(3) = cb.Make(std::map<std::string, int>{{"r", 1}});
  ExpectRejected(cb.Bytes(), "change_batch.records: expected array, got map");
  ExpectRejected(HeartbeatWithVector([](auto& pk) {
                   pk.pack_map(1).pack(std::string("b")).pack(std::string("1"));
                 }),
                 "heartbeat.vv[0].seq: expected uint, got str");
}

TEST(CodecReject, InvalidNodeIds) {
  for (const std::string& bad :
       {std::string(""), std::string("a b"), std::string(65, 'n'),
        std::string("\xc3\xa9"), std::string("a\0", 2)}) {
    Tree t(Heartbeat{"a", 1, {}});
    t.At(2) = t.Make(bad);
    ExpectRejected(t.Bytes(), "heartbeat.origin:");
  }
  ExpectRejected(HeartbeatWithVector(
                     [](auto& pk) { pk.pack_map(1).pack(std::string("x/y")).pack(1); }),
                 "heartbeat.vv[0].origin: invalid node id");
  Tree member(Welcome{1, 1, codec_test::SampleMembers()});
  Tree::At(Tree::At(member.At(4), 1), 0) = member.Make(std::string("b:2"));
  ExpectRejected(member.Bytes(), "welcome.members[1].id: invalid node id");
}

TEST(CodecReject, InvalidCollections) {
  Tree empty(SampleBatch());
  RecordField(empty, 1, 0) = empty.Make(std::string());
  ExpectRejected(empty.Bytes(), "records[1].collection: invalid collection");
  Tree nul(SampleBatch());
  RecordField(nul, 1, 0) = nul.Make(std::string("or\0ders", 7));
  ExpectRejected(nul.Bytes(), "records[1].collection: invalid collection");
  ClientRequest req{1, ClientOp::kGet, "orders", "k", "", "", 0, false, {}};
  Tree client(req);
  client.At(4) = client.Make(std::string("\0", 1));
  ExpectRejected(client.Bytes(), "client_request.collection: invalid collection");
}

TEST(CodecReject, EmptyRecordKey) {
  Tree t(SampleBatch());
  RecordField(t, 4, 1).via.bin.size = 0;
  ExpectRejected(t.Bytes(), "change_batch.records[4].key: empty");
}

TEST(CodecReject, ZeroSeqInVector) {
  ExpectRejected(HeartbeatWithVector([](auto& pk) {
                   pk.pack_map(2).pack(std::string("a")).pack(3);
                   pk.pack(std::string("b")).pack(0);
                 }),
                 "heartbeat.vv[1]: origin 'b' has seq 0");
}

// A seq near 2^64 would make the receiver's own next seq wrap to zero.
TEST(CodecReject, VectorSeqAboveMax) {
  ExpectRejected(HeartbeatWithVector([](auto& pk) {
                   pk.pack_map(1).pack(std::string("a")).pack(kMaxSeq + 1);
                 }),
                 "heartbeat.vv[0]: origin 'a' has seq 9223372036854775808, above 2^63-1");
}

TEST(CodecReject, DuplicateVectorOrigin) {
  ExpectRejected(HeartbeatWithVector([](auto& pk) {
                   pk.pack_map(2).pack(std::string("a")).pack(3);
                   pk.pack(std::string("a")).pack(4);
                 }),
                 "heartbeat.vv[1]: duplicate origin 'a'");
}

TEST(CodecReject, EnumsOutOfRange) {
  for (uint64_t op : {uint64_t{0}, uint64_t{kMaxClientOp} + 1, uint64_t{256}, kMaxU64}) {
    Tree t(ClientRequest{});
    t.At(3) = t.Make(op);
    ExpectRejected(t.Bytes(),
                   "client_request.op: unknown client op " + std::to_string(op));
  }
  for (uint64_t code : {uint64_t{1000}, uint64_t{1} << 31, uint64_t{1} << 32, kMaxU64}) {
    Tree reply(ClientReply{});
    reply.At(3) = reply.Make(code);
    ExpectRejected(reply.Bytes(), "client_reply.code: unknown status code");
    Tree page(CatchUpPage{"b", 1, {}, true, {}, Code::kOk, ""});
    page.At(7) = page.Make(code);
    ExpectRejected(page.Bytes(), "catch_up_page.error: unknown status code");
  }
}

TEST(CodecReject, MalformedBatchWrite) {
  ClientRequest req{1, ClientOp::kWriteBatch, "", "", "", "", 0, false, {}};
  req.writes = {{"c", "k", "v", false}, {"c", "k2", "v", false}};
  Tree t(req);
  t.At(10).via.array.ptr[1].via.array.size = 3;  // a write of three fields
  ExpectRejected(t.Bytes(), "client_request.writes[1]");
  Tree wrong(req);
  wrong.At(10).via.array.ptr[0].via.array.ptr[3] = wrong.Make(7);  // deleted: not a bool
  ExpectRejected(wrong.Bytes(), "client_request.writes[0]");
}

TEST(CodecReject, RecordFromAnotherOrigin) {
  ChangeBatch batch = SampleBatch(3);
  batch.records[2].version.origin = "node-z";
  ExpectRejected(
      Encode(batch),
      "change_batch.records[2].origin: differs from the batch's origin 'node-a'");
}

TEST(CodecReject, TombstoneWithValue) {
  ChangeBatch batch = SampleBatch(3);
  batch.records[1].value = "ghost";
  ExpectRejected(Encode(batch), "records[1].value: a tombstone carries no value");
}

TEST(CodecReject, RecordSeqZero) {
  ChangeBatch batch = SampleBatch(3);
  batch.records[0].seq = 0;
  ExpectRejected(Encode(batch), "records[0].seq: must be 1..2^63-1");
  batch.records[0].seq = kMaxSeq + 1;
  ExpectRejected(Encode(batch), "records[0].seq: must be 1..2^63-1");
  batch.records[0].seq = kMaxSeq;
  EXPECT_TRUE(Decode(Encode(batch)).ok());
}

TEST(CodecReject, DuplicateNames) {
  std::vector<MemberInfo> members = codec_test::SampleMembers();
  members[1].id = members[0].id;
  ExpectRejected(Encode(Membership{1, members}), "membership.members[1].id: duplicate");
  Tree t(ClientReply{1, Code::kOk, "", {}, "", codec_test::SampleStatus()});
  msgpack::object& counters = Tree::At(t.At(7), 7);
  counters.via.map.ptr[1].key = counters.via.map.ptr[0].key;
  ExpectRejected(t.Bytes(), "client_reply.status.counters[1].name: duplicate");
}

TEST(CodecReject, ExtValues) {
  static const char kExt[] = {5, 'x'};  // ext type 5, one byte of payload
  Tree t(Shutdown{});
  t.At(2).type = object_type::EXT;
  t.At(2).via.ext.ptr = kExt;
  t.At(2).via.ext.size = 1;
  ExpectRejected(t.Bytes(), "msgpack ext values are not part of the protocol");
}

TEST(CodecReject, ReservedByte) {
  ExpectRejected("\xc1", "malformed msgpack at byte 0");
  ExpectRejected(std::string("\x93\x01\x0d\xc1", 4), "malformed msgpack at byte 3");
}

TEST(CodecReject, HugeExt) {
  // ext32 of 4 GiB - 1 bytes: msgpack-cxx throws for this on 32-bit hosts and
  // waits for the body on 64-bit ones; either way it is a plain rejection.
  ExpectRejected(std::string("\xc9\xff\xff\xff\xff\x01", 6), "");
}

}  // namespace
}  // namespace datasync
