// Replica: the replication state machine of one node (ARCHITECTURE §3).
//
// Pure: no sockets, no threads, no clock. It is fed local writes, messages
// from peers and clock ticks (with the current wall time in milliseconds),
// and accumulates one ReplicaOutput: store writes, messages to send and
// replies to clients. The caller (the node's event loop, or the simulator)
// takes the output, commits its batch, then sends its messages, then
// delivers its replies: persist before send. Taking output after many inputs
// is what makes group commit.
//
// The replica reads the store only to build catch-up answers (from one
// snapshot) and when opened; it never writes it. Keep every key's current
// version in memory, so applying a change needs no store read (§9).
//
// One thread. If a commit fails, the in-memory state is ahead of the store:
// discard the replica and Open() a new one from the store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "datasync/hlc.h"
#include "datasync/messages.h"
#include "datasync/status.h"
#include "datasync/store.h"

namespace datasync {

enum class NodeMode { kBoth, kSendOnly, kReceiveOnly };
const char* NodeModeName(NodeMode mode);

struct ReplicaOptions {
  std::string node_id;
  NodeMode mode = NodeMode::kBoth;
  uint64_t heartbeat_ms = 200;
  uint64_t anti_entropy_ms = 1000;
  uint64_t catch_up_timeout_ms = 3000;      // no page for this long: give up
  uint64_t catch_up_session_idle_ms = 10000; // responder drops idle sessions
  size_t max_catch_up_sessions = 16;
  size_t catch_up_page_records = 1024;
  size_t catch_up_page_bytes = 1 << 20;
  size_t publish_batch_records = 1024;      // records per ChangeBatch
  size_t publish_batch_bytes = 1 << 20;     // keys + values per ChangeBatch
  uint64_t max_clock_offset_ms = 500;
  size_t max_key_bytes = 4096;
  size_t max_value_bytes = 1 << 20;
  size_t max_pending_seqs = 1 << 20;        // out-of-order seqs remembered

  // Deliberate bugs, so the simulator can show it catches them. Never set
  // outside tests.
  struct TestFaults {
    bool reverse_origin_tiebreak = false;  // equal hlc: lower origin wins
    bool skip_catch_up = false;            // never ask for a catch-up
  } faults;
};

// The loop's handle for a waiting client; returned in its Reply.
using ClientToken = uint64_t;

struct Reply {
  ClientToken token = 0;
  Status status;
  Version version;  // of the write, when ok
  uint64_t seq = 0;
};

struct Outgoing {
  // Empty: publish to every subscriber. Otherwise the peer's node id: a
  // catch-up request goes to that peer's sync socket, a page back to the
  // requester through our own.
  std::string to;
  Message message;
};

struct ReplicaOutput {
  WriteBatch batch;                  // 1. commit
  std::vector<Outgoing> messages;    // 2. send
  std::vector<Reply> replies;        // 3. answer
  std::vector<std::string> warnings; // log, rate-limited by the caller

  bool empty() const {
    return batch.empty() && messages.empty() && replies.empty() && warnings.empty();
  }
};

struct ReplicaCounters {
  uint64_t local_writes = 0;
  uint64_t remote_applied = 0;      // remote changes that won
  uint64_t remote_superseded = 0;   // remote changes that lost to ours
  uint64_t duplicates = 0;          // seq already covered by our vector
  uint64_t gaps_detected = 0;
  uint64_t catch_up_requests = 0;   // sent
  uint64_t catch_up_completed = 0;
  uint64_t catch_up_timeouts = 0;
  uint64_t catch_up_pages_served = 0;
  uint64_t catch_up_refused = 0;    // sessions refused or failed, both sides
  uint64_t clock_skew_reports = 0;
  uint64_t ignored_messages = 0;    // valid but not for us (mode, stale page)
  uint64_t rejected_writes = 0;     // client writes refused
};

class Replica {
 public:
  // Restores own seq, clock, vector and the in-memory version index from
  // `store`. `store` must outlive the replica.
  static Result<std::unique_ptr<Replica>> Open(ReplicaOptions options,
                                               const Store* store);

  // Client writes. The reply comes in the output once this write is in the
  // batch; the caller delivers it after the commit.
  void Put(ClientToken token, const std::string& collection, const std::string& key,
           const std::string& value, uint64_t now_ms);
  void Delete(ClientToken token, const std::string& collection,
              const std::string& key, uint64_t now_ms);
  // Every write or none: one invalid write refuses the batch. One reply,
  // with the version and seq of the last write.
  void WriteBatch(ClientToken token, std::vector<ClientWrite> writes, uint64_t now_ms);

  // Adds a named value to the next batch, so that it commits atomically
  // with the writes fed before it (a connector's resume position).
  void CommitAux(std::string name, std::string value);

  // A message from a peer (through SUB or the sync socket). Messages that
  // are not replication messages are counted and ignored.
  // Taken by value: records are moved from it into the store batch.
  void OnMessage(Message message, uint64_t now_ms);

