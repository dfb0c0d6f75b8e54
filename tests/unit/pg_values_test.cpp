// Values of the PostgreSQL connector: msgpack scalars to column text
// parameters and back, and keys (composite keys as JSON arrays).
#include "connectors/postgres/pg_values.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>

namespace datasync::pg_connector {
namespace {

Table Items() {
  return {"items",
          "public",
          "items",
          "items",
          {{"id", Kind::kInteger},
           {"name", Kind::kText},
           {"ok", Kind::kBool},
           {"price", Kind::kFloat},
           {"data", Kind::kBytes}},
          {0}};
}

template <typename... Fields>
std::string Map(Fields... fields) {
  msgpack::sbuffer b;
  msgpack::packer<msgpack::sbuffer> p(b);
  auto t = std::make_tuple(fields...);
  p.pack(t);  // an array; rewritten as a map below
  std::string s(b.data(), b.size());
  s[0] = static_cast<char>(0x80 | (sizeof...(fields) / 2));
  return s;
}

TEST(PgValues, ScalarsBecomeTextParametersOfEachColumnType) {
  std::vector<int> cols;
  std::vector<TextValue> vals;
  std::string error;
  ASSERT_TRUE(
      DecodeRow(Items(),
                Map(std::string("id"), 3, std::string("ok"), 1, std::string("price"), 2.5,
                    std::string("name"), msgpack::type::nil_t()),
                &cols, &vals, &error))
      << error;
  EXPECT_EQ(cols, (std::vector<int>{0, 2, 3, 1}));
  EXPECT_EQ(vals[0], "3");
  EXPECT_EQ(vals[1], "true");  // SQLite's 0/1 into a boolean column
  EXPECT_EQ(vals[2], "2.5");
  EXPECT_EQ(vals[3], std::nullopt);
  ASSERT_TRUE(DecodeRow(Items(), Map(std::string("id"), true, std::string("price"), 7.0),
                        &cols, &vals, &error));
  EXPECT_EQ(vals[0], "1");
  EXPECT_EQ(vals[1], "7");
}

TEST(PgValues, WhatDoesNotFitNamesTheTableAndColumn) {
  std::vector<int> cols;
  std::vector<TextValue> vals;
  std::string error;
  EXPECT_FALSE(DecodeRow(Items(), Map(std::string("id"), 1.5), &cols, &vals, &error));
  EXPECT_NE(error.find("table items column id"), std::string::npos) << error;
  EXPECT_FALSE(DecodeRow(Items(), Map(std::string("id"), 1, std::string("colour"), 2),
                         &cols, &vals, &error));
  EXPECT_EQ(error, "table items has no column colour");
  EXPECT_FALSE(DecodeRow(Items(), Map(std::string("name"), std::string("x")), &cols,
                         &vals, &error));
  EXPECT_NE(error.find("primary key column missing"), std::string::npos) << error;
  EXPECT_FALSE(DecodeRow(Items(), "\xc1", &cols, &vals, &error));
  EXPECT_FALSE(DecodeRow(Items(), std::string("\x93\x01\x02\x03"), &cols, &vals, &error));
}

TEST(PgValues, TextFormsBecomeMsgpackScalars) {
  std::string item, error;
  ASSERT_TRUE(PackText(Kind::kInteger, "-42", &item, &error));
  EXPECT_EQ(msgpack::unpack(item.data(), item.size()).get().as<int64_t>(), -42);
  ASSERT_TRUE(PackText(Kind::kFloat, "Infinity", &item, &error));
  EXPECT_TRUE(std::isinf(msgpack::unpack(item.data(), item.size()).get().as<double>()));
  ASSERT_TRUE(PackText(Kind::kBytes, "\\x00ff", &item, &error));
  EXPECT_EQ(item, std::string("\xc4\x02\x00\xff", 4));
  ASSERT_TRUE(PackText(Kind::kBool, "f", &item, &error));
  EXPECT_EQ(item, "\xc2");
  EXPECT_FALSE(PackText(Kind::kInteger, "12abc", &item, &error));
  EXPECT_FALSE(PackText(Kind::kBytes, "00ff", &item, &error));
  EXPECT_FALSE(PackText(Kind::kFloat, "", &item, &error));
}

TEST(PgValues, CompositeKeysAreJsonArraysInKeyOrder) {
  Table stock{"stock",
              "public",
              "stock",
              "stock",
              {{"region", Kind::kText}, {"id", Kind::kInteger}},
              {0, 1}};
  std::string key, error;
  ASSERT_TRUE(EncodeKey(stock, {std::string("eu"), std::string("42")}, &key, &error));
  EXPECT_EQ(key, "[\"eu\",42]");
  std::vector<std::string> values;
  ASSERT_TRUE(DecodeKey(stock, key, &values, &error));
  EXPECT_EQ(values, (std::vector<std::string>{"eu", "42"}));
  EXPECT_FALSE(DecodeKey(stock, "[\"eu\"]", &values, &error));
  EXPECT_FALSE(DecodeKey(stock, "not json", &values, &error));
  EXPECT_FALSE(EncodeKey(stock, {std::string("eu"), std::nullopt}, &key, &error));
  EXPECT_NE(error.find("NULL in the primary key"), std::string::npos);
  // A single key is its text; bytea keys are their bytes.
  Table blobs{"b", "public", "b", "b", {{"k", Kind::kBytes}}, {0}};
  ASSERT_TRUE(EncodeKey(blobs, {std::string("\\x6869")}, &key, &error));
  EXPECT_EQ(key, "hi");
  ASSERT_TRUE(DecodeKey(blobs, "hi", &values, &error));
  EXPECT_EQ(values[0], "\\x6869");
}

TEST(PgValues, TypesWithoutAMappingAreKnown) {
  EXPECT_EQ(KindOfType(23), Kind::kInteger);
  EXPECT_EQ(KindOfType(1700), Kind::kText);  // numeric stays exact
  EXPECT_EQ(KindOfType(17), Kind::kBytes);
  EXPECT_FALSE(KindOfType(600));   // point
  EXPECT_FALSE(KindOfType(1007));  // int4[]
}

}  // namespace
}  // namespace datasync::pg_connector
