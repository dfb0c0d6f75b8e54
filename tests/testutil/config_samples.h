// Config texts more than one suite starts from.
#pragma once

namespace datasync::testutil {

// The smallest valid node config, lines 1-7: cases that append keys to it
// count on the line numbers.
inline constexpr char kMinimalNodeYaml[] = R"(node:
  id: a
  data_dir: ./var/a
endpoints:
  api: tcp://127.0.0.1:7101
  pub: tcp://127.0.0.1:7102
  sync: tcp://127.0.0.1:7103
)";

}  // namespace datasync::testutil
