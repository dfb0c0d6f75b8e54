// Hostile input for the bad-input scenario: multipart messages that no
// well-behaved peer or client would send, and raw ZeroMQ sockets to send
// them with. Deterministic (seeded), so a failure can be replayed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace datasync::testutil {

using Multipart = std::vector<std::string>;

// Single-frame bodies: random bytes of many sizes, every truncation of
// valid encodings, arrays of the right shape with wrong element types for
// every message type, unknown versions and types, allocation and nesting
// bombs, and (when `bit_flips`) valid encodings with one bit flipped.
// Deterministic for a given seed.
//
// A bit flip often leaves a message valid: a put of another key, or a
// change with another seq. That is fine for a client socket, but a flipped
// change batch published by a configured peer is a lie the node cannot
// detect (seq 3 of an origin with no seq 2 anywhere stays beyond every
// vector, so anti-entropy never spreads it), so the fake peer publishes no
// bit flips.
std::vector<std::string> GarbageBodies(uint32_t seed, bool bit_flips);

// What goes to a ROUTER socket (api, sync, coordinator): every garbage body
// as one frame, behind an empty delimiter frame, and with extra frames after
// a valid request; empty messages; frames larger than `oversize_bytes`; a
// put whose value exceeds the node's value limit.
std::vector<Multipart> RouterGarbage(uint32_t seed, size_t oversize_bytes);

// What a fake peer publishes: garbage bodies behind several topic frames,
// messages with no body frame or too many, and a heartbeat from `fake_id`
// claiming writes nobody has (so the node asks the fake for a catch-up).
std::vector<Multipart> PubGarbage(uint32_t seed, const std::string& fake_id);

// Sends `message` without blocking for more than `timeout_ms`; false when
// it could not be queued.
bool SendMultipart(zmq::socket_t& socket, const Multipart& message,
                   int timeout_ms = 1000);
// Receives and discards whatever is queued on `socket` (replies to
// garbage), without waiting.
size_t DrainSocket(zmq::socket_t& socket);

}  // namespace datasync::testutil
