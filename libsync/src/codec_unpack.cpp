#include "codec_unpack.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "codec_wire.h"
#include "datasync/record.h"

namespace datasync::codec {
namespace {

// Strings and binaries stay in the caller's buffer: the decoder copies each
// once, into its std::string, and nothing is copied into the zone.
bool ReferenceInPlace(msgpack::type::object_type, size_t, void*) { return true; }

// One limit per msgpack kind, so each is the largest any field of that kind
// may legally have; the decoder then checks each field's own limit.
msgpack::unpack_limit UnpackLimit(const CodecLimits& l) {
  return msgpack::unpack_limit(
      /*array=*/std::max({l.max_records, l.max_members, wire::kMaxFixedArray}),
      /*map=*/std::max(l.max_vector_entries, l.max_map_entries),
      /*str=*/std::max(l.max_string_bytes, kMaxCollectionBytes),
      /*bin=*/std::max(l.max_key_bytes, l.max_value_bytes),
      /*ext=*/0,
      /*depth=*/wire::kMaxDepth);
}

std::string Num(uint64_t n) { return std::to_string(n); }

// create_object_visitor builds the msgpack::object tree; this checks what
// must be checked before it allocates, and reports failures as text rather
// than exceptions (cheaper when a peer floods us with garbage). msgpack::parse
// calls the visitor through its static type, so these hide the base's.
class BoundedVisitor : public msgpack::detail::create_object_visitor {
  using Base = msgpack::detail::create_object_visitor;

 public:
  BoundedVisitor(const msgpack::unpack_limit& limit, size_t message_bytes,
                 msgpack::zone* zone)
      : Base(&ReferenceInPlace, nullptr, limit),
        limit_(limit),
        message_bytes_(message_bytes),
        budget_(message_bytes) {
    set_zone(*zone);
    set_referenced(false);
  }

  bool visit_str(const char* v, uint32_t size) {
    if (size > limit_.str()) return TooBig("str", size, limit_.str());
    return Base::visit_str(v, size);
  }
  bool visit_bin(const char* v, uint32_t size) {
    if (size > limit_.bin()) return TooBig("bin", size, limit_.bin());
    return Base::visit_bin(v, size);
  }
  bool visit_ext(const char*, uint32_t) {
    return Fail("msgpack ext values are not part of the protocol");
  }
  bool start_array(uint32_t n) {
    if (n > limit_.array()) return TooBig("array", n, limit_.array());
    return Open(n) && Base::start_array(n);
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }
  bool start_map(uint32_t n) {
    if (n > limit_.map()) return TooBig("map", n, limit_.map());
    return Open(uint64_t{2} * n) && Base::start_map(n);
  }
  bool end_map() {
    --depth_;
    return Base::end_map();
  }
  void insufficient_bytes(size_t, size_t) {
    Fail("truncated: the message ends inside an object (" + Num(message_bytes_) +
         " bytes)");
  }
  void parse_error(size_t, size_t error_offset) {
    Fail("malformed msgpack at byte " + Num(error_offset));
  }

  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
    return false;
  }
  bool TooBig(const char* kind, uint64_t size, uint64_t limit) {
    const char* unit = kind[0] == 'a' || kind[0] == 'm' ? " entries" : " bytes";
    return Fail(std::string(kind) + " of " + Num(size) + unit + " exceeds the limit of " +
                Num(limit));
  }
  bool Open(uint64_t elements) {
    if (depth_ >= wire::kMaxDepth) {
      return Fail("nested deeper than " + Num(wire::kMaxDepth) + " levels");
    }
    // Each element starts with a byte of its own, so in a well-formed message
    // all containers together declare fewer elements than it has bytes.
    // Checking this before the base allocates element slots is what stops a
    // short message from declaring huge arrays.
    if (elements > budget_) {
      return Fail("containers declare more elements than a message of " +
                  Num(message_bytes_) + " bytes can hold");
    }
    budget_ -= elements;
    ++depth_;
    return true;
  }

  msgpack::unpack_limit limit_;
  size_t message_bytes_;
  uint64_t budget_;
  size_t depth_ = 0;
  std::string error_;
};

}  // namespace

Status Unpack(std::string_view bytes, const CodecLimits& limits, msgpack::zone* zone,
              msgpack::object* out) {
  BoundedVisitor visitor(UnpackLimit(limits), bytes.size(), zone);
  size_t offset = 0;
  if (!msgpack::parse(bytes.data(), bytes.size(), offset, visitor)) {
    return Status::Invalid(visitor.error().empty() ? "malformed msgpack"
                                                   : visitor.error());
  }
  if (offset != bytes.size()) {
    return Status::Invalid(Num(bytes.size() - offset) +
                           " trailing bytes after the message's " + Num(offset));
  }
  *out = visitor.data();
  return Status::Ok();
}

}  // namespace datasync::codec
