// The node <-> connector messages survive encoding, and garbage is an
// error, not a crash.
#include <gtest/gtest.h>

#include "datasync/connector.h"

namespace datasync {
namespace {

Record MakeRecord(std::string key, bool deleted) {
  Record r;
  r.collection = "items";
  r.key = std::move(key);
  if (!deleted) r.value = std::string("\x81\xa1x\x01", 4);
  r.deleted = deleted;
  r.version = Version{0x01a0c4506c000002ull, "node-a"};
  r.seq = 42;
  return r;
}

TEST(ConnectorWireTest, EveryMessageToTheNodeRoundTrips) {
  const ConnectorToNode messages[] = {
      ConnectorCaptured{"ab12:7", {{"items", "1", "v", false}, {"items", "2", "", true}}},
      ConnectorResync{VersionVector({{"a", 3}, {"b", 9}})},
      ConnectorFailures{{{"items", std::string("k\0y", 3), "table items has no column z"}}},
      ConnectorState{"retrying", "ab12:7", "database is locked", 5, 2, 100, 90, 3, 1},
      ConnectorUninstalled{Code::kIoError, "cannot open"},
  };
  for (const ConnectorToNode& m : messages) {
    Result<ConnectorToNode> back = DecodeConnectorToNode(EncodeConnectorMessage(m));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(back.value() == m) << m.index();
  }
}

TEST(ConnectorWireTest, EveryMessageToTheConnectorRoundTrips) {
  const NodeToConnector messages[] = {
      ConnectorCaptureAck{"ab12:7", true},
      ConnectorApply{{MakeRecord("1", false), MakeRecord("2", true)},
                     VersionVector({{"node-a", 42}}),
                     true},
      ConnectorApply{{}, VersionVector(), false},
      ConnectorUninstall{},
      ConnectorStop{},
  };
  for (const NodeToConnector& m : messages) {
    Result<NodeToConnector> back = DecodeNodeToConnector(EncodeConnectorMessage(m));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(back.value() == m) << m.index();
  }
}

TEST(ConnectorWireTest, GarbageIsAnError) {
  const std::string inputs[] = {"",         "\xc1",        "\x91\x09",
                                "\x92\x00", "\x93\x00\xa1", std::string("\x92\x01\xc0", 3)};
  for (const std::string& in : inputs) {
    EXPECT_FALSE(DecodeConnectorToNode(in).ok());
    EXPECT_FALSE(DecodeNodeToConnector(in).ok());
  }
  // Every truncation of a valid message is refused too.
  const std::string full = EncodeConnectorMessage(NodeToConnector(
      ConnectorApply{{MakeRecord("1", false)}, VersionVector({{"a", 1}}), true}));
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(DecodeNodeToConnector(full.substr(0, n)).ok()) << n;
  }
}

}  // namespace
}  // namespace datasync
