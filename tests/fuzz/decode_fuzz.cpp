// libFuzzer target over the decoder of one message type, or over the whole
// envelope. Built once per type (CMakeLists.txt defines
// DATASYNC_FUZZ_MESSAGE to the struct's name): the input is that type's
// fields, behind a correct envelope header, so every mutation lands in the
// type's own readers instead of dying on the version or type byte. Without
// DATASYNC_FUZZ_MESSAGE the input is the whole message.
//
// Asserts Decode's contract (codec.h): it never throws or crashes, an error
// is kInvalidArgument with a message, and an accepted message re-encodes to
// bytes that decode to the same message and re-encode to the same bytes
// (the encoder is canonical; the decoder also takes non-minimal integer
// widths, so the input itself need not come back byte for byte).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec_wire.h"
#include "datasync/codec.h"

namespace datasync {
namespace {

[[noreturn]] void Die(const char* what, const Message* m) {
  std::fprintf(stderr, "decode_fuzz: %s (%s)\n", what, m ? MessageName(*m) : "-");
  std::abort();
}

void CheckDecode(std::string_view bytes) {
  Result<Message> r = Decode(bytes);
  if (!r.ok()) {
    if (r.status().code() != Code::kInvalidArgument)
      Die("error code is not kInvalidArgument", nullptr);
    if (r.status().message().empty()) Die("error without a message", nullptr);
    return;
  }
  const std::string encoded = Encode(r.value());
  Result<Message> again = Decode(encoded);
  if (!again.ok()) Die("re-encoded message does not decode", &r.value());
  if (!(again.value() == r.value()))
    Die("re-encoded message decodes differently", &r.value());
  if (Encode(again.value()) != encoded) Die("encoding is not canonical", &r.value());
}

}  // namespace
}  // namespace datasync

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using datasync::wire::Traits;
#ifdef DATASYNC_FUZZ_MESSAGE
  using T = Traits<datasync::DATASYNC_FUZZ_MESSAGE>;
  static_assert(T::kFields + datasync::wire::kHeaderElements <= 15, "fits a fixarray");
  std::string bytes;
  bytes.reserve(size + 3);
  bytes.push_back(static_cast<char>(0x90 + T::kFields + datasync::wire::kHeaderElements));
  bytes.push_back(static_cast<char>(datasync::kProtocolVersion));
  bytes.push_back(static_cast<char>(T::kType));
  bytes.append(reinterpret_cast<const char*>(data), size);
  datasync::CheckDecode(bytes);
#else
  datasync::CheckDecode(std::string_view(reinterpret_cast<const char*>(data), size));
#endif
  return 0;
}
