#include "connectors/redis/redis_values.h"

#include <algorithm>
#include <charconv>
#include <msgpack.hpp>

#include "connectors/files/files_state.h"
#include "connectors/row_value.h"

namespace datasync::redis_connector {
namespace {

// Structure only (lead byte and continuation bytes): enough to choose
// between msgpack str and bin.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t more = 0;
    if (c < 0x80) {
      more = 0;
    } else if ((c >> 5) == 0x6) {
      more = 1;
    } else if ((c >> 4) == 0xe) {
      more = 2;
    } else if ((c >> 3) == 0x1e) {
      more = 3;
    } else {
      return false;
    }
    if (s.size() - i - 1 < more) return false;
    for (size_t k = 1; k <= more; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += more + 1;
  }
  return true;
}

void SortFields(Fields* fields) {
  std::sort(fields->begin(), fields->end());
  // A field given twice: the last one counts, as in HSET.
  fields->erase(std::unique(fields->begin(), fields->end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                fields->end());
}

// A scalar as the text Redis stores; false for nil (no field) and for
// arrays, maps and ext (*error set).
bool FieldText(const msgpack::object& o, std::string* out, std::string* error) {
  char buf[64];
  switch (o.type) {
    case msgpack::type::NIL:
      return false;
    case msgpack::type::BOOLEAN:
      *out = o.via.boolean ? "1" : "0";
      return true;
    case msgpack::type::POSITIVE_INTEGER:
      *out = std::to_string(o.via.u64);
      return true;
    case msgpack::type::NEGATIVE_INTEGER:
      *out = std::to_string(o.via.i64);
      return true;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: {
      // Shortest text that reads back as the same double.
      auto r = std::to_chars(buf, buf + sizeof buf, o.via.f64);
      *out = std::string(buf, r.ptr);
      return true;
    }
    case msgpack::type::STR:
      *out = std::string(o.via.str.ptr, o.via.str.size);
      return true;
    case msgpack::type::BIN:
      *out = std::string(o.via.bin.ptr, o.via.bin.size);
      return true;
    default:
      *error = "holds an array, map or extension, which a hash field cannot";
      return false;
  }
}

}  // namespace

const ConnectorMapping* MappingOfKey(const ConnectorConfig& config, std::string_view key) {
  if (key.substr(0, kOwnPrefix.size()) == kOwnPrefix) return nullptr;
  for (const ConnectorMapping& m : config.map) {
    // A key equal to its prefix would be an empty record key.
    if (key.size() > m.table.size() && key.substr(0, m.table.size()) == m.table) return &m;
  }
  return nullptr;
}

const ConnectorMapping* MappingOfCollection(const ConnectorConfig& config,
                                            std::string_view collection) {
  for (const ConnectorMapping& m : config.map) {
    if (m.collection == collection) return &m;
  }
  return nullptr;
}

std::string EscapeGlob(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string EncodeHash(Fields fields) {
  SortFields(&fields);
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> p(buffer);
  p.pack_map(static_cast<uint32_t>(fields.size()));
  for (const auto& [name, value] : fields) {
    p.pack_str(static_cast<uint32_t>(name.size()));
    p.pack_str_body(name.data(), static_cast<uint32_t>(name.size()));
    if (IsUtf8(value)) {
      p.pack_str(static_cast<uint32_t>(value.size()));
      p.pack_str_body(value.data(), static_cast<uint32_t>(value.size()));
    } else {
      p.pack_bin(static_cast<uint32_t>(value.size()));
      p.pack_bin_body(value.data(), static_cast<uint32_t>(value.size()));
    }
  }
  return std::string(buffer.data(), buffer.size());
}

bool DecodeHash(const std::string& value, Fields* fields, std::string* error) {
  fields->clear();
  const bool ok = connector_values::ForEachEntry(
      value, "", "field", error, [&](std::string name, const msgpack::object& item) {
        std::string text, why;
        if (FieldText(item, &text, &why)) {
          fields->emplace_back(std::move(name), std::move(text));
        } else if (!why.empty()) {
          *error = "field " + name + " " + why;
          return false;
        }
        return true;
      });
  if (!ok) return false;
  SortFields(fields);
  return true;
}

std::string StringHash(std::string_view bytes) {
  std::string tagged = "s";
  tagged.append(bytes);
  return files_connector::HashOf(tagged);
}

std::string HashHash(Fields fields) {
  return files_connector::HashOf("h" + EncodeHash(std::move(fields)));
}

}  // namespace datasync::redis_connector
