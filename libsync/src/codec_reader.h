// Typed, non-throwing access to a msgpack::object tree, for the decoder.
//
// msgpack-cxx's own conversions (.as<T>()) throw on a type mismatch; these
// check .type first. The first failure records the field and what was wrong;
// callers then return false up the stack, each level prefixing its own field
// name with Nest(), so the full path ("change_batch.records[3].key: expected
// bin, got str") is only ever built for a message that failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <msgpack.hpp>
#include <string>

#include "datasync/codec.h"
#include "datasync/version_vector.h"

namespace datasync::codec {

class Reader {
 public:
  explicit Reader(const CodecLimits& limits) : limits_(limits) {}

  const CodecLimits& limits() const { return limits_; }

  // Each getter checks the type (and limit) of `o` and, on success, stores
  // the value in *out. `field` names `o` in the error; it may be nullptr when
  // the caller's Nest() names it.
  bool Uint(const msgpack::object& o, const char* field, uint64_t* out);
  bool Bool(const msgpack::object& o, const char* field, bool* out);
  bool Str(const msgpack::object& o, const char* field, size_t max_bytes,
           std::string* out);
  bool Bin(const msgpack::object& o, const char* field, size_t max_bytes,
           std::string* out);
  // A str holding a valid node id (IsValidNodeId).
  bool NodeId(const msgpack::object& o, const char* field, std::string* out);
  // A str holding a valid collection name (IsValidCollection).
  bool Collection(const msgpack::object& o, const char* field, std::string* out);
  // An array of at most max_size elements.
  bool Array(const msgpack::object& o, const char* field, size_t max_size,
             const msgpack::object_array** out);
  // An array of exactly `size` elements; *elements points at the first.
  bool Tuple(const msgpack::object& o, const char* field, uint32_t size,
             const msgpack::object** elements);
  // A map of at most max_size entries.
  bool Map(const msgpack::object& o, const char* field, size_t max_size,
           const msgpack::object_map** out);
  // A map of node id -> seq, every seq > 0, no origin twice.
  bool Vector(const msgpack::object& o, const char* field, VersionVector* out);

  // Records the first error: `field` (may be nullptr) and what was wrong.
  // Always returns false, so callers can `return r.Fail(...)`.
  bool Fail(const char* field, std::string what);
  // Prefixes the recorded error's path with `field` or `field[index]`.
  // Always returns false.
  bool Nest(const char* field);
  bool Nest(const char* field, size_t index);

  // "path: what" of the recorded error.
  std::string Error() const;

 private:
  bool WrongType(const msgpack::object& o, const char* field, const char* expected);

  const CodecLimits& limits_;
  std::string path_;
  std::string what_;
};

}  // namespace datasync::codec
