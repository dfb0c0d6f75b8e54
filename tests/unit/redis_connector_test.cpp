// The redis connector's pure parts (targets, keys, values), and RedisBackend
// on a real redis-server driven the way ConnectorDriver drives it: what a
// crash at each point leaves behind, own writes not captured, versions.
#include <gtest/gtest.h>

#include <chrono>
#include <msgpack.hpp>
#include <thread>

#include "connectors/redis/redis_backend.h"
#include "testutil/redis_server.h"
#include "testutil/temp_dir.h"

namespace datasync::redis_connector {
namespace {

TEST(RedisTargetTest, Forms) {
  RedisTarget t;
  std::string error;
  ASSERT_TRUE(ParseRedisTarget("redis://10.0.0.1:6380/3", &t, &error)) << error;
  EXPECT_EQ(t.host, "10.0.0.1");
  EXPECT_EQ(t.port, 6380);
  EXPECT_EQ(t.db, 3);
  ASSERT_TRUE(ParseRedisTarget("cache:7000", &t, &error)) << error;
  EXPECT_EQ(t.host, "cache");
  EXPECT_EQ(t.db, 0);
  for (const char* bad : {"redis://h", "h:", ":1", "h:0", "h:70000", "h:1/x", "h:1/", "h:p"}) {
    EXPECT_FALSE(ParseRedisTarget(bad, &t, &error)) << bad;
  }
}

ConnectorConfig TwoPrefixes(const std::string& target = "h:1") {
  ConnectorConfig c;
  c.name = "r";
  c.type = ConnectorType::kRedis;
  c.target = target;
  c.map = {{"k:", "kv", RedisType::kString}, {"h:", "hs", RedisType::kHash}};
  return c;
}

TEST(RedisValuesTest, KeysMapToOneEntryOrNone) {
  ConnectorConfig c = TwoPrefixes();
  EXPECT_EQ(MappingOfKey(c, "k:1"), &c.map[0]);
  EXPECT_EQ(MappingOfKey(c, "h:x:y"), &c.map[1]);
  EXPECT_EQ(MappingOfKey(c, "k:"), nullptr);  // the empty record key
  EXPECT_EQ(MappingOfKey(c, "other"), nullptr);
  c.map = {{"", "all", RedisType::kString}};
  EXPECT_EQ(MappingOfKey(c, "anything"), &c.map[0]);
  EXPECT_EQ(MappingOfKey(c, "_datasync:r:seen"), nullptr);
  EXPECT_EQ(MappingOfCollection(TwoPrefixes(), "hs")->table, "h:");
  EXPECT_EQ(EscapeGlob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
}

TEST(RedisValuesTest, HashesAreSortedMapsAndNumbersBecomeText) {
  const std::string v = EncodeHash({{"b", "2"}, {"a", std::string("\xff\x00", 2)}});
  Fields f;
  std::string error;
  ASSERT_TRUE(DecodeHash(v, &f, &error)) << error;
  EXPECT_EQ(f, (Fields{{"a", std::string("\xff\x00", 2)}, {"b", "2"}}));
  // An SQLite row's shape: integers, floats, NULL (left out), booleans.
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> p(buf);
  p.pack_map(5);
  p.pack(std::string("id"));
  p.pack(int64_t{-7});
  p.pack(std::string("price"));
  p.pack(2.5);
  p.pack(std::string("none"));
  p.pack_nil();
  p.pack(std::string("ok"));
  p.pack(true);
  p.pack(std::string("big"));
  p.pack(uint64_t{18446744073709551615ull});
  ASSERT_TRUE(DecodeHash(std::string(buf.data(), buf.size()), &f, &error)) << error;
  EXPECT_EQ(f, (Fields{{"big", "18446744073709551615"}, {"id", "-7"}, {"ok", "1"},
                       {"price", "2.5"}}));
  // Same fields in any order: same hash; a string of the same bytes differs.
  EXPECT_EQ(HashHash({{"a", "1"}, {"b", "2"}}), HashHash({{"b", "2"}, {"a", "1"}}));
  EXPECT_NE(HashHash({{"a", "1"}}), HashHash({{"a", "2"}}));
  EXPECT_NE(StringHash(EncodeHash({{"a", "1"}})), HashHash({{"a", "1"}}));
  // What a hash cannot hold.
  EXPECT_FALSE(DecodeHash("not msgpack \xc1", &f, &error));
  buf.clear();
  p.pack_map(1);
  p.pack(std::string("list"));
  p.pack_array(0);
  EXPECT_FALSE(DecodeHash(std::string(buf.data(), buf.size()), &f, &error));
  EXPECT_NE(error.find("field list"), std::string::npos) << error;
}

class RedisBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testutil::RedisServerBinary().empty()) {
      GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server)";
    }
    server_ = std::make_unique<testutil::RedisServer>(dir_.Sub("redis"));
    ASSERT_TRUE(server_->Start());
  }
  std::unique_ptr<RedisBackend> OpenBackend() {
    auto b = std::make_unique<RedisBackend>(TwoPrefixes(server_->url()));
    Status s = b->Open();
    EXPECT_TRUE(s.ok()) << s.message();
    return b;
  }
  // Reads once the notifications of what the test just wrote are in.
  ConnectorCaptured Read(RedisBackend* b, const std::string& after,
                         std::vector<ConnectorFailure>* failures = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      Result<bool> dirty = b->Poll();
      if (!dirty.ok() || dirty.value()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // poll interval
    }
    ConnectorCaptured out;
    out.position = after;
    std::vector<ConnectorFailure> ignored;
    Status s = b->ReadChanges(after, 1000, &out, failures ? failures : &ignored);
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }
  static Record Rec(const std::string& key, const std::string& value, uint64_t hlc) {
    return Record{"kv", key, value, false, Version{hlc, "n"}, hlc};
  }

  testutil::TempDir dir_{"redis-backend"};
  std::unique_ptr<testutil::RedisServer> server_;
};

