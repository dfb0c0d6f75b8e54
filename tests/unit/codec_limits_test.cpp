// CodecLimits and the allocation bound: oversize fields and counts are
// rejected with the field's path, and short inputs that declare huge
// containers are rejected before anything is allocated for them.
#include <gtest/gtest.h>

#include <string>

#include "codec_test_util.h"
#include "datasync/codec.h"

namespace datasync {
namespace {

using codec_test::ExpectRejected;
using codec_test::SampleBatch;

void ExpectAccepted(const Message& m, const CodecLimits& limits) {
  Result<Message> r = Decode(Encode(m), limits);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(CodecLimits, MessageBytes) {
  const std::string bytes = Encode(SampleBatch());
  CodecLimits limits;
  limits.max_message_bytes = bytes.size();
  EXPECT_TRUE(Decode(bytes, limits).ok());
  limits.max_message_bytes = bytes.size() - 1;
  ExpectRejected(bytes, "message of " + std::to_string(bytes.size()) + " bytes exceeds",
                 limits);
}

TEST(CodecLimits, KeyBytes) {
  CodecLimits limits;
  limits.max_key_bytes = 4;  // the sample key's size
  ExpectAccepted(SampleBatch(), limits);
  limits.max_key_bytes = 3;
  ExpectRejected(Encode(SampleBatch()),
                 "change_batch.records[0].key: bin of 4 bytes exceeds the limit of 3",
                 limits);
  ExpectRejected(Encode(ClientRequest{1, ClientOp::kScan, "c", "", "", "abcd", 0, false, {}}),
                 "client_request.prefix: bin of 4 bytes exceeds the limit of 3", limits);
}

TEST(CodecLimits, ValueBytes) {
  CodecLimits limits;
  limits.max_value_bytes = 99;  // sample values are 100 bytes
  ExpectRejected(Encode(SampleBatch()), "records[0].value: bin of 100 bytes exceeds",
                 limits);
  // Above every limit of its kind, a bin is refused while parsing, unread.
  limits.max_key_bytes = 10;
  limits.max_value_bytes = 10;
  ExpectRejected(Encode(SampleBatch()), "bin of 100 bytes exceeds the limit of 10",
                 limits);
}

TEST(CodecLimits, StringBytes) {
  CodecLimits limits;
  limits.max_string_bytes = 100;
  ExpectAccepted(ClientReply{1, Code::kBusy, std::string(100, 'm'), {}, "", {}}, limits);
  ExpectRejected(Encode(ClientReply{1, Code::kBusy, std::string(200, 'm'), {}, "", {}}),
                 "client_reply.message: str of 200 bytes exceeds the limit of 100",
                 limits);
  // Collections may always be 255 bytes, so that is the parse-time bound.
  ExpectRejected(Encode(ClientReply{1, Code::kBusy, std::string(300, 'm'), {}, "", {}}),
                 "str of 300 bytes exceeds the limit of 255", limits);
  ExpectRejected(Encode(Join{{"a", std::string(101, 'e'), "", ""}}),
                 "join.member.api: str of 101 bytes exceeds", limits);
}

TEST(CodecLimits, RecordCount) {
  CodecLimits limits;
  limits.max_records = 5;
  ExpectAccepted(SampleBatch(5), limits);
  ExpectRejected(Encode(SampleBatch(6)),
                 "change_batch.records: array of 6 entries exceeds the limit of 5",
                 limits);
  // Above every array limit, the array is refused while parsing.
  limits.max_members = 5;
  ExpectRejected(Encode(SampleBatch(17)), "array of 17 entries exceeds the limit of 16",
                 limits);
}

TEST(CodecLimits, VectorEntries) {
  CodecLimits limits;
  limits.max_vector_entries = 2;
  ExpectRejected(Encode(Heartbeat{"a", 1, codec_test::SampleVector()}),
                 "heartbeat.vv: map of 3 entries exceeds the limit of 2", limits);
  ExpectRejected(Encode(CatchUpRequest{"a", 1, codec_test::SampleVector()}),
                 "catch_up_request.since: map of 3 entries", limits);
}

TEST(CodecLimits, MembersAndStatusMaps) {
  CodecLimits limits;
  limits.max_members = 1;
  ExpectRejected(Encode(Welcome{1, 1, codec_test::SampleMembers()}),
                 "welcome.members: array of 2 entries exceeds the limit of 1", limits);
  ExpectRejected(
      Encode(ClientReply{1, Code::kOk, "", {}, "", codec_test::SampleStatus()}),
      "client_reply.status.peers: array of 2 entries", limits);
  limits = CodecLimits();
  limits.max_map_entries = 1;
  ExpectRejected(
      Encode(ClientReply{1, Code::kOk, "", {}, "", codec_test::SampleStatus()}),
      "client_reply.status.counters: map of 2 entries", limits);
}

TEST(CodecLimits, NestingDepthBomb) {
  // 100k nested one-element arrays: refused at the sixth level, long before
  // the parser's own stack could grow with it.
  std::string bomb(100000, '\x91');
  bomb += '\xc0';
  ExpectRejected(bomb, "nested deeper than 5 levels");
  // Also where a legal message nests: a vector entry's value.
  std::string deep = codec_test::Packed([](auto& pk) {
    pk.pack_array(5).pack(1).pack(2).pack(std::string("a")).pack(1);
    pk.pack_map(1).pack(std::string("b"));
    for (int i = 0; i < 5; ++i) pk.pack_array(1);
    pk.pack(1);
  });
  ExpectRejected(deep, "nested deeper than 5 levels");
}

TEST(CodecLimits, HugeDeclaredLengthsAreRefusedUnread) {
  ExpectRejected(std::string("\xdd\xff\xff\xff\xff\x01", 6),
                 "array of 4294967295 entries exceeds the limit");
  ExpectRejected(std::string("\xdf\xff\xff\xff\xff\x01", 6),
                 "map of 4294967295 entries exceeds the limit");
  // A str or bin body is only looked at once all of it is there, and then in
  // place, so a huge declared length costs nothing; the input simply ends.
  ExpectRejected(std::string("\xdb\xff\xff\xff\xff"
                             "abc",
                             8),
                 "truncated");
  ExpectRejected(std::string("\xc6\xff\xff\xff\xff"
                             "abc",
                             8),
                 "truncated");
}

TEST(CodecLimits, DeclaredElementsMustFitTheMessage) {
  // 65535 elements is within the array limit, but 5 bytes cannot hold them:
  // refused before the 1.5 MB of element slots would be allocated.
  ExpectRejected(std::string("\xdc\xff\xff\x01\x02", 5),
                 "containers declare more elements than a message of 5 bytes can hold");
  // Nested declarations add up.
  std::string nested = "\x93\x01\x01";
  nested += std::string("\x9f\x9f\x9f", 3);
  ExpectRejected(nested, "containers declare more elements");
}

}  // namespace
}  // namespace datasync
