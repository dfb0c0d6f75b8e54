#include "datasync/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include "testutil/config_samples.h"

namespace datasync {
namespace {

constexpr const char* kMinimal = testutil::kMinimalNodeYaml;

constexpr char kFull[] = R"(node:
  id: node-1
  data_dir: /srv/datasync/node-1
  mode: receive-only
endpoints:
  api: tcp://*:7101
  pub: ipc:///tmp/datasync-node-1.pub
  sync: tcp://[::1]:7103
coordinator: tcp://coordinator.local:7000
peers:
  - id: b
    pub: tcp://10.0.0.2:7102
    sync: tcp://10.0.0.2:7103
  - { id: c, pub: "inproc://c-pub", sync: inproc://c-sync }
store: { type: sqlite, sync: true }
replication:
  heartbeat_ms: 250
  anti_entropy_ms: 2s
  catch_up_timeout_ms: 1m
  catch_up_page_records: 512
  publish_batch_records: 256
  max_clock_offset_ms: 750ms
  group_commit_ms: 0
  group_commit_max: 128
limits:
  max_message_bytes: 1048576
  max_key_bytes: 1024
  max_value_bytes: 65536
  max_pending_requests: 5000
  max_watch_bytes: 8388608
transport: { sndhwm: 0, rcvhwm: 2000, pub_queue_bytes: 16777216 }
log: { level: debug }
)";

TEST(NodeConfigTest, MinimalUsesDefaults) {
  Result<NodeConfig> r = ParseNodeConfig(kMinimal, "node.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const NodeConfig& c = r.value();
  const ReplicaOptions defaults;
  EXPECT_EQ(c.file, "node.yaml");
  EXPECT_EQ(c.id(), "a");
  EXPECT_EQ(c.replica.node_id, "a");
  EXPECT_EQ(c.replica.mode, NodeMode::kBoth);
  EXPECT_EQ(c.data_dir, "./var/a");
  EXPECT_EQ(c.endpoints, (NodeEndpoints{"tcp://127.0.0.1:7101", "tcp://127.0.0.1:7102",
                                        "tcp://127.0.0.1:7103"}));
  EXPECT_EQ(c.advertised, c.endpoints);
  EXPECT_FALSE(c.coordinator.has_value());
  EXPECT_TRUE(c.peers.empty());
  EXPECT_EQ(c.store.type, StoreType::kRocksDb);
  EXPECT_FALSE(c.store.sync);
  EXPECT_EQ(c.replica.heartbeat_ms, defaults.heartbeat_ms);
  EXPECT_EQ(c.replica.anti_entropy_ms, defaults.anti_entropy_ms);
  EXPECT_EQ(c.replica.catch_up_page_records, defaults.catch_up_page_records);
  EXPECT_EQ(c.replica.max_key_bytes, CodecLimits{}.max_key_bytes);
  EXPECT_EQ(c.limits.max_message_bytes, CodecLimits{}.max_message_bytes);
  EXPECT_EQ(c.group_commit_ms, 1u);
  EXPECT_EQ(c.group_commit_max, 4096u);
  EXPECT_EQ(c.max_pending_requests, 100000u);
  EXPECT_EQ(c.max_watch_bytes, size_t{128} << 20);
  EXPECT_EQ(c.pub_queue_bytes, uint64_t{256} << 20);
  EXPECT_EQ(c.sndhwm, 100000);
  EXPECT_EQ(c.rcvhwm, 100000);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
}

TEST(NodeConfigTest, FullSetsEveryKey) {
  Result<NodeConfig> r = ParseNodeConfig(kFull, "full.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const NodeConfig& c = r.value();
  EXPECT_EQ(c.id(), "node-1");
  EXPECT_EQ(c.replica.mode, NodeMode::kReceiveOnly);
  EXPECT_EQ(c.data_dir, "/srv/datasync/node-1");
  EXPECT_EQ(c.endpoints.api, "tcp://*:7101");
  EXPECT_EQ(c.endpoints.pub, "ipc:///tmp/datasync-node-1.pub");
  EXPECT_EQ(c.endpoints.sync, "tcp://[::1]:7103");
  EXPECT_EQ(c.coordinator, "tcp://coordinator.local:7000");
  ASSERT_EQ(c.peers.size(), 2u);
  EXPECT_EQ(c.peers[0], (PeerConfig{"b", "tcp://10.0.0.2:7102", "tcp://10.0.0.2:7103"}));
  EXPECT_EQ(c.peers[1], (PeerConfig{"c", "inproc://c-pub", "inproc://c-sync"}));
  EXPECT_EQ(c.store.type, StoreType::kSqlite);
  EXPECT_TRUE(c.store.sync);
  EXPECT_EQ(c.replica.heartbeat_ms, 250u);
  EXPECT_EQ(c.replica.anti_entropy_ms, 2000u);
  EXPECT_EQ(c.replica.catch_up_timeout_ms, 60000u);
  EXPECT_EQ(c.replica.catch_up_page_records, 512u);
  EXPECT_EQ(c.replica.publish_batch_records, 256u);
  EXPECT_EQ(c.replica.max_clock_offset_ms, 750u);
  EXPECT_EQ(c.group_commit_ms, 0u);
  EXPECT_EQ(c.group_commit_max, 128u);
  EXPECT_EQ(c.limits.max_message_bytes, 1048576u);
  EXPECT_EQ(c.limits.max_key_bytes, 1024u);
  EXPECT_EQ(c.limits.max_value_bytes, 65536u);
  EXPECT_EQ(c.replica.max_key_bytes, 1024u);
  EXPECT_EQ(c.replica.max_value_bytes, 65536u);
  EXPECT_LE(c.replica.catch_up_page_bytes, c.limits.max_message_bytes / 4);
  EXPECT_LE(c.replica.publish_batch_bytes, c.limits.max_message_bytes / 4);
  EXPECT_EQ(c.max_pending_requests, 5000u);
  EXPECT_EQ(c.max_watch_bytes, size_t{8} << 20);
  EXPECT_EQ(c.pub_queue_bytes, uint64_t{16} << 20);
  EXPECT_EQ(c.sndhwm, 0);
  EXPECT_EQ(c.rcvhwm, 2000);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
}

// A node in a container or pod: binds every interface, is reached by name.
TEST(NodeConfigTest, AdvertiseTellsPeersAHostName) {
  Result<NodeConfig> r = ParseNodeConfig(R"(node: { id: node2, data_dir: /var/lib/datasync }
endpoints:
  api: tcp://*:7101
  pub: tcp://0.0.0.0:7102
  sync: tcp://*:7103
  advertise:
    pub: tcp://node2:7102
    sync: tcp://datasync-node-2.datasync-node:7103
coordinator: tcp://coordinator:7000
)",
                                         "node.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->endpoints,
            (NodeEndpoints{"tcp://*:7101", "tcp://0.0.0.0:7102", "tcp://*:7103"}));
  // api is not advertised here, so the bound one is what members lists.
  EXPECT_EQ(r->advertised, (NodeEndpoints{"tcp://*:7101", "tcp://node2:7102",
                                          "tcp://datasync-node-2.datasync-node:7103"}));
  EXPECT_EQ(r->coordinator, "tcp://coordinator:7000");
}

TEST(NodeConfigTest, WildcardBindWithoutCoordinatorNeedsNoAdvertise) {
  Result<NodeConfig> r = ParseNodeConfig(
      "node: {id: a, data_dir: d}\nendpoints:\n  api: tcp://*:1\n  pub: tcp://*:2\n"
      "  sync: tcp://*:3\npeers:\n  - {id: b, pub: tcp://peer-b:2, sync: tcp://peer-b:3}\n",
      "node.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->advertised, r->endpoints);
}

TEST(NodeConfigTest, EmptyOptionalSectionsKeepDefaults) {
  Result<NodeConfig> r =
      ParseNodeConfig(std::string(kMinimal) + "peers:\nreplication:\nlimits: {}\n", "n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->peers.empty());
  EXPECT_EQ(r->replica.heartbeat_ms, ReplicaOptions{}.heartbeat_ms);
}

// One invalid config and the exact start of its message: FILE:LINE: key.path.
struct BadConfig {
  const char* name;
  std::string yaml;
  std::string prefix;
};

std::string Minimal(const std::string& extra) { return kMinimal + extra; }

std::string WithNode(const std::string& node_lines) {
  return "node:\n" + node_lines +
         "endpoints:\n  api: tcp://127.0.0.1:7101\n  pub: tcp://127.0.0.1:7102\n"
         "  sync: tcp://127.0.0.1:7103\n";
}

std::string WithEndpoints(const std::string& api, const std::string& pub) {
  return "node:\n  id: a\n  data_dir: d\nendpoints:\n  api: " + api + "\n  pub: " + pub +
         "\n  sync: tcp://127.0.0.1:7103\n";
}

const BadConfig kBadNodeConfigs[] = {
    {"UnknownTopLevelKey", Minimal("colour: red\n"), "node.yaml:8: colour: unknown key"},
    {"UnknownNestedKey", WithNode("  id: a\n  colour: red\n  data_dir: d\n"),
     "node.yaml:3: node.colour: unknown key"},
    {"UnknownKeyInPeer",
     Minimal("peers:\n  - {id: b, pub: tcp://h:1, sync: tcp://h:2, port: 3}\n"),
     "node.yaml:9: peers[0].port: unknown key"},
    {"DuplicateKey", WithNode("  id: a\n  data_dir: d\n  id: b\n"),
     "node.yaml:4: node.id: duplicate key (first on line 2)"},
    {"MissingNodeId", WithNode("  data_dir: d\n"),
     "node.yaml:1: node.id: required key missing"},
    {"MissingDataDir", WithNode("  id: a\n"),
     "node.yaml:1: node.data_dir: required key missing"},
    {"MissingSection", "node:\n  id: a\n  data_dir: d\n",
     "node.yaml:1: endpoints: required key missing"},
    {"MissingEndpoint",
     "node: {id: a, data_dir: d}\nendpoints:\n  api: tcp://h:1\n  pub: tcp://h:2\n",
     "node.yaml:2: endpoints.sync: required key missing"},
    {"MissingPeerSync", Minimal("peers:\n  - id: b\n    pub: tcp://h:1\n"),
     "node.yaml:9: peers[0].sync: required key missing"},
    {"EmptyId", WithNode("  id:\n  data_dir: d\n"),
     "node.yaml:2: node.id: expected a string, got an empty value"},
    {"BadNodeId", WithNode("  id: a b\n  data_dir: d\n"),
     "node.yaml:2: node.id: expected 1 to 64 characters"},
    {"LongNodeId", WithNode("  id: " + std::string(65, 'x') + "\n  data_dir: d\n"),
     "node.yaml:2: node.id: expected 1 to 64 characters"},
    {"MapWhereStringExpected", WithNode("  id: {x: 1}\n  data_dir: d\n"),
     "node.yaml:2: node.id: expected a string, got a map"},
    {"BadMode", WithNode("  id: a\n  data_dir: d\n  mode: sideways\n"),
     "node.yaml:4: node.mode: expected one of both, send-only, receive-only, got "
     "\"sideways\""},
    {"BadStoreType", Minimal("store: { type: mysql }\n"),
     "node.yaml:8: store.type: expected one of rocksdb, sqlite, memory, got \"mysql\""},
    {"StringWhereMapExpected", Minimal("store: rocksdb\n"),
     "node.yaml:8: store: expected a map, got \"rocksdb\""},
    {"NotABool", Minimal("store: { sync: yes }\n"),
     "node.yaml:8: store.sync: expected true or false, got \"yes\""},
    {"StringWhereNumberExpected", Minimal("replication:\n  heartbeat_ms: fast\n"),
     "node.yaml:9: replication.heartbeat_ms: expected a duration in milliseconds"},
    {"QuotedNumber", Minimal("transport:\n  sndhwm: \"5\"\n"),
     "node.yaml:9: transport.sndhwm: expected a non-negative integer without quotes"},
    {"NegativeNumber", Minimal("limits:\n  max_key_bytes: -1\n"),
     "node.yaml:9: limits.max_key_bytes: expected a non-negative integer, got \"-1\""},
    {"NumberOutOfRange", Minimal("replication:\n  heartbeat_ms: 0\n"),
     "node.yaml:9: replication.heartbeat_ms: must be between 1 and 86400000 ms, got "
     "\"0\""},
    {"BatchLargerThanPeersAccept",
     Minimal("replication:\n  publish_batch_records: 100000\n"),
     "node.yaml:9: replication.publish_batch_records: must be between 1 and 65536"},
    {"PubQueueBelowOneMiB", Minimal("transport:\n  pub_queue_bytes: 4096\n"),
     "node.yaml:9: transport.pub_queue_bytes: must be between 1048576 and"},
    {"WatchBudgetBelowOneReply", Minimal("limits:\n  max_watch_bytes: 1000\n"),
     "node.yaml:9: limits.max_watch_bytes: must be between 1048576 and"},
    {"RecordDoesNotFitMessage", Minimal("limits:\n  max_value_bytes: 100000000\n"),
     "node.yaml:8: limits.max_message_bytes: must be at least max_key_bytes"},
    {"MapWhereListExpected", Minimal("peers: {id: b}\n"),
     "node.yaml:8: peers: expected a list, got a map"},
    {"PeerNotAMap", Minimal("peers:\n  - b\n"),
     "node.yaml:9: peers[0]: expected a map, got \"b\""},
    {"EndpointNotZeroMq", WithEndpoints("tcp://127.0.0.1:7101", "foo"),
     "node.yaml:6: endpoints.pub: expected a ZeroMQ endpoint like tcp://127.0.0.1:7102, "
     "got \"foo\""},
    {"EndpointWithoutPort", WithEndpoints("tcp://127.0.0.1", "tcp://127.0.0.1:7102"),
     "node.yaml:5: endpoints.api: expected a ZeroMQ endpoint like tcp://127.0.0.1:7101"},
    {"EndpointPortOutOfRange", WithEndpoints("tcp://127.0.0.1:70000", "tcp://h:7102"),
     "node.yaml:5: endpoints.api: port must be 1-65535, got \"tcp://127.0.0.1:70000\""},
    {"EndpointEmptyIpcPath", WithEndpoints("ipc://", "tcp://h:7102"),
     "node.yaml:5: endpoints.api: expected a socket path after ipc://"},
    {"WildcardHostForConnect", Minimal("coordinator: tcp://*:7000\n"),
     "node.yaml:8: coordinator: host * (every interface) is only valid"},
    {"DuplicateEndpoints", WithEndpoints("tcp://*:7102", "tcp://127.0.0.1:7102"),
     "node.yaml:6: endpoints.pub: same address as endpoints.api"},
    {"WildcardPubNotAdvertised",
     "node: {id: a, data_dir: d}\nendpoints:\n  api: tcp://*:1\n  pub: tcp://*:2\n"
     "  sync: tcp://h:3\ncoordinator: tcp://c:7000\n",
     "node.yaml:4: endpoints.pub: binds every interface, so peers told by the coordinator "
     "need endpoints.advertise.pub"},
    {"AnyAddressSyncNotAdvertised",
     "node: {id: a, data_dir: d}\nendpoints:\n  api: tcp://h:1\n  pub: tcp://h:2\n"
     "  sync: tcp://0.0.0.0:3\n  advertise: {pub: tcp://a:2}\ncoordinator: tcp://c:7000\n",
     "node.yaml:5: endpoints.sync: binds every interface"},
    {"WildcardAdvertised",
     Minimal("  advertise:\n    sync: tcp://*:7103\n"),
     "node.yaml:9: endpoints.advertise.sync: host * (every interface) is only valid"},
    {"UnknownAdvertiseKey", Minimal("  advertise: {api: tcp://a:1, admin: tcp://a:2}\n"),
     "node.yaml:8: endpoints.advertise.admin: unknown key"},
    {"AdvertiseNotAMap", Minimal("  advertise: tcp://a:1\n"),
     "node.yaml:8: endpoints.advertise: expected a map"},
    {"DuplicatePeerId",
     Minimal("peers:\n  - {id: b, pub: tcp://h:1, sync: tcp://h:2}\n"
             "  - {id: b, pub: tcp://h:3, sync: tcp://h:4}\n"),
     "node.yaml:10: peers[1].id: duplicate id \"b\""},
    {"PeerWithOwnId", Minimal("peers:\n  - {id: a, pub: tcp://h:1, sync: tcp://h:2}\n"),
     "node.yaml:9: peers[0].id: duplicate id \"a\", the id of this node"},
    {"BadLogLevel", Minimal("log: { level: loud }\n"),
     "node.yaml:8: log.level: expected one of trace, debug, info, warn, error, off"},
    {"YamlSyntaxError", "node:\n  id: a\n  data_dir: [d\nendpoints: {}\n",
     "node.yaml:4: YAML syntax error: "},
    {"EmptyFile", "", "node.yaml:1: the file holds no settings"},
    {"OnlyComments", "# nothing yet\n\n", "node.yaml:1: the file holds no settings"},
    {"RootIsAList", "- node\n- endpoints\n",
     "node.yaml:1: expected a map of keys at the top level, got a list"},
    {"RootIsAString", "\n\nhello\n",
     "node.yaml:3: expected a map of keys at the top level, got \"hello\""},
    {"TwoDocuments", Minimal("---\nnode: {}\n"),
     "node.yaml:8: more after the first YAML document"},
    // yaml-cpp 0.7's LoadAll() never returns on this one.
    {"StrayComma", ",\n", "node.yaml:1: more after the first YAML document"},
};

class BadNodeConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadNodeConfigTest, ReportsFileLineAndKeyPath) {
  Result<NodeConfig> r = ParseNodeConfig(GetParam().yaml, "node.yaml");
  ASSERT_FALSE(r.ok()) << GetParam().yaml;
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  const std::string& message = r.status().message();
  EXPECT_EQ(message.substr(0, GetParam().prefix.size()), GetParam().prefix);
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Config, BadNodeConfigTest, ::testing::ValuesIn(kBadNodeConfigs),
                         [](const auto& info) { return std::string(info.param.name); });

const BadConfig kBadCoordinatorConfigs[] = {
    {"MissingBind", "coordinator:\n  heartbeat_ms: 100\n",
     "c.yaml:1: coordinator.bind: required key missing"},
    {"MissingSection", "log: { level: info }\n",
     "c.yaml:1: coordinator: required key missing"},
    {"UnknownKey", "coordinator:\n  bind: tcp://*:7000\n  port: 7000\n",
     "c.yaml:3: coordinator.port: unknown key"},
    {"BadBind", "coordinator:\n  bind: 7000\n",
     "c.yaml:2: coordinator.bind: expected a ZeroMQ endpoint like tcp://127.0.0.1:7000, "
     "got \"7000\""},
    {"TimeoutShorterThanTwoPings",
     "coordinator:\n  bind: tcp://*:7000\n  failure_timeout_ms: 800\n  heartbeat_ms: "
     "500\n",
     "c.yaml:3: coordinator.failure_timeout_ms: must be at least twice heartbeat_ms "
     "(1000)"},
    {"NegativeTimeout", "coordinator:\n  bind: tcp://*:7000\n  failure_timeout_ms: -3\n",
     "c.yaml:3: coordinator.failure_timeout_ms: expected a duration in milliseconds"},
};

class BadCoordinatorConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadCoordinatorConfigTest, ReportsFileLineAndKeyPath) {
  Result<CoordinatorConfig> r = ParseCoordinatorConfig(GetParam().yaml, "c.yaml");
  ASSERT_FALSE(r.ok()) << GetParam().yaml;
  EXPECT_EQ(r.status().message().substr(0, GetParam().prefix.size()), GetParam().prefix);
}

INSTANTIATE_TEST_SUITE_P(Config, BadCoordinatorConfigTest,
                         ::testing::ValuesIn(kBadCoordinatorConfigs),
                         [](const auto& info) { return std::string(info.param.name); });

// A scratch directory, removed with its files at the end of the test.
class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("datasync_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, LoadsNodeConfigAndRemembersTheFile) {
  const std::string path = Write("node.yaml", kMinimal);
  Result<NodeConfig> r = LoadNodeConfig(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->file, path);
  EXPECT_EQ(r->id(), "a");
}

TEST_F(ConfigFileTest, ErrorsNameTheFileAsGiven) {
  const std::string path = Write("bad.yaml", "node: [\n");
  Result<NodeConfig> r = LoadNodeConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind(path + ":", 0), 0u) << r.status().message();
}

TEST_F(ConfigFileTest, UnreadableFileIsAnIoErrorNamingIt) {
  const std::string missing = (dir_ / "missing.yaml").string();
  Result<NodeConfig> r = LoadNodeConfig(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kIoError);
  EXPECT_EQ(r.status().message().rfind(missing + ": cannot open: ", 0), 0u)
      << r.status().message();

  // A directory opens, and fails on read.
  Result<CoordinatorConfig> d = LoadCoordinatorConfig(dir_.string());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kIoError);
  EXPECT_EQ(d.status().message().rfind(dir_.string() + ": cannot read: ", 0), 0u)
      << d.status().message();
}

TEST(CoordinatorConfigTest, MinimalAndFull) {
  Result<CoordinatorConfig> min =
      ParseCoordinatorConfig("coordinator:\n  bind: tcp://127.0.0.1:7000\n", "c.yaml");
  ASSERT_TRUE(min.ok()) << min.status().message();
  EXPECT_EQ(min->file, "c.yaml");
  EXPECT_EQ(min->bind, "tcp://127.0.0.1:7000");
  EXPECT_EQ(min->failure_timeout_ms, 3000u);
  EXPECT_EQ(min->heartbeat_ms, 500u);
  EXPECT_EQ(min->log_level, LogLevel::kInfo);

  Result<CoordinatorConfig> full = ParseCoordinatorConfig(
      "coordinator:\n  bind: tcp://*:7000\n  failure_timeout_ms: 10s\n"
      "  heartbeat_ms: 1000\nlog: { level: warn }\n",
      "c.yaml");
  ASSERT_TRUE(full.ok()) << full.status().message();
  EXPECT_EQ(full->bind, "tcp://*:7000");
  EXPECT_EQ(full->failure_timeout_ms, 10000u);
  EXPECT_EQ(full->heartbeat_ms, 1000u);
  EXPECT_EQ(full->log_level, LogLevel::kWarn);
}

TEST(CheckEndpointTest, AcceptsZeroMqFormsAndRefusesTheRest) {
  EXPECT_TRUE(CheckEndpoint("tcp://127.0.0.1:1", EndpointUse::kConnect).ok());
  EXPECT_TRUE(CheckEndpoint("tcp://*:65535", EndpointUse::kBind).ok());
  EXPECT_TRUE(CheckEndpoint("ipc:///run/x.sock", EndpointUse::kBind).ok());
  EXPECT_TRUE(CheckEndpoint("inproc://x", EndpointUse::kConnect).ok());
  // Host names: service names of docker-compose, pod names of a StatefulSet.
  EXPECT_TRUE(CheckEndpoint("tcp://coordinator:7000", EndpointUse::kConnect).ok());
  EXPECT_TRUE(
      CheckEndpoint("tcp://datasync-node-1.datasync-node:7102", EndpointUse::kConnect).ok());
  EXPECT_FALSE(CheckEndpoint("tcp://*:7000", EndpointUse::kConnect).ok());
  EXPECT_FALSE(CheckEndpoint("tcp://127.0.0.1:0", EndpointUse::kBind).ok());
  EXPECT_FALSE(CheckEndpoint("tcp://127.0.0.1:*", EndpointUse::kBind).ok());
  EXPECT_FALSE(CheckEndpoint("tcp://::1:7000", EndpointUse::kBind).ok());
  EXPECT_FALSE(CheckEndpoint("ipc://" + std::string(108, 'x'), EndpointUse::kBind).ok());
  EXPECT_FALSE(CheckEndpoint("udp://127.0.0.1:7000", EndpointUse::kBind).ok());
  Status s = CheckEndpoint("localhost:7000", EndpointUse::kConnect);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("got \"localhost:7000\""), std::string::npos) << s.message();
}

TEST(NodeConfigTest, MessagesStayOnOneLine) {
  Result<NodeConfig> r =
      ParseNodeConfig(std::string(kMinimal) + "\"bad\\nkey\\u0001\": 1\n", "node.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "node.yaml:8: bad\\nkey\\x01: unknown key");
}

}  // namespace
}  // namespace datasync
