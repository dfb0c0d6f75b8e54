// The PostgreSQL connector's pure parts: pgoutput messages, LSNs and
// positions, and turning a peek's messages into row changes (skipping what
// is captured already and the connector's own origin).
#include "connectors/postgres/pg_decode.h"

#include <gtest/gtest.h>

#include "connectors/postgres/pgoutput.h"

namespace datasync::pg_connector {
namespace {

// Builds messages as pgoutput writes them (big-endian, NUL-terminated).
class Msg {
 public:
  explicit Msg(char type) { b_ += type; }
  Msg& Int(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) b_ += static_cast<char>((v >> (8 * i)) & 0xff);
    return *this;
  }
  Msg& Str(const std::string& s) {
    b_ += s;
    b_ += '\0';
    return *this;
  }
  Msg& Byte(char c) {
    b_ += c;
    return *this;
  }
  // A tuple of text values; nullopt: NULL, "\x01u": unchanged TOAST.
  Msg& Tuple(const std::vector<std::optional<std::string>>& values) {
    Int(values.size(), 2);
    for (const auto& v : values) {
      if (!v) {
        Byte('n');
      } else if (*v == "\x01u") {
        Byte('u');
      } else {
        Byte('t').Int(v->size(), 4);
        b_ += *v;
      }
    }
    return *this;
  }
  std::string bytes() const { return b_; }

