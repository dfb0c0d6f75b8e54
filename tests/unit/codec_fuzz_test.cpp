// Decode is total: seeded random bytes and random mutations of valid
// encodings never crash and never throw, every failure is an
// kInvalidArgument with a message, and whatever is accepted re-encodes to
// bytes that decode to the same message. (tests/fuzz/ runs libFuzzer over
// the same entry point; this keeps a fast, deterministic share in unit_tests.)
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.h"
#include "datasync/codec.h"

namespace datasync {
namespace {

constexpr int kIterations = 100'000;

// False, after reporting, when Decode broke its contract on `bytes`.
bool DecodesTotally(const std::string& bytes, size_t* accepted) {
  try {
    Result<Message> r = Decode(bytes);
    if (!r.ok()) {
      if (r.status().code() == Code::kInvalidArgument && !r.status().message().empty()) {
        return true;
      }
      ADD_FAILURE() << "bad error: " << r.status().ToString();
      return false;
    }
    ++*accepted;
    Result<Message> again = Decode(Encode(r.value()));
    if (!again.ok() || !(again.value() == r.value())) {
      ADD_FAILURE() << MessageName(r.value()) << " did not survive a re-encode";
      return false;
    }
    return true;
  } catch (...) {
    ADD_FAILURE() << "Decode threw on " << bytes.size() << " bytes";
    return false;
  }
}

// Bytes that steer the parser into its interesting states: container and
// string headers of every width, nil, bools, the reserved 0xc1, ext.
const uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x91, 0x97,
                                0x9f, 0xa0, 0xa1, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4,
                                0xc5, 0xc6, 0xc7, 0xc9, 0xcc, 0xcf, 0xd0, 0xd3, 0xd4,
                                0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff};

uint8_t RandomByte(std::mt19937_64& rng) {
  if (rng() % 2 == 0) return kInteresting[rng() % sizeof(kInteresting)];
  return static_cast<uint8_t>(rng());
}

std::string RandomBuffer(std::mt19937_64& rng) {
  std::string s;
  // Half the time, a plausible envelope so the fuzzing reaches the readers.
  if (rng() % 2 == 0) {
    s += static_cast<char>(0x90 | (rng() % 16));
    s += '\x01';
    s += static_cast<char>(rng() % 15);
  }
  const size_t n = rng() % 64;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>(RandomByte(rng));
  return s;
}

void Mutate(std::mt19937_64& rng, std::string* s) {
  const size_t edits = 1 + rng() % 4;
  for (size_t e = 0; e < edits && !s->empty(); ++e) {
    const size_t at = rng() % s->size();
    switch (rng() % 7) {
      case 0:
        (*s)[at] = static_cast<char>((*s)[at] ^ (1 << (rng() % 8)));
        break;
      case 1:
        (*s)[at] = static_cast<char>(RandomByte(rng));
        break;
      case 2:
        s->insert(s->begin() + at, static_cast<char>(RandomByte(rng)));
        break;
      case 3:
        s->erase(at, 1 + rng() % 4);
        break;
      case 4:
        s->resize(at);
        break;
      case 5:
        s->insert(at, s->substr(rng() % s->size(), 1 + rng() % 16));
        break;
      case 6:
        std::swap((*s)[at], (*s)[rng() % s->size()]);
        break;
    }
  }
}

TEST(CodecFuzz, RandomBuffers) {
  std::mt19937_64 rng(20261101);
  size_t accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    ASSERT_TRUE(DecodesTotally(RandomBuffer(rng), &accepted)) << "iteration " << i;
  }
}

TEST(CodecFuzz, MutatedEncodings) {
  std::vector<std::string> seeds;
  for (const Message& m : codec_test::SampleMessages()) seeds.push_back(Encode(m));
  std::mt19937_64 rng(42);
  size_t accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    std::string bytes = seeds[rng() % seeds.size()];
    Mutate(rng, &bytes);
    ASSERT_TRUE(DecodesTotally(bytes, &accepted)) << "iteration " << i;
  }
  // Edits inside values keep a message valid; if none was ever accepted, the
  // re-encode check above never ran.
  EXPECT_GT(accepted, 1000u);
}

TEST(CodecFuzz, MutationsUnderTightLimits) {
  CodecLimits limits;
  limits.max_records = 3;
  limits.max_key_bytes = 8;
  limits.max_value_bytes = 64;
  limits.max_string_bytes = 16;
  limits.max_vector_entries = 2;
  limits.max_members = 1;
  limits.max_map_entries = 1;
  limits.max_message_bytes = 512;
  std::vector<std::string> seeds;
  for (const Message& m : codec_test::SampleMessages()) seeds.push_back(Encode(m));
  std::mt19937_64 rng(7);
  for (int i = 0; i < kIterations / 10; ++i) {
    std::string bytes = seeds[rng() % seeds.size()];
    Mutate(rng, &bytes);
    EXPECT_NO_THROW({
      Result<Message> r = Decode(bytes, limits);
      (void)r;
    });
  }
}

}  // namespace
}  // namespace datasync