  // Timers: heartbeats, anti-entropy, catch-up timeouts and session expiry.
  void Tick(uint64_t now_ms);

  // The peers that exist now (membership); catch-up goes only to these.
  void SetPeers(const std::vector<std::string>& peer_ids);

  // Everything produced since the last call.
  ReplicaOutput TakeOutput();

  const std::string& id() const { return options_.node_id; }
  const ReplicaOptions& options() const { return options_; }
  const VersionVector& vv() const { return vv_; }
  uint64_t own_seq() const { return own_seq_; }
  HlcTimestamp clock() const { return hlc_.last(); }
  const ReplicaCounters& counters() const { return counters_; }
  uint64_t record_count() const { return index_.size(); }
  uint64_t tombstone_count() const { return tombstones_; }
  // The current version of a key, if any (from memory).
  std::optional<Version> VersionOf(const std::string& collection,
                                   const std::string& key) const;
  // Peers with their last heartbeat's vector and our lag behind it.
  std::vector<PeerStatus> Peers() const;
  bool catching_up() const { return in_flight_.has_value(); }

 private:
  struct Entry {
    Version version;
    uint64_t seq = 0;
    bool deleted = false;
  };
  struct PeerState {
    VersionVector vv;       // from its last heartbeat
    VersionVector vv_prev;  // as of the previous anti-entropy round
    uint64_t last_heard_ms = 0;
  };
  struct InFlight {
    std::string peer;
    uint64_t request_id = 0;
    uint64_t deadline_ms = 0;
    uint64_t last_page = 0;  // number of the last page applied; 0: none yet
  };
  struct Session {
    std::unique_ptr<StoreSnapshot> snapshot;
    VersionVector since;
    OriginSeq cursor;
    uint64_t last_page = 0;  // number of the page last served
    uint64_t last_used_ms = 0;
  };

  static constexpr const char* kIncarnationKey = "replica.incarnation";

  Replica(ReplicaOptions options, const Store* store);
  Status Load();
  Status LoadIncarnation();

  void LocalWrite(ClientToken token, const std::string& collection,
                  const std::string& key, const std::string* value, uint64_t now_ms);
  Status CheckLocalWrite(const std::string& collection, const std::string& key,
                         const std::string* value) const;
  Status SeqRoomFor(size_t writes) const;
  // Gives an accepted write its version and seq; returns the record.
  const Record& InstallLocal(ClientWrite write, uint64_t now_ms);
  bool Wins(const Version& incoming, const Version& current) const;
  // Makes `record` the current version of its key (`current` is its index
  // entry) and adds the store write that replaces the old one.
  void Install(Entry* current, Record record);
  // Merges one remote record; true when it replaced our version.
  bool ApplyRemote(Record record, uint64_t now_ms);
  // Records that (origin, seq) is applied or superseded here.
  void MarkSeen(const std::string& origin, uint64_t seq);
  bool IsPending(const std::string& origin, uint64_t seq) const;
  // Raises vv_[origin] to at least seq, then over the pending run above it.
  void AdvanceTo(const std::string& origin, uint64_t seq);
  void RaiseOwnSeq(uint64_t seq);

  void OnChangeBatch(ChangeBatch batch, uint64_t now_ms);
  void OnHeartbeat(const Heartbeat& hb, uint64_t now_ms);
  void OnCatchUpRequest(const CatchUpRequest& req, uint64_t now_ms);
  void OnCatchUpNext(const CatchUpNext& next, uint64_t now_ms);
  void OnCatchUpPage(CatchUpPage page, uint64_t now_ms);
  void ServePage(const std::string& peer, uint64_t request_id, Session* session);
  void RequestCatchUp(const std::string& peer, uint64_t now_ms);
  void MaybeCatchUp(uint64_t now_ms);
  void Refuse(const std::string& peer, uint64_t request_id, Code code,
              std::string message);

  ReplicaOptions options_;
  const Store* store_;
  Hlc hlc_;
  uint64_t own_seq_ = 0;
  VersionVector vv_;
  std::unordered_map<std::string, Entry> index_;  // RecordKey -> current
  uint64_t tombstones_ = 0;
  // Seqs received beyond vv_[origin] + 1, so the vector can advance when the
  // gap fills. Memory only: losing it costs a redundant catch-up.
  std::map<std::string, std::set<uint64_t>> pending_;
  size_t pending_count_ = 0;
  std::map<std::string, PeerState> peers_;
  std::optional<InFlight> in_flight_;
  uint64_t next_request_id_ = 1;
  uint64_t next_page_number_ = 1;  // incarnation << 32, then counting
  std::map<std::pair<std::string, uint64_t>, Session> sessions_;
  uint64_t next_heartbeat_ms_ = 0;
  uint64_t next_anti_entropy_ms_ = 0;
  bool meta_dirty_ = false;
  ReplicaOutput out_;
  std::vector<Record> unpublished_;  // own writes for the next ChangeBatch
  ReplicaCounters counters_;
};

}  // namespace datasync
