// Bounded msgpack parsing: the first step of Decode.
//
// msgpack-cxx's unpack allocates a slot for every element an array or map
// header declares before it has seen the elements, so a 5-byte header could
// ask for gigabytes. Unpack refuses, before any allocation, a container that
// is over CodecLimits, nested deeper than the protocol ever nests, or that
// declares more elements than the remaining message could hold; strings and
// binaries are referenced in place, never copied. Memory use is therefore at
// most about 24 bytes (one msgpack::object) per input byte.
#pragma once

#include <msgpack.hpp>
#include <string_view>

#include "datasync/codec.h"
#include "datasync/status.h"

namespace datasync::codec {

// Parses exactly one msgpack object from `bytes` into *out, allocating from
// *zone. Fails (kInvalidArgument) on malformed or truncated input, an object
// over `limits`, or trailing bytes. The str/bin payloads in *out point into
// `bytes`, so `bytes` and *zone must outlive *out.
// May throw std::bad_alloc or a msgpack::unpack_error: Decode catches.
Status Unpack(std::string_view bytes, const CodecLimits& limits, msgpack::zone* zone,
              msgpack::object* out);

}  // namespace datasync::codec
