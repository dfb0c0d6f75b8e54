// The webhook's request body: text where the bytes are UTF-8, base64 where
// not, deletes with a null value, and a key that names the batch's changes.
#include <gtest/gtest.h>

#include "connectors/webhook/webhook_json.h"

namespace datasync::webhook_connector {
namespace {

Record Make(std::string key, std::string value, uint64_t seq, bool deleted = false) {
  Record r;
  r.collection = "items";
  r.key = std::move(key);
  r.value = std::move(value);
  r.deleted = deleted;
  r.version = Version{42, "a"};
  r.seq = seq;
  return r;
}

TEST(WebhookJsonTest, TextBase64AndDeletes) {
  const Record text = Make("k\"1", "caf\xc3\xa9\n", 1);
  const Record binary = Make("k2", std::string("\xff\x00\x01", 3), 2);
  const Record gone = Make("k3", "", 3, true);
  EXPECT_EQ(ChangesJson("hook", {&text, &binary, &gone}),
            "{\"connector\":\"hook\",\"changes\":["
            "{\"collection\":\"items\",\"key\":\"k\\\"1\",\"value\":\"caf\xc3\xa9\\n\","
            "\"deleted\":false,\"version\":{\"hlc\":42,\"origin\":\"a\"},\"origin\":\"a\","
            "\"seq\":1},"
            "{\"collection\":\"items\",\"key\":\"k2\",\"value_base64\":\"/wAB\","
            "\"deleted\":false,\"version\":{\"hlc\":42,\"origin\":\"a\"},\"origin\":\"a\","
            "\"seq\":2},"
            "{\"collection\":\"items\",\"key\":\"k3\",\"value\":null,"
            "\"deleted\":true,\"version\":{\"hlc\":42,\"origin\":\"a\"},\"origin\":\"a\","
            "\"seq\":3}]}");
}

TEST(WebhookJsonTest, OverlongAndSurrogateUtf8AreBytes) {
  const Record overlong = Make("k", "\xc0\xaf", 1);
  const Record surrogate = Make("k", "\xed\xa0\x80", 2);
  const Record cut = Make("k", "ab\xe2\x82", 3);
  for (const Record* r : {&overlong, &surrogate, &cut}) {
    EXPECT_NE(ChangesJson("h", {r}).find("value_base64"), std::string::npos) << r->seq;
  }
}

TEST(WebhookJsonTest, IdempotencyKeyFollowsOriginAndSeq) {
  const Record a1 = Make("x", "1", 1), a2 = Make("y", "2", 2);
  Record a1_again = Make("x", "other bytes", 1);
  EXPECT_EQ(IdempotencyKey({&a1, &a2}), IdempotencyKey({&a1_again, &a2}));
  EXPECT_NE(IdempotencyKey({&a1, &a2}), IdempotencyKey({&a1}));
  EXPECT_EQ(IdempotencyKey({&a1}).size(), 32u);
}

}  // namespace
}  // namespace datasync::webhook_connector
