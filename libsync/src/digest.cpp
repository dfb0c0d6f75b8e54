// FNV-1a 128 over a canonical, length-prefixed encoding of each record, so
// that no two different record sequences feed the hash the same bytes.
#include "datasync/digest.h"

namespace datasync {
namespace {

// 2^88 + 2^8 + 0x3b
constexpr unsigned __int128 kFnvPrime =
    (static_cast<unsigned __int128>(0x0000000001000000ULL) << 64) | 0x000000000000013BULL;

}  // namespace

void DigestBuilder::Mix(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  unsigned __int128 h = h_;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
  h_ = h;
}

// Little-endian whatever the host, so digests compare across machines.
void DigestBuilder::MixU64(uint64_t v) {
  unsigned char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<unsigned char>(v >> (8 * i));
  Mix(buf, sizeof buf);
}

void DigestBuilder::Add(const Record& record) {
  MixU64(record.collection.size());
  Mix(record.collection.data(), record.collection.size());
  MixU64(record.key.size());
  Mix(record.key.data(), record.key.size());
  MixU64(record.value.size());
  Mix(record.value.data(), record.value.size());
  const unsigned char deleted = record.deleted ? 1 : 0;
  Mix(&deleted, 1);
  MixU64(record.version.hlc);
  MixU64(record.version.origin.size());
  Mix(record.version.origin.data(), record.version.origin.size());
  MixU64(record.seq);
}

std::string DigestBuilder::Hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(32, '0');
  unsigned __int128 h = h_;
  for (int i = 31; i >= 0; --i) {
    out[i] = kDigits[static_cast<unsigned>(h & 0xf)];
    h >>= 4;
  }
  return out;
}

Result<std::string> StoreDigest(const Store& store, const std::string& collection) {
  DigestBuilder builder;
  auto add = [&builder](const Record& record) {
    builder.Add(record);
    return true;
  };
  Status s = collection.empty() ? store.ScanAll(add) : store.Scan(collection, "", add);
  if (!s.ok()) return s;
  return builder.Hex();
}

}  // namespace datasync
