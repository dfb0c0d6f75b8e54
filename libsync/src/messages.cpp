#include "datasync/messages.h"

#include <type_traits>
#include <variant>

#include "codec_wire.h"

namespace datasync {

// The names live beside the type numbers (codec_wire.h) so that logs,
// counters and decoder errors all call a message the same thing.
const char* MessageName(const Message& message) {
  return std::visit(
      [](const auto& m) { return wire::Traits<std::decay_t<decltype(m)>>::kName; },
      message);
}

}  // namespace datasync
