// Shared pieces of the integration scenarios: node ids, key and value
// makers, and waits on what `syncctl --json status` reports.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "client_load.h"
#include "testutil/cluster.h"

namespace datasync::testutil {

using namespace std::chrono_literals;

inline const std::string kCollection = "kv";

// "key-000042" for i = 42: fixed width so keys sort like numbers.
std::string KeyName(uint64_t i);

// A load of `count` puts on `id`'s api: write i goes to key
// KeyName((i + key_offset) % key_space) with a value naming the writer and
// i, padded to `value_bytes` when that is longer.
PutLoad OverlappingLoad(const Cluster& cluster, const std::string& id, uint64_t count,
                        uint64_t key_space, uint64_t key_offset = 0,
                        size_t value_bytes = 0);

// The ids of `ids` other than `id`.
std::vector<std::string> Others(const std::vector<std::string>& ids,
                                const std::string& id);

// Fails unless no put was refused, left unanswered or acknowledged without
// a version.
::testing::AssertionResult AllAcked(const std::vector<PutResult>& results);

// Waits until `id` reports `count` peers (ids) in its status, all
// connected.
::testing::AssertionResult WaitPeersConnected(Cluster& cluster, const std::string& id,
                                              const std::vector<std::string>& peers,
                                              std::chrono::milliseconds timeout = 10s);

// The record count `id` reports in its status; nullopt when it does not
// answer.
std::optional<uint64_t> RecordCount(Cluster& cluster, const std::string& id);

// `syncctl --json status` of every node of `ids`, one per line, for
// failure messages.
std::string StatusDump(Cluster& cluster, const std::vector<std::string>& ids);

// Spells out a put through syncctl at `id`, expecting exit 0.
::testing::AssertionResult CtlPut(Cluster& cluster, const std::string& id,
                                  const std::string& key, const std::string& value);

// Waits until `syncctl get` at `id` prints `value` for `key`.
::testing::AssertionResult WaitValue(Cluster& cluster, const std::string& id,
                                     const std::string& key, const std::string& value,
                                     std::chrono::milliseconds timeout = 5s);

}  // namespace datasync::testutil