 private:
  std::string b_;
};

std::string Begin(uint64_t commit_lsn) {
  return Msg('B').Int(commit_lsn, 8).Int(0, 8).Int(7, 4).bytes();
}
std::string Commit(uint64_t commit_lsn, uint64_t end) {
  return Msg('C').Byte(0).Int(commit_lsn, 8).Int(end, 8).Int(0, 8).bytes();
}
std::string Origin(const std::string& name) {
  return Msg('O').Int(5, 8).Str(name).bytes();
}
// items(id int8 key, name text, ok bool, data bytea) as relation 100;
// stock(region text key, id int4 key, qty int4) as relation 200.
std::string ItemsRelation() {
  return Msg('R')
      .Int(100, 4)
      .Str("public")
      .Str("items")
      .Byte('d')
      .Int(4, 2)
      .Byte(1)
      .Str("id")
      .Int(20, 4)
      .Int(0xffffffff, 4)
      .Byte(0)
      .Str("name")
      .Int(25, 4)
      .Int(0xffffffff, 4)
      .Byte(0)
      .Str("ok")
      .Int(16, 4)
      .Int(0xffffffff, 4)
      .Byte(0)
      .Str("data")
      .Int(17, 4)
      .Int(0xffffffff, 4)
      .bytes();
}
std::string StockRelation() {
  return Msg('R')
      .Int(200, 4)
      .Str("app")
      .Str("stock")
      .Byte('d')
      .Int(3, 2)
      .Byte(1)
      .Str("region")
      .Int(25, 4)
      .Int(0xffffffff, 4)
      .Byte(1)
      .Str("id")
      .Int(23, 4)
      .Int(0xffffffff, 4)
      .Byte(0)
      .Str("qty")
      .Int(23, 4)
      .Int(0xffffffff, 4)
      .bytes();
}
std::string Insert(uint32_t rel, const std::vector<std::optional<std::string>>& row) {
  return Msg('I').Int(rel, 4).Byte('N').Tuple(row).bytes();
}

std::vector<Table> Tables() {
  Table items{"items",
              "public",
              "items",
              "items",
              {{"id", Kind::kInteger},
               {"name", Kind::kText},
               {"ok", Kind::kBool},
               {"data", Kind::kBytes}},
              {0}};
  // Key order differs from column order: (id, region).
  Table stock{"app.stock",
              "app",
              "stock",
              "stock",
              {{"region", Kind::kText}, {"id", Kind::kInteger}, {"qty", Kind::kInteger}},
              {1, 0}};
  return {items, stock};
}

TEST(PgOutput, LsnsParseAndFormat) {
  EXPECT_EQ(ParseLsn("16/B374D848"), 0x16B374D848u);
  EXPECT_EQ(ParseLsn("0/0"), 0u);
  EXPECT_EQ(FormatLsn(0x16B374D848u), "16/B374D848");
  EXPECT_EQ(FormatLsn(0), "0/0");
  for (const char* bad : {"", "/", "1/", "/1", "12", "x/1", "1/2/3", "123456789/0"}) {
    EXPECT_FALSE(ParseLsn(bad)) << bad;
  }
  EXPECT_LT(*ParseLsn("0/FFFFFFFF"), *ParseLsn("1/0"));
}

TEST(PgOutput, PositionsRoundTripAndRejectGarbage) {
  const Position p{"7312", 0x1234567890u, 3};
  EXPECT_EQ(FormatPosition(p), "7312:12/34567890:3");
  EXPECT_EQ(ParsePosition(FormatPosition(p)), p);
  for (const char* bad : {"", "x", "1:2", "1:0/1:x", "1:zz:0", "/tmp/db:17"}) {
    EXPECT_EQ(ParsePosition(bad), Position{}) << bad;
  }
}

TEST(PgOutput, ParsesEveryMessageTypeAndRefusesTruncatedOnes) {
  PgMessage m;
  std::string error;
  ASSERT_TRUE(ParsePgMessage(Begin(0x10), &m, &error)) << error;
  EXPECT_EQ(m.type, PgMessage::kBegin);
  EXPECT_EQ(m.commit_lsn, 0x10u);
  ASSERT_TRUE(ParsePgMessage(ItemsRelation(), &m, &error)) << error;
  ASSERT_EQ(m.columns.size(), 4u);
  EXPECT_EQ(m.relname, "items");
  EXPECT_TRUE(m.columns[0].key);
  EXPECT_EQ(m.columns[3].type_oid, 17u);
  const std::string update = Msg('U')
                                 .Int(100, 4)
                                 .Byte('K')
                                 .Tuple({"1", std::nullopt, std::nullopt, std::nullopt})
                                 .Byte('N')
                                 .Tuple({"2", "x", "t", "\x01u"})
                                 .bytes();
  ASSERT_TRUE(ParsePgMessage(update, &m, &error)) << error;
  EXPECT_TRUE(m.has_old);
  EXPECT_EQ(m.old_tuple[0].data, "1");
  EXPECT_EQ(m.new_tuple[3].kind, TupleValue::kUnchangedToast);
  // Every proper prefix of a message is refused, never read past its end.
  for (const std::string& whole : {Begin(1), Commit(1, 2), ItemsRelation(), update}) {
    for (size_t n = 0; n < whole.size(); ++n) {
      EXPECT_FALSE(ParsePgMessage(whole.substr(0, n), &m, &error)) << n;
    }
    EXPECT_FALSE(ParsePgMessage(whole + "x", &m, &error));
  }
  EXPECT_FALSE(ParsePgMessage("Z", &m, &error));
  EXPECT_NE(error.find("unknown message type Z"), std::string::npos);
}

std::vector<std::string> TwoTransactions() {
  return {ItemsRelation(),
          Begin(0x100),
          Insert(100, {"1", "pen", "t", "\\x00ff"}),
          Insert(100, {"2", std::nullopt, "f", std::nullopt}),
          Commit(0x100, 0x140),
          StockRelation(),
          Begin(0x200),
          Insert(200, {"eu", "42", "7"}),
          Msg('D')
              .Int(100, 4)
              .Byte('K')
              .Tuple({"1", std::nullopt, std::nullopt, std::nullopt})
              .bytes(),
          Commit(0x200, 0x240)};
}

TEST(PgDecode, RowsBecomeKeysAndMsgpackValues) {
  DecodeResult out;
  std::string error;
  ASSERT_TRUE(DecodeChanges(TwoTransactions(), Tables(), "datasync_app", {"s", 0, 0}, 100,
                            &out, &error))
      << error;
  ASSERT_EQ(out.changes.size(), 4u);
  EXPECT_EQ(out.changes[0].key, "1");
  EXPECT_EQ(PackRow(out.changes[0].names, out.changes[0].items),
            // {"id": 1, "name": "pen", "ok": true, "data": bin 00ff}
            std::string("\x84\xa2id\x01\xa4name\xa3pen\xa2ok\xc3\xa4"
                        "data\xc4\x02\x00\xff",
                        27));
  EXPECT_EQ(out.changes[1].items[1], PackNil());
  EXPECT_EQ(out.changes[2].key, "[42,\"eu\"]");  // key order (id, region)
  EXPECT_TRUE(out.changes[3].deleted);
  EXPECT_EQ(out.changes[3].key, "1");
  EXPECT_EQ(out.reached, (Position{"s", 0x240, 0}));
  EXPECT_FALSE(out.full);
}

TEST(PgDecode, SkipsCapturedTransactionsAndOwnOrigin) {
  DecodeResult out;
  std::string error;
  // Up to the end of the first transaction: only the second is new.
  ASSERT_TRUE(DecodeChanges(TwoTransactions(), Tables(), "o", {"s", 0x140, 0}, 100, &out,
                            &error));
  ASSERT_EQ(out.changes.size(), 2u);
  EXPECT_EQ(out.changes[0].key, "[42,\"eu\"]");
  // The connector's own applies carry its origin: skipped, but passed.
  std::vector<std::string> own = {ItemsRelation(), Begin(0x300), Origin("datasync_app"),
                                  Insert(100, {"9", "x", "t", std::nullopt}),
                                  Commit(0x300, 0x340)};
  ASSERT_TRUE(
      DecodeChanges(own, Tables(), "datasync_app", {"s", 0, 0}, 100, &out, &error));
  EXPECT_TRUE(out.changes.empty());
  EXPECT_EQ(out.reached.end, 0x340u);
  // Another origin (say a native subscription) is an ordinary change.
  ASSERT_TRUE(
      DecodeChanges(own, Tables(), "datasync_other", {"s", 0, 0}, 100, &out, &error));
  EXPECT_EQ(out.changes.size(), 1u);
}

TEST(PgDecode, ABigTransactionIsCapturedInPartsExactlyOnce) {
  std::vector<std::string> big = {ItemsRelation(), Begin(0x100)};
  for (int i = 1; i <= 10; ++i)
    big.push_back(Insert(100, {std::to_string(i), "n", "t", std::nullopt}));
  big.push_back(Commit(0x100, 0x180));
  Position at{"s", 0x40, 0};
  std::vector<std::string> keys;
  for (int reads = 0; reads < 10 && at.end != 0x180; ++reads) {
    DecodeResult out;
    std::string error;
    ASSERT_TRUE(DecodeChanges(big, Tables(), "o", at, 4, &out, &error));
    for (const RowChange& c : out.changes) keys.push_back(c.key);
    at = out.reached;
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9",
                                            "10"}));
  EXPECT_EQ(at, (Position{"s", 0x180, 0}));
}

