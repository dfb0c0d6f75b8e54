#include "garbage.h"

#include <chrono>
#include <msgpack.hpp>
#include <random>

#include "datasync/codec.h"
#include "datasync/hlc.h"

namespace datasync::testutil {
namespace {

constexpr int kMaxType = 13;  // message types 1..13 exist in protocol 1

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

ClientRequest Put(const std::string& key, std::string value) {
  ClientRequest put;
  put.request_id = 7;
  put.op = ClientOp::kPut;
  put.collection = "kv";
  put.key = key;
  put.value = std::move(value);
  return put;
}

// Well-formed messages of several types, to truncate and mutate.
std::vector<std::string> ValidEncodings() {
  Record record;
  record.collection = "kv";
  record.key = "k";
  record.value = "v";
  record.version = {MakeHlc(1, 0), "fake"};
  record.seq = 1;
  ChangeBatch batch;
  batch.origin = "fake";
  batch.records = {record};
  Heartbeat heartbeat;
  heartbeat.origin = "fake";
  heartbeat.hlc = MakeHlc(1, 0);
  heartbeat.vv = VersionVector({{"fake", 3}});
  CatchUpRequest catch_up;
  catch_up.from = "fake";
  catch_up.request_id = 1;
  CatchUpNext next;
  next.from = "fake";
  next.request_id = 1;
  Join join;
  join.member = {"fake", "tcp://127.0.0.1:1", "tcp://127.0.0.1:2", "tcp://127.0.0.1:3"};
  Ping ping;
  ping.node_id = "fake";
  ping.epoch = 1;
  return {Encode(Put("garbage-key", "garbage-value")),
          Encode(batch),
          Encode(heartbeat),
          Encode(catch_up),
          Encode(next),
          Encode(join),
          Encode(ping)};
}

template <typename F>
std::string Packed(F&& write) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  write(packer);
  return std::string(buffer.data(), buffer.size());
}

// [1, type, N elements of one wrong kind] for every type and kind.
void AddWrongTypes(std::vector<std::string>* out) {
  for (int type = 0; type <= kMaxType + 2; ++type) {
    for (int kind = 0; kind < 5; ++kind) {
      for (int fields : {0, 1, 2, 3, 6, 8, 12}) {
        out->push_back(Packed([&](auto& p) {
          p.pack_array(2 + fields);
          p.pack(1);
          p.pack(type);
          for (int i = 0; i < fields; ++i) {
            switch (kind) {
              case 0:
                p.pack("text");
                break;
              case 1:
                p.pack(-12345);
                break;
              case 2:
                p.pack_nil();
                break;
              case 3:
                p.pack(3.5);
                break;
              default:
                p.pack_map(1);
                p.pack("k");
                p.pack_array(0);
                break;
            }
          }
        }));
      }
    }
  }
}

// Headers that are wrong, and bombs: huge declared lengths with no data,
// deep nesting.
void AddBadHeaders(std::vector<std::string>* out) {
  out->push_back(Packed([](auto& p) {
    p.pack_array(2);
    p.pack(999);
    p.pack(6);
  }));
  out->push_back(Packed([](auto& p) {
    p.pack_array(2);
    p.pack("1");
    p.pack(6);
  }));
  out->push_back(Packed([](auto& p) {
    p.pack_array(2);
    p.pack(1);
    p.pack(200);
  }));
  out->push_back(Packed([](auto& p) {
    p.pack_map(1);
    p.pack("v");
    p.pack(1);
  }));
  out->push_back(Packed([](auto& p) { p.pack("just a string"); }));
  out->push_back(Packed([](auto& p) { p.pack_nil(); }));
  out->push_back(Packed([](auto& p) { p.pack_array(0); }));
  out->push_back(std::string("\xdd\xff\xff\xff\xff", 5));              // array32 of 4G
  out->push_back(std::string("\xdf\xff\xff\xff\xff", 5));              // map32 of 4G
  out->push_back(std::string("\x93\x01\x06\xdb\xff\xff\xff\xff", 8));  // str32 4G
  out->push_back(std::string("\x93\x01\x06\xc6\xff\xff\xff\xff", 8));  // bin32 4G
  out->push_back(std::string(100000, '\x91') + "\x01");                // deep nesting
  out->push_back(std::string("\xc1", 1));                              // never used
}

}  // namespace

std::vector<std::string> GarbageBodies(uint32_t seed, bool bit_flips) {
  std::mt19937 rng(seed);
  std::vector<std::string> bodies;
  for (size_t n : {0, 1, 2, 3, 5, 8, 13, 100, 1000, 4096, 60000}) {
    bodies.push_back(RandomBytes(rng, n));
  }
  for (const std::string& valid : ValidEncodings()) {
    for (size_t len = 1; len < valid.size(); ++len)
      bodies.push_back(valid.substr(0, len));
    for (int i = 0; bit_flips && i < 20; ++i) {
      std::string mutated = valid;
      mutated[rng() % mutated.size()] ^= static_cast<char>(1 << (rng() % 8));
      bodies.push_back(mutated);
    }
    bodies.push_back(valid + "trailing");
  }
  AddWrongTypes(&bodies);
  AddBadHeaders(&bodies);
  return bodies;
}

std::vector<Multipart> RouterGarbage(uint32_t seed, size_t oversize_bytes) {
  std::vector<Multipart> messages;
  std::mt19937 rng(seed);
  std::string valid = ValidEncodings().front();
  for (const std::string& body : GarbageBodies(seed, /*bit_flips=*/true)) {
    messages.push_back({body});
    messages.push_back({"", body});
  }
  messages.push_back({valid, "extra", "frames"});
  messages.push_back({"", valid, ""});
  messages.push_back({"", "", "", ""});
  messages.push_back({""});
  messages.push_back({RandomBytes(rng, 16), valid});
  messages.push_back({RandomBytes(rng, oversize_bytes + 1)});
  messages.push_back({"", RandomBytes(rng, oversize_bytes * 2)});
  // Within the frame limit, beyond the value limit.
  messages.push_back({Encode(Put("too-big", std::string((1 << 20) + 1, 'x')))});
  return messages;
}

std::vector<Multipart> PubGarbage(uint32_t seed, const std::string& fake_id) {
  std::vector<Multipart> messages;
  const std::vector<std::string> topics = {"", "kv", "hb", "\xff\x00garbage"};
  size_t i = 0;
  for (const std::string& body : GarbageBodies(seed, /*bit_flips=*/false)) {
    messages.push_back({topics[i++ % topics.size()], body});
  }
  messages.push_back({"kv"});
  messages.push_back({"kv", "a", "b", "c"});
  Heartbeat ahead;
  ahead.origin = fake_id;
  ahead.hlc = MakeHlc(1, 0);
  ahead.vv = VersionVector({{fake_id, 1'000'000}});
  for (const auto& topic : topics) messages.push_back({topic, Encode(ahead)});
  return messages;
}

bool SendMultipart(zmq::socket_t& socket, const Multipart& message, int timeout_ms) {
  socket.set(zmq::sockopt::sndtimeo, timeout_ms);
  try {
    for (size_t i = 0; i < message.size(); ++i) {
      auto flags =
          i + 1 < message.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!socket.send(zmq::buffer(message[i]), flags)) return false;
    }
  } catch (const zmq::error_t&) {
    return false;
  }
  return true;
}

size_t DrainSocket(zmq::socket_t& socket) {
  size_t n = 0;
  zmq::message_t frame;
  try {
    while (socket.recv(frame, zmq::recv_flags::dontwait)) ++n;
  } catch (const zmq::error_t&) {
  }
  return n;
}

}  // namespace datasync::testutil
