// The node config's `connectors:` list: every key, defaults, and errors
// with their line and key path.
#include <gtest/gtest.h>

#include <string>

#include "datasync/config.h"
#include "testutil/config_samples.h"

namespace datasync {
namespace {

constexpr const char* kBase = testutil::kMinimalNodeYaml;

std::string With(const std::string& connectors) { return kBase + connectors; }

TEST(ConnectorConfigTest, NoConnectorsByDefault) {
  Result<NodeConfig> r = ParseNodeConfig(kBase, "n.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->connectors.empty());
}

TEST(ConnectorConfigTest, EveryKey) {
  Result<NodeConfig> r = ParseNodeConfig(With(R"(connectors:
  - name: shop-db
    type: sqlite
    target: /srv/shop/shop.db
    direction: capture-only
    map:
      - { table: orders, collection: orders }
      - { table: order_lines, collection: lines }
  - { name: b, type: sqlite, target: b.db, map: [ { table: t, collection: c } ] }
)"),
                                         "n.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->connectors.size(), 2u);
  const ConnectorConfig& c = r->connectors[0];
  EXPECT_EQ(c.name, "shop-db");
  EXPECT_EQ(c.type, ConnectorType::kSqlite);
  EXPECT_EQ(c.target, "/srv/shop/shop.db");
  EXPECT_EQ(c.direction, ConnectorDirection::kCaptureOnly);
  EXPECT_TRUE(c.captures());
  EXPECT_FALSE(c.applies());
  ASSERT_EQ(c.map.size(), 2u);
  EXPECT_EQ(c.map[1], (ConnectorMapping{"order_lines", "lines"}));
  EXPECT_EQ(r->connectors[1].direction, ConnectorDirection::kBoth);
  EXPECT_TRUE(r->connectors[1].captures() && r->connectors[1].applies());
}

TEST(ConnectorConfigTest, RedisKeys) {
  Result<NodeConfig> r = ParseNodeConfig(With(R"(connectors:
  - name: cache
    type: redis
    target: redis://127.0.0.1:6379/2
    map:
      - { prefix: "user:", collection: users, type: hash }
      - { prefix: "session:", collection: sessions }
  - { name: c2, type: redis, target: "localhost:6380", map: [ { prefix: "s:", collection: all } ] }
)"),
                                         "n.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->connectors.size(), 2u);
  const ConnectorConfig& c = r->connectors[0];
  EXPECT_EQ(c.type, ConnectorType::kRedis);
  EXPECT_EQ(c.direction, ConnectorDirection::kBoth);
  ASSERT_EQ(c.map.size(), 2u);
  EXPECT_EQ(c.map[0], (ConnectorMapping{"user:", "users", RedisType::kHash}));
  EXPECT_EQ(c.map[1], (ConnectorMapping{"session:", "sessions", RedisType::kString}));
  EXPECT_EQ(r->connectors[1].map[0].table, "s:");
}

TEST(ConnectorConfigTest, FilesAndWebhookKeys) {
  Result<NodeConfig> r = ParseNodeConfig(With(R"(connectors:
  - { name: f, type: files, target: /srv/docs, map: [ { collection: docs } ] }
  - name: g
    type: files
    target: /srv/rows
    format: json
    max_file_size: 4096
    direction: capture-only
    map: [ { collection: rows } ]
  - { name: h, type: webhook, target: "http://127.0.0.1:8080/in", map: [ { collection: a }, { collection: b } ] }
)"),
                                         "n.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->connectors.size(), 3u);
  EXPECT_EQ(r->connectors[0].type, ConnectorType::kFiles);
  EXPECT_EQ(r->connectors[0].format, FilesFormat::kBytes);
  EXPECT_EQ(r->connectors[0].max_file_size, 1u << 20);  // limits.max_value_bytes
  EXPECT_EQ(r->connectors[0].map[0], (ConnectorMapping{"", "docs"}));
  EXPECT_EQ(r->connectors[1].format, FilesFormat::kJson);
  EXPECT_EQ(r->connectors[1].max_file_size, 4096u);
  EXPECT_EQ(r->connectors[2].type, ConnectorType::kWebhook);
  EXPECT_EQ(r->connectors[2].direction, ConnectorDirection::kApplyOnly);  // its default
  EXPECT_EQ(r->connectors[2].map.size(), 2u);
}

struct BadConnector {
  const char* name;
  std::string yaml;
  std::string prefix;
};

const BadConnector kBad[] = {
    {"NotAList", With("connectors: sqlite\n"),
     "n.yaml:8: connectors: expected a list, got \"sqlite\""},
    {"UnknownKey",
     With("connectors:\n  - { name: x, type: sqlite, target: t, map: [], colour: red }\n"),
     "n.yaml:9: connectors[0].colour: unknown key"},
    {"MissingName", With("connectors:\n  - { type: sqlite, target: t }\n"),
     "n.yaml:9: connectors[0].name: required key missing"},
    {"BadName", With("connectors:\n  - { name: a b, type: sqlite }\n"),
     "n.yaml:9: connectors[0].name: expected 1 to 64 characters"},
    {"MissingType", With("connectors:\n  - { name: x, target: t }\n"),
     "n.yaml:9: connectors[0].type: required key missing"},
    {"UnknownType", With("connectors:\n  - name: x\n    type: mysql\n"),
     "n.yaml:10: connectors[0].type: expected one of sqlite, postgres, redis, files, webhook, "
     "got \"mysql\""},
    {"FilesTwoCollections",
     With("connectors:\n  - name: x\n    type: files\n    target: d\n    map:\n"
          "      - { collection: a }\n      - { collection: b }\n"),
     "n.yaml:12: connectors[0].map: a files connector maps its folder to exactly one "
     "collection, got 2 entries"},
    {"FilesMapWithTable",
     With("connectors:\n  - name: x\n    type: files\n    target: d\n    map:\n"
          "      - { table: t, collection: a }\n"),
     "n.yaml:13: connectors[0].map[0].table: unknown key"},
    {"MaxFileSizeOverValueLimit",
     With("connectors:\n  - name: x\n    type: files\n    target: d\n"
          "    max_file_size: 2000000\n    map: [ { collection: a } ]\n"),
     "n.yaml:12: connectors[0].max_file_size: "},
    {"MaxFileSizeOnSqlite",
     With("connectors:\n  - name: x\n    type: sqlite\n    target: d\n"
          "    max_file_size: 10\n    map: [ { table: t, collection: a } ]\n"),
     "n.yaml:12: connectors[0].max_file_size: only a files connector takes max_file_size"},
    {"BadFilesFormat",
     With("connectors:\n  - name: x\n    type: files\n    target: d\n"
          "    format: xml\n    map: [ { collection: a } ]\n"),
     "n.yaml:12: connectors[0].format: expected one of bytes, json, got \"xml\""},
    {"WebhookNotHttp",
     With("connectors:\n  - name: x\n    type: webhook\n    target: ftp://h/x\n"
          "    map: [ { collection: a } ]\n"),
     "n.yaml:11: connectors[0].target: expected an http:// or https:// URL"},
    {"WebhookCaptures",
     With("connectors:\n  - name: x\n    type: webhook\n    target: http://h/x\n"
          "    direction: both\n    map: [ { collection: a } ]\n"),
     "n.yaml:12: connectors[0].direction: a webhook only receives changes: its direction "
     "must be apply-only"},
    {"MissingTarget", With("connectors:\n  - name: x\n    type: sqlite\n"),
     "n.yaml:9: connectors[0].target: required key missing"},
    {"BadDirection",
     With("connectors:\n  - name: x\n    type: sqlite\n    target: t\n"
          "    direction: sideways\n"),
     "n.yaml:12: connectors[0].direction: expected one of both, capture-only, "
     "apply-only, got \"sideways\""},
    {"MissingMap", With("connectors:\n  - { name: x, type: sqlite, target: t }\n"),
     "n.yaml:9: connectors[0].map: required key missing"},
    {"EmptyMap", With("connectors:\n  - { name: x, type: sqlite, target: t, map: [] }\n"),
     "n.yaml:9: connectors[0].map: expected at least one"},
    {"MapEntryNotAMap",
     With("connectors:\n  - name: x\n    type: sqlite\n    target: t\n    map:\n"
          "      - orders\n"),
     "n.yaml:13: connectors[0].map[0]: expected a map, got \"orders\""},
    {"MapWithoutCollection",
     With("connectors:\n  - name: x\n    type: sqlite\n    target: t\n    map:\n"
          "      - { table: orders }\n"),
     "n.yaml:13: connectors[0].map[0].collection: required key missing"},
    {"MapUnknownKey",
     With("connectors:\n  - name: x\n    type: sqlite\n    target: t\n    map:\n"
          "      - { table: o, collection: o, prefix: p }\n"),
     "n.yaml:13: connectors[0].map[0].prefix: unknown key"},
    {"TableTwice",
     With("connectors:\n  - name: x\n    type: sqlite\n    target: t\n    map:\n"
          "      - { table: o, collection: a }\n      - { table: o, collection: b }\n"),
     "n.yaml:14: connectors[0].map[1].table: table \"o\" is mapped twice"},
    {"CollectionTwice",
     With("connectors:\n  - name: x\n    type: sqlite\n    target: t\n    map:\n"
          "      - { table: o, collection: a }\n      - { table: p, collection: a }\n"),
     "n.yaml:14: connectors[0].map[1].collection: collection \"a\" is mapped twice"},
    {"DuplicateName",
     With("connectors:\n  - { name: x, type: sqlite, target: t1, map: [{table: o, "
          "collection: o}] }\n  - { name: x, type: sqlite, target: t2, map: [{table: o, "
          "collection: o}] }\n"),
     "n.yaml:10: connectors[1].name: duplicate connector name \"x\""},
    {"DuplicateTarget",
     With("connectors:\n  - { name: x, type: sqlite, target: t, map: [{table: o, "
          "collection: o}] }\n  - { name: y, type: sqlite, target: t, map: [{table: o, "
          "collection: o}] }\n"),
     "n.yaml:10: connectors[1].target: target \"t\" is already used by connector \"x\""},
    {"RedisBadTarget",
     With("connectors:\n  - name: x\n    type: redis\n    target: redis://h\n"
          "    map: [ { prefix: \"k:\", collection: a } ]\n"),
     "n.yaml:11: connectors[0].target: expected redis://host:port[/db] or host:port"},
    {"RedisOverlappingPrefixes",
     With("connectors:\n  - name: x\n    type: redis\n    target: h:1\n    map:\n"
          "      - { prefix: \"user:\", collection: a }\n"
          "      - { prefix: \"user:admin:\", collection: b }\n"),
     "n.yaml:14: connectors[0].map[1].prefix: prefixes \"user:\" and \"user:admin:\" overlap"},
    {"RedisOwnPrefix",
     With("connectors:\n  - name: x\n    type: redis\n    target: h:1\n    map:\n"
          "      - { prefix: \"_datasync:x\", collection: a }\n"),
     "n.yaml:13: connectors[0].map[0].prefix: prefix \"_datasync:x\" is the connector's own"},
    {"RedisEmptyPrefix",
     With("connectors:\n  - name: x\n    type: redis\n    target: h:1\n    map:\n"
          "      - { prefix: \"\", collection: a }\n"),
     "n.yaml:13: connectors[0].map[0].prefix: must not be empty"},
    {"RedisBadType",
     With("connectors:\n  - name: x\n    type: redis\n    target: h:1\n    map:\n"
          "      - { prefix: \"k:\", collection: a, type: list }\n"),
     "n.yaml:13: connectors[0].map[0].type: expected one of string, hash, got \"list\""},
    {"RedisMapWithTable",
     With("connectors:\n  - name: x\n    type: redis\n    target: h:1\n    map:\n"
          "      - { table: t, collection: a }\n"),
     "n.yaml:13: connectors[0].map[0].table: unknown key"},
    {"CaptureOnReceiveOnlyNode",
     "node: { id: a, data_dir: d, mode: receive-only }\nendpoints:\n"
     "  api: tcp://127.0.0.1:7101\n  pub: tcp://127.0.0.1:7102\n"
     "  sync: tcp://127.0.0.1:7103\nconnectors:\n"
     "  - { name: x, type: sqlite, target: t, map: [{table: o, collection: o}] }\n",
     "n.yaml:7: connectors[0].direction: node a is receive-only"},
};

class BadConnectorTest : public ::testing::TestWithParam<BadConnector> {};

TEST_P(BadConnectorTest, IsRejectedWithLineAndKey) {
  Result<NodeConfig> r = ParseNodeConfig(GetParam().yaml, "n.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message().substr(0, GetParam().prefix.size()), GetParam().prefix)
      << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(All, BadConnectorTest, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace datasync
