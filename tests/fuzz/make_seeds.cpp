// Writes the seed corpus under DIR (tests/fuzz/corpus): real encodings of
// every message type (codec_test_util's samples and default values), the
// config files the project ships or documents, and schedules for the
// replica targets. Rerun after a wire-format change:
//   build-fuzz/bin/fuzz_make_seeds tests/fuzz/corpus
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include "testutil/config_samples.h"
#include <variant>

#include "codec_wire.h"
#include "unit/codec_test_util.h"

namespace fs = std::filesystem;

namespace datasync {
namespace {

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// The per-type targets get the fields only: their harness writes the
// header (a fixarray, version 1, the type) itself.
void WriteMessage(const fs::path& root, const Message& m, const std::string& variant) {
  const std::string bytes = Encode(m);
  const std::string name = MessageName(m);
  Write(root / "decode", name + "-" + variant, bytes);
  Write(root / ("decode_" + name), variant, bytes.substr(wire::kHeaderElements + 1));
}

template <size_t I = 0>
void WriteDefaults(const fs::path& root) {
  if constexpr (I < std::variant_size_v<Message>) {
    WriteMessage(root, Message(std::in_place_index<I>), "default");
    WriteDefaults<I + 1>(root);
  }
}

constexpr const char* kNodeMinimal = testutil::kMinimalNodeYaml;

// What deploy/local/datasync-local writes.
constexpr char kNodeLocal[] = R"(node:
  id: n1
  data_dir: /tmp/ds/data/n1
endpoints:
  api: tcp://127.0.0.1:39566
  pub: tcp://127.0.0.1:42515
  sync: tcp://127.0.0.1:39294
coordinator: tcp://127.0.0.1:7000
store: { type: rocksdb }
)";

constexpr char kNodeFull[] =
    R"(node: { id: node-1, data_dir: /srv/n1, mode: receive-only }
endpoints:
  api: tcp://*:7101
  pub: ipc:///tmp/datasync-node-1.pub
  sync: tcp://[::1]:7103
peers:
  - id: b
    pub: tcp://10.0.0.2:7102
    sync: tcp://10.0.0.2:7103
  - { id: c, pub: "inproc://c-pub", sync: inproc://c-sync }
store: { type: sqlite, sync: true }
replication: { heartbeat_ms: 250, anti_entropy_ms: 2s, catch_up_timeout_ms: 1m,
  catch_up_page_records: 512, publish_batch_records: 256, max_clock_offset_ms: 750ms,
  group_commit_ms: 0, group_commit_max: 128 }
limits: { max_message_bytes: 1048576, max_key_bytes: 1024, max_value_bytes: 65536,
  max_pending_requests: 5000 }
transport: { sndhwm: 0, rcvhwm: 2000 }
log: { level: debug }
)";

constexpr char kCoordinator[] = R"(coordinator:
  bind: tcp://127.0.0.1:7000
  failure_timeout_ms: 3000
  heartbeat_ms: 250
log: { level: warn }
)";

void WriteSchedules(const fs::path& dir) {
  std::mt19937_64 rng(7);
  for (size_t size : {64, 256, 1024}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    Write(dir, "random-" + std::to_string(size), bytes);
  }
}

}  // namespace
}  // namespace datasync

int main(int argc, char** argv) {
  using namespace datasync;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  for (const Message& m : codec_test::SampleMessages()) WriteMessage(root, m, "sample");
  WriteDefaults(root);
  Write(root / "config", "node-minimal.yaml", kNodeMinimal);
  Write(root / "config", "node-local.yaml", kNodeLocal);
  Write(root / "config", "node-full.yaml", kNodeFull);
  Write(root / "config", "coordinator.yaml", kCoordinator);
  WriteSchedules(root / "sequence");
  WriteSchedules(root / "replica_input");
  return 0;
}