TEST_F(RedisBackendTest, ABatchCountsAsCapturedExactlyWhenTheNodeCommittedIt) {
  server_->Run({"SET", "k:1", "a"});
  server_->Run({"HSET", "h:1", "f", "1"});
  auto b = OpenBackend();
  ConnectorCaptured first = Read(b.get(), "");
  ASSERT_EQ(first.changes.size(), 2u);
  Fields f;
  std::string error;
  ASSERT_TRUE(DecodeHash(first.changes[0].value, &f, &error)) << error;  // h:1 sorts first
  EXPECT_EQ(f, (Fields{{"f", "1"}}));
  EXPECT_EQ(first.changes[1].value, "a");

  // Killed before the node committed it: captured again, the same.
  b.reset();
  b = OpenBackend();
  ConnectorCaptured again = Read(b.get(), "");
  EXPECT_EQ(again.changes, first.changes);
  // Killed after the node committed it, before Consumed(): not again.
  b.reset();
  b = OpenBackend();
  ConnectorCaptured none = Read(b.get(), again.position);
  EXPECT_TRUE(none.changes.empty());
  EXPECT_EQ(none.position, again.position);
  EXPECT_TRUE(server_->Keys("_datasync:r:pending").empty());

  // Changed and deleted while nobody watched: found by the open's scan.
  b.reset();
  server_->Run({"DEL", "k:1"});
  server_->Run({"SET", "k:2", "b"});
  b = OpenBackend();
  ConnectorCaptured away = Read(b.get(), again.position);
  ASSERT_EQ(away.changes.size(), 2u);
  EXPECT_TRUE(away.changes[0].deleted);
  EXPECT_EQ(away.changes[0].key, "1");
  EXPECT_EQ(away.changes[1].value, "b");
  ASSERT_TRUE(b->Consumed(away.position).ok());
  EXPECT_EQ(b->Backlog(away.position).value(), 0u);
}

TEST_F(RedisBackendTest, OwnWritesAreNotCapturedAndVersionsOrderWrites) {
  auto b = OpenBackend();
  ConnectorApply batch;
  batch.records = {Rec("3", "x", 5)};
  batch.vv = VersionVector({{"n", 5}});
  batch.has_vv = true;
  ConnectorBackend::ApplyResult result;
  ASSERT_TRUE(b->Apply(batch, "", &result).ok());
  EXPECT_EQ(result.applied, 1u);
  EXPECT_EQ(server_->Get("k:3"), "x");
  EXPECT_TRUE(Read(b.get(), "").changes.empty());  // its notification came, and was ours
  EXPECT_EQ(b->AppliedVector().value(), VersionVector({{"n", 5}}));

  // An older version, or the same again, does not overwrite.
  result = {};
  batch.records = {Rec("3", "old", 4)};
  ASSERT_TRUE(b->Apply(batch, "", &result).ok());
  EXPECT_EQ(result.skipped, 1u);
  EXPECT_EQ(server_->Get("k:3"), "x");

  // Changed by the application, not captured yet: left alone, then captured.
  server_->Run({"SET", "k:3", "app"});
  result = {};
  batch.records = {Rec("3", "newer", 9)};
  ASSERT_TRUE(b->Apply(batch, "", &result).ok());
  EXPECT_EQ(result.skipped, 1u);
  EXPECT_EQ(server_->Get("k:3"), "app");
  ConnectorCaptured c = Read(b.get(), "");
  ASSERT_EQ(c.changes.size(), 1u);
  EXPECT_EQ(c.changes[0].value, "app");

  // A key of another type: a failure with its key, on capture and on apply.
  ASSERT_TRUE(b->Consumed(c.position).ok());
  server_->Run({"LPUSH", "k:list", "x"});
  std::vector<ConnectorFailure> failures;
  EXPECT_TRUE(Read(b.get(), c.position, &failures).changes.empty());
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].key, "list");
  EXPECT_NE(failures[0].message.find("another type"), std::string::npos) << failures[0].message;
  result = {};
  batch.records = {Rec("list", "v", 10)};
  ASSERT_TRUE(b->Apply(batch, c.position, &result).ok());
  ASSERT_EQ(result.failures.size(), 1u);

  // Uninstall leaves no key of its own.
  ASSERT_TRUE(b->Uninstall().ok());
  EXPECT_TRUE(server_->Keys("_datasync:*").empty());
}

}  // namespace
}  // namespace datasync::redis_connector