TEST(PgDecode, KeyChangeIsADeleteAndAWriteAndBadValuesAreFailures) {
  std::vector<std::string> m = {
      ItemsRelation(), Begin(0x100),
      Msg('U')
          .Int(100, 4)
          .Byte('K')
          .Tuple({"5", std::nullopt, std::nullopt, std::nullopt})
          .Byte('N')
          .Tuple({"100", "n", "t", std::nullopt})
          .bytes(),
      Insert(100, {"7", "n", "maybe", std::nullopt}),  // not a boolean's text form
      Commit(0x100, 0x140)};
  DecodeResult out;
  std::string error;
  ASSERT_TRUE(DecodeChanges(m, Tables(), "o", {"s", 0, 0}, 100, &out, &error));
  ASSERT_EQ(out.changes.size(), 2u);
  EXPECT_TRUE(out.changes[0].deleted);
  EXPECT_EQ(out.changes[0].key, "5");
  EXPECT_EQ(out.changes[1].key, "100");
  ASSERT_EQ(out.failures.size(), 1u);
  EXPECT_NE(out.failures[0].message.find("table items column ok"), std::string::npos)
      << out.failures[0].message;
  EXPECT_EQ(out.reached.end, 0x140u);
  // A message that is not pgoutput fails the read, naming it.
  m.insert(m.begin() + 2, "\x07garbage");
  EXPECT_FALSE(DecodeChanges(m, Tables(), "o", {"s", 0, 0}, 100, &out, &error));
}

// The server's bytes are input like any other: mutated messages are refused
// or decoded, never read out of bounds (the ASan unit run checks that).
TEST(PgDecode, MutatedMessagesNeverCrash) {
  std::vector<std::string> base = TwoTransactions();
  uint64_t seed = 88172645463325252ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  size_t decoded = 0;
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::string> m = base;
    std::string& victim = m[next() % m.size()];
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits && !victim.empty(); ++e) {
      const size_t at = next() % victim.size();
      switch (next() % 3) {
        case 0:
          victim[at] = static_cast<char>(next());
          break;
        case 1:
          victim.erase(at, 1 + next() % 3);
          break;
        default:
          victim.insert(at, 1, static_cast<char>(next()));
      }
    }
    DecodeResult out;
    std::string error;
    decoded += DecodeChanges(m, Tables(), "o", {"s", 0, 0}, 100, &out, &error) ? 1 : 0;
  }
  // Some survive (a changed text value is still a message), most do not.
  EXPECT_GT(decoded, 0u);
  EXPECT_LT(decoded, 5000u);
}

}  // namespace
}  // namespace datasync::pg_connector
