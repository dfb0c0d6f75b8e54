// Rows and keys of application tables as records: the key encodings, the
// type conversions, and errors that name the table and the column.
#include "connectors/sqlite/sqlite_values.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>


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

// SQLite's JSON functions encode and decode composite keys: an in-memory
// database stands in for the application's.
class SqliteKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  void TearDown() override { sqlite3_close(db_); }
  // The key of primary-key values given as SQL literals.
  std::string KeyOf(const Table& t, const std::string& literals, std::string* error) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, ("SELECT " + literals).c_str(), -1, &stmt, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    std::vector<sqlite3_value*> values;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      values.push_back(sqlite3_column_value(stmt, i));
    }
    std::string key;
    if (!EncodeKey(db_, t, values, &key, error)) key = "(none)";
    sqlite3_finalize(stmt);
    return key;
  }
  sqlite3* db_ = nullptr;
};

Table Composite() {
  Table t = Items();
  t.columns[1].pk = 2;
  t.pk = {0, 1};
  return t;
}

TEST_F(SqliteKeyTest, SingleColumnKeysAreTheValueAsText) {
  std::string error;
  EXPECT_EQ(KeyOf(Items(), "42", &error), "42");
  EXPECT_EQ(KeyOf(Items(), "'abc'", &error), "abc");
  EXPECT_EQ(KeyOf(Items(), "NULL", &error), "(none)");
  EXPECT_EQ(error, "table items, column id: primary key value is NULL");
}

TEST_F(SqliteKeyTest, CompositeKeysAreJsonArraysAndComeBack) {
  const Table t = Composite();
  std::string error;
  const std::string key = KeyOf(t, "-42, 'e\"u,]'", &error);
  EXPECT_EQ(key, "[-42,\"e\\\"u,]\"]");
  std::vector<SqlValue> values;
  ASSERT_TRUE(DecodeKey(db_, t, key, &values, &error)) << error;
  EXPECT_EQ(std::get<int64_t>(values[0]), -42);
  EXPECT_EQ(std::get<std::string>(values[1]), "e\"u,]");
  EXPECT_EQ(KeyOf(t, "1, x'00'", &error), "(none)");
  EXPECT_EQ(error, "table items, column name: a blob cannot be part of a composite key");
  for (const char* bad : {"[7]", "7", "[7,", "{\"a\":1}", "[7,[1]]", "[7,\"x\",3]"}) {
    EXPECT_FALSE(DecodeKey(db_, t, bad, &values, &error)) << bad;
    EXPECT_EQ(error, "table items: key is not a JSON array of 2 primary key values") << bad;
  }
}

TEST_F(SqliteKeyTest, KeysDecodeToTheKeyColumnsTypes) {
  std::vector<SqlValue> values;
  std::string error;
  ASSERT_TRUE(DecodeKey(db_, Items(), "42", &values, &error)) << error;
  EXPECT_EQ(std::get<int64_t>(values[0]), 42);
  EXPECT_FALSE(DecodeKey(db_, Items(), "forty-two", &values, &error));
  EXPECT_NE(error.find("table items, column id"), std::string::npos) << error;
  ASSERT_TRUE(DecodeKey(db_, Composite(), "[7,3]", &values, &error)) << error;
  EXPECT_EQ(std::get<std::string>(values[1]), "3");  // a number into TEXT: its text
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
