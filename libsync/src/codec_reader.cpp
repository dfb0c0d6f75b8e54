#include "codec_reader.h"

#include <utility>

#include "datasync/record.h"

namespace datasync::codec {
namespace {

using msgpack::type::object_type;

const char* TypeName(object_type type) {
  switch (type) {
    case object_type::NIL:
      return "nil";
    case object_type::BOOLEAN:
      return "bool";
    case object_type::POSITIVE_INTEGER:
      return "uint";
    case object_type::NEGATIVE_INTEGER:
      return "negative int";
    case object_type::FLOAT32:
      return "float32";
    case object_type::FLOAT64:
      return "float64";
    case object_type::STR:
      return "str";
    case object_type::BIN:
      return "bin";
    case object_type::ARRAY:
      return "array";
    case object_type::MAP:
      return "map";
    case object_type::EXT:
      return "ext";
  }
  return "unknown";
}

std::string Num(uint64_t n) { return std::to_string(n); }

}  // namespace

bool Reader::Uint(const msgpack::object& o, const char* field, uint64_t* out) {
  // The unpacker turns a non-negative value sent in a signed format into
  // POSITIVE_INTEGER, so this accepts every encoding of a uint.
  if (o.type != object_type::POSITIVE_INTEGER) return WrongType(o, field, "uint");
  *out = o.via.u64;
  return true;
}

bool Reader::Bool(const msgpack::object& o, const char* field, bool* out) {
  if (o.type != object_type::BOOLEAN) return WrongType(o, field, "bool");
  *out = o.via.boolean;
  return true;
}

bool Reader::Str(const msgpack::object& o, const char* field, size_t max_bytes,
                 std::string* out) {
  if (o.type != object_type::STR) return WrongType(o, field, "str");
  if (o.via.str.size > max_bytes) {
    return Fail(field, "str of " + Num(o.via.str.size) + " bytes exceeds the limit of " +
                           Num(max_bytes));
  }
  out->assign(o.via.str.ptr, o.via.str.size);
  return true;
}

bool Reader::Bin(const msgpack::object& o, const char* field, size_t max_bytes,
                 std::string* out) {
  if (o.type != object_type::BIN) return WrongType(o, field, "bin");
  if (o.via.bin.size > max_bytes) {
    return Fail(field, "bin of " + Num(o.via.bin.size) + " bytes exceeds the limit of " +
                           Num(max_bytes));
  }
  out->assign(o.via.bin.ptr, o.via.bin.size);
  return true;
}

bool Reader::NodeId(const msgpack::object& o, const char* field, std::string* out) {
  if (!Str(o, field, kMaxNodeIdBytes, out)) return false;
  // The bad id is not echoed: it is peer-controlled bytes headed for a log.
  if (!IsValidNodeId(*out))
    return Fail(field, "invalid node id (want [A-Za-z0-9_-]{1,64})");
  return true;
}

bool Reader::Collection(const msgpack::object& o, const char* field, std::string* out) {
  if (!Str(o, field, kMaxCollectionBytes, out)) return false;
  if (!IsValidCollection(*out)) {
    return Fail(field, "invalid collection (want 1-255 bytes without NUL)");
  }
  return true;
}

bool Reader::Array(const msgpack::object& o, const char* field, size_t max_size,
                   const msgpack::object_array** out) {
  if (o.type != object_type::ARRAY) return WrongType(o, field, "array");
  if (o.via.array.size > max_size) {
    return Fail(field, "array of " + Num(o.via.array.size) +
                           " entries exceeds the limit of " + Num(max_size));
  }
  *out = &o.via.array;
  return true;
}

bool Reader::Tuple(const msgpack::object& o, const char* field, uint32_t size,
                   const msgpack::object** elements) {
  if (o.type != object_type::ARRAY) return WrongType(o, field, "array");
  if (o.via.array.size != size) {
    return Fail(field, "expected an array of " + Num(size) + " elements, got " +
                           Num(o.via.array.size));
  }
  *elements = o.via.array.ptr;
  return true;
}

bool Reader::Map(const msgpack::object& o, const char* field, size_t max_size,
                 const msgpack::object_map** out) {
  if (o.type != object_type::MAP) return WrongType(o, field, "map");
  if (o.via.map.size > max_size) {
    return Fail(field, "map of " + Num(o.via.map.size) +
                           " entries exceeds the limit of " + Num(max_size));
  }
  *out = &o.via.map;
  return true;
}

bool Reader::Vector(const msgpack::object& o, const char* field, VersionVector* out) {
  const msgpack::object_map* map = nullptr;
  if (!Map(o, field, limits_.max_vector_entries, &map)) return false;
  VersionVector::Map entries;
  for (uint32_t i = 0; i < map->size; ++i) {
    std::string origin;
    uint64_t seq = 0;
    if (!NodeId(map->ptr[i].key, "origin", &origin) ||
        !Uint(map->ptr[i].val, "seq", &seq)) {
      return Nest(field, i);
    }
    // A zero entry means "nothing", which the sender must omit; accepting it
    // would give one vector two encodings.
    if (seq == 0) {
      Fail(nullptr, "origin '" + origin + "' has seq 0");
      return Nest(field, i);
    }
    if (seq > kMaxSeq) {
      Fail(nullptr, "origin '" + origin + "' has seq " + std::to_string(seq) +
                        ", above 2^63-1");
      return Nest(field, i);
    }
    // Encoders send origins sorted, so the hint makes each insert O(1).
    const size_t before = entries.size();
    auto it = entries.emplace_hint(entries.end(), std::move(origin), seq);
    if (entries.size() == before) {
      Fail(nullptr, "duplicate origin '" + it->first + "'");
      return Nest(field, i);
    }
  }
  *out = VersionVector(std::move(entries));
  return true;
}

bool Reader::Fail(const char* field, std::string what) {
  path_ = field != nullptr ? field : "";
  what_ = std::move(what);
  return false;
}

bool Reader::Nest(const char* field) {
  path_ = path_.empty() ? std::string(field) : std::string(field) + "." + path_;
  return false;
}

bool Reader::Nest(const char* field, size_t index) {
  std::string prefix = std::string(field) + "[" + Num(index) + "]";
  path_ = path_.empty() ? std::move(prefix) : prefix + "." + path_;
  return false;
}

std::string Reader::Error() const { return path_.empty() ? what_ : path_ + ": " + what_; }

bool Reader::WrongType(const msgpack::object& o, const char* field,
                       const char* expected) {
  return Fail(field, std::string("expected ") + expected + ", got " + TypeName(o.type));
}

}  // namespace datasync::codec
