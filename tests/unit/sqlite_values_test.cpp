// Rows and keys of application tables as records: the key encodings, the
// type conversions, and errors that name the table and the column.
#include "connectors/sqlite/sqlite_values.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include "connectors/sqlite/json_key.h"

namespace datasync::sqlite_connector {
namespace {

Table Items() {
  Table t;
  t.name = "items";
  t.collection = "items";
  t.columns = {{"id", Affinity::kInteger, 1},
               {"name", Affinity::kText, 0},
               {"qty", Affinity::kInteger, 0},
               {"price", Affinity::kReal, 0},
               {"data", Affinity::kBlob, 0}};
  t.pk = {0};
  return t;
}

template <typename Fn>
std::string Packed(uint32_t entries, Fn fill) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(entries);
  fill(p);
  return std::string(buffer.data(), buffer.size());
}

TEST(SqliteValuesTest, AffinityFollowsSqliteRules) {
  EXPECT_EQ(AffinityOf("INTEGER"), Affinity::kInteger);
  EXPECT_EQ(AffinityOf("bigint"), Affinity::kInteger);
  EXPECT_EQ(AffinityOf("VARCHAR(20)"), Affinity::kText);
  EXPECT_EQ(AffinityOf(""), Affinity::kBlob);
  EXPECT_EQ(AffinityOf("double precision"), Affinity::kReal);
  EXPECT_EQ(AffinityOf("DECIMAL(10,2)"), Affinity::kNumeric);
}

TEST(SqliteValuesTest, JsonKeysRoundTrip) {
  const std::vector<KeyPart> parts = {{KeyPart::kText, "e\"u\\\n,]"},
                                      {KeyPart::kNumber, "-42"},
                                      {KeyPart::kText, "caf\xc3\xa9"}};
  const std::string key = EncodeJsonKey(parts);
  EXPECT_EQ(key, "[\"e\\\"u\\\\\\u000a,]\",-42,\"caf\xc3\xa9\"]");
  std::vector<KeyPart> back;
  ASSERT_TRUE(DecodeJsonKey(key, &back));
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].text, parts[0].text);
  EXPECT_EQ(back[1].kind, KeyPart::kNumber);
  EXPECT_EQ(back[2].text, parts[2].text);
  for (const char* bad : {"", "[", "[1,", "[\"a]", "{}", "[1] x", "[\"\\q\"]"}) {
    EXPECT_FALSE(DecodeJsonKey(bad, &back)) << bad;
  }
}

TEST(SqliteValuesTest, KeysDecodeToTheKeyColumnsTypes) {
  Table t = Items();
  std::vector<SqlValue> values;
  std::string error;
  ASSERT_TRUE(DecodeKey(t, "42", &values, &error)) << error;
  EXPECT_EQ(std::get<int64_t>(values[0]), 42);
  EXPECT_FALSE(DecodeKey(t, "forty-two", &values, &error));
  EXPECT_NE(error.find("table items, column id"), std::string::npos) << error;

  Table composite = t;
  composite.columns[1].pk = 2;
  composite.pk = {0, 1};
  ASSERT_TRUE(DecodeKey(composite, "[7,\"x\"]", &values, &error)) << error;
  EXPECT_EQ(std::get<int64_t>(values[0]), 7);
  EXPECT_EQ(std::get<std::string>(values[1]), "x");
  EXPECT_FALSE(DecodeKey(composite, "[7]", &values, &error));
  EXPECT_FALSE(DecodeKey(composite, "7", &values, &error));
}

TEST(SqliteValuesTest, RowValuesConvertToColumnTypes) {
  Table t = Items();
  const std::string value = Packed(5, [](auto& p) {
    p.pack(std::string("id"));
    p.pack(uint64_t{3});
    p.pack(std::string("name"));
    p.pack(int64_t{-5});  // integer into TEXT: its decimal text
    p.pack(std::string("qty"));
    p.pack(std::string("12"));  // numeric text into INTEGER: the number
    p.pack(std::string("price"));
    p.pack(int64_t{2});  // integer into REAL: a float
    p.pack(std::string("data"));
    p.pack(true);  // bool: 1
  });
  std::vector<int> columns;
  std::vector<SqlValue> values;
  std::string error;
  ASSERT_TRUE(DecodeRow(t, value, &columns, &values, &error)) << error;
  EXPECT_EQ(columns, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(std::get<std::string>(values[1]), "-5");
  EXPECT_EQ(std::get<int64_t>(values[2]), 12);
  EXPECT_EQ(std::get<double>(values[3]), 2.0);
  EXPECT_EQ(std::get<int64_t>(values[4]), 1);
}

TEST(SqliteValuesTest, UnmappableValuesNameTableAndColumn) {
  Table t = Items();
  struct Case {
    std::string value;
    std::string expected;
  };
  const Case cases[] = {
      {"not msgpack \xc1", "table items: value is not msgpack"},
      {std::string("\x93\x01\x02\x03", 4), "table items: value is not a msgpack map"},
      {Packed(2, [](auto& p) { p.pack(std::string("id")); p.pack(1); p.pack(std::string("colour")); p.pack(1); }),
       "table items has no column colour"},
      {Packed(2, [](auto& p) { p.pack(std::string("id")); p.pack(1); p.pack(std::string("qty")); p.pack(std::string("many")); }),
       "table items, column qty: text \"many\" is not a number"},
      {Packed(2, [](auto& p) { p.pack(std::string("id")); p.pack(1); p.pack(std::string("name")); p.pack_bin(1); p.pack_bin_body("x", 1); }),
       "table items, column name: bytes cannot go"},
      {Packed(2, [](auto& p) { p.pack(std::string("id")); p.pack(1); p.pack(std::string("qty")); p.pack_array(0); }),
       "table items, column qty: value is not a scalar"},
      {Packed(1, [](auto& p) { p.pack(std::string("qty")); p.pack(1); }),
       "table items, column id: primary key column missing"},
  };
  for (const Case& c : cases) {
    std::vector<int> columns;
    std::vector<SqlValue> values;
    std::string error;
    EXPECT_FALSE(DecodeRow(t, c.value, &columns, &values, &error));
    EXPECT_EQ(error.substr(0, c.expected.size()), c.expected);
  }
}

}  // namespace
}  // namespace datasync::sqlite_connector
