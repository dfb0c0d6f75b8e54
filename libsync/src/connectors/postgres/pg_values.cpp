#include "connectors/postgres/pg_values.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>

namespace datasync::pg_connector {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void PackStr(Packer& p, const std::string& s) {
  p.pack_str(static_cast<uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

std::string Where(const Table& t, const Column& c) {
  return "table " + t.name + " column " + c.name;
}

bool ParseInt(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string Hex(const char* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  for (size_t i = 0; i < size; ++i) {
    const auto b = static_cast<unsigned char>(data[i]);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

bool Unhex(const std::string& text, std::string* out) {
  if (text.rfind("\\x", 0) != 0 || text.size() % 2 != 0) return false;
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  for (size_t i = 2; i < text.size(); i += 2) {
    const int hi = digit(text[i]), lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// A msgpack scalar as the text parameter of a column of `kind`; *error
// (without the column's name) when it does not fit.
bool ToParam(Kind kind, const msgpack::object& o, TextValue* out, std::string* error) {
  switch (o.type) {
    case msgpack::type::NIL:
      *out = std::nullopt;
      return true;
    case msgpack::type::BOOLEAN:
      if (kind == Kind::kBytes) break;
      *out = kind == Kind::kInteger || kind == Kind::kFloat
                 ? (o.via.boolean ? "1" : "0")
                 : (o.via.boolean ? "true" : "false");
      return true;
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: {
      if (kind == Kind::kBytes) break;
      const bool neg = o.type == msgpack::type::NEGATIVE_INTEGER;
      if (kind == Kind::kBool) {
        *out = (neg ? o.via.i64 != 0 : o.via.u64 != 0) ? "true" : "false";
      } else {
        *out = neg ? std::to_string(o.via.i64) : std::to_string(o.via.u64);
      }
      return true;
    }
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: {
      const double d = o.via.f64;
      if (kind == Kind::kBytes || kind == Kind::kBool) break;
      if (kind == Kind::kInteger) {
        if (d != std::floor(d) || std::fabs(d) > 9.2e18) {
          *error = "float " + FormatDouble(d) + " does not fit an integer column";
          return false;
        }
        *out = std::to_string(static_cast<int64_t>(d));
        return true;
      }
      *out = FormatDouble(d);
      return true;
    }
    case msgpack::type::STR: {
      std::string s(o.via.str.ptr, o.via.str.size);
      if (kind == Kind::kBytes) {
        *out = Hex(s.data(), s.size());
        return true;
      }
      if (s.find('\0') != std::string::npos) {
        *error = "text with a NUL byte";
        return false;
      }
      *out = std::move(s);  // PostgreSQL's input function checks the rest
      return true;
    }
    case msgpack::type::BIN:
      if (kind != Kind::kBytes) {
        *error = "bytes do not fit a column that is not bytea";
        return false;
      }
      *out = Hex(o.via.bin.ptr, o.via.bin.size);
      return true;
    default:
      *error = "value is not a scalar (nil, bool, integer, float, text, bytes)";
      return false;
  }
  *error = "a value of this msgpack type does not fit the column's type";
  return false;
}

}  // namespace

std::optional<Kind> KindOfType(uint32_t oid) {
  switch (oid) {
    case 16:
      return Kind::kBool;
    case 17:
      return Kind::kBytes;
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
    case 26:  // oid
      return Kind::kInteger;
    case 700:
    case 701:
      return Kind::kFloat;
    case 18:    // "char"
    case 19:    // name
    case 25:    // text
    case 114:   // json
    case 142:   // xml
    case 650:   // cidr
    case 774:   // macaddr8
    case 790:   // money
    case 829:   // macaddr
    case 869:   // inet
    case 1042:  // char(n)
    case 1043:  // varchar
    case 1082:  // date
    case 1083:  // time
    case 1114:  // timestamp
    case 1184:  // timestamptz
    case 1186:  // interval
    case 1266:  // timetz
    case 1560:  // bit
    case 1562:  // varbit
    case 1700:  // numeric: exact, so as text
    case 2950:  // uuid
    case 3802:  // jsonb
      return Kind::kText;
    default:
      return std::nullopt;
  }
}

std::string Table::Qualified() const { return QuoteId(schema) + "." + QuoteId(relname); }

bool PackText(Kind kind, const std::string& text, std::string* item, std::string* error) {
  msgpack::sbuffer buffer;
  Packer p(buffer);
  switch (kind) {
    case Kind::kBool:
      if (text != "t" && text != "f") {
        *error = "boolean " + text;
        return false;
      }
      p.pack(text == "t");
      break;
    case Kind::kInteger: {
      int64_t v;
      if (!ParseInt(text, &v)) {
        *error = "integer " + text;
        return false;
      }
      p.pack(v);
      break;
    }
    case Kind::kFloat: {
      char* end = nullptr;
      const double d = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0') {
        *error = "float " + text;
        return false;
      }
      p.pack(d);
      break;
    }
    case Kind::kText:
      PackStr(p, text);
      break;
    case Kind::kBytes: {
      std::string bytes;
      if (!Unhex(text, &bytes)) {
        *error = "bytea not in hex form (bytea_output = hex)";
        return false;
      }
      p.pack_bin(static_cast<uint32_t>(bytes.size()));
      p.pack_bin_body(bytes.data(), static_cast<uint32_t>(bytes.size()));
      break;
    }
  }
  item->assign(buffer.data(), buffer.size());
  return true;
}

std::string PackNil() { return std::string(1, '\xc0'); }

std::string PackRow(const std::vector<std::string>& names,
                    const std::vector<std::string>& items) {
  msgpack::sbuffer buffer;
  Packer p(buffer);
  p.pack_map(static_cast<uint32_t>(names.size()));
  std::string out(buffer.data(), buffer.size());
  for (size_t i = 0; i < names.size(); ++i) {
    msgpack::sbuffer name;
    Packer np(name);
    PackStr(np, names[i]);
    out.append(name.data(), name.size());
    out += items[i];
  }
  return out;
}

bool EncodeKey(const Table& t, const std::vector<TextValue>& key, std::string* out,
               std::string* error) {
  for (size_t i = 0; i < key.size(); ++i) {
    if (!key[i]) {
      *error = Where(t, t.columns[t.pk[i]]) + ": NULL in the primary key";
      return false;
    }
  }
  if (t.pk.size() == 1) {
    const Column& c = t.columns[t.pk[0]];
    if (c.kind != Kind::kBytes) {
      *out = *key[0];
      return true;
    }
    if (Unhex(*key[0], out)) return true;
    *error = Where(t, c) + ": bytea not in hex form";
    return false;
  }
  nlohmann::json array = nlohmann::json::array();
  for (size_t i = 0; i < key.size(); ++i) {
    const Column& c = t.columns[t.pk[i]];
    int64_t v;
    if (c.kind == Kind::kInteger && ParseInt(*key[i], &v)) {
      array.push_back(v);
    } else if (c.kind == Kind::kBytes) {
      *error = Where(t, c) + ": bytea cannot be part of a composite key";
      return false;
    } else {
      array.push_back(*key[i]);
    }
  }
  try {
    *out = array.dump();
  } catch (const nlohmann::json::exception&) {
    *error = "table " + t.name + ": key text is not valid UTF-8";
    return false;
  }
  return true;
}

bool DecodeKey(const Table& t, const std::string& key, std::vector<std::string>* values,
               std::string* error) {
  values->clear();
  if (t.pk.size() == 1) {
    const Column& c = t.columns[t.pk[0]];
    if (c.kind == Kind::kBytes) {
      values->push_back(Hex(key.data(), key.size()));
    } else if (key.find('\0') != std::string::npos) {
      *error = Where(t, c) + ": key with a NUL byte";
      return false;
    } else {
      values->push_back(key);
    }
    return true;
  }
  const nlohmann::json array = nlohmann::json::parse(key, nullptr, false);
  if (!array.is_array() || array.size() != t.pk.size()) {
    *error = "table " + t.name + ": key is not a JSON array of " +
             std::to_string(t.pk.size()) + " primary-key values";
    return false;
  }
  for (const auto& v : array) {
    if (v.is_string()) {
      values->push_back(v.get<std::string>());
    } else if (v.is_number_integer()) {
      values->push_back(v.dump());
    } else if (v.is_number() || v.is_boolean()) {
      values->push_back(v.dump());
    } else {
      *error = "table " + t.name + ": key component " + v.dump() + " is not a scalar";
      return false;
    }
  }
  return true;
}

bool DecodeRow(const Table& t, const std::string& value, std::vector<int>* columns,
               std::vector<TextValue>* values, std::string* error) {
  columns->clear();
  values->clear();
  const bool ok = connector_values::ForEachEntry(
      value, "table " + t.name + ": ", "column", error,
      [&](std::string name, const msgpack::object& item) {
        int index = -1;
        for (size_t c = 0; c < t.columns.size(); ++c) {
          if (t.columns[c].name == name) index = static_cast<int>(c);
        }
        if (index < 0) {
          *error = "table " + t.name + " has no column " + name;
          return false;
        }
        TextValue v;
        std::string why;
        if (!ToParam(t.columns[index].kind, item, &v, &why)) {
          *error = Where(t, t.columns[index]) + ": " + why;
          return false;
        }
        columns->push_back(index);
        values->push_back(std::move(v));
        return true;
      });
  if (!ok) return false;
  for (int pk : t.pk) {
    bool found = false;
    for (int c : *columns) found |= c == pk;
    if (!found) {
      *error = Where(t, t.columns[pk]) + ": primary key column missing from the value";
      return false;
    }
  }
  return true;
}


}  // namespace datasync::pg_connector
