#include "datasync/replica.h"

#include <algorithm>
#include <utility>

namespace datasync {

const char* NodeModeName(NodeMode mode) {
  switch (mode) {
    case NodeMode::kBoth: return "both";
    case NodeMode::kSendOnly: return "send-only";
    case NodeMode::kReceiveOnly: return "receive-only";
  }
  return "unknown";
}

Replica::Replica(ReplicaOptions options, const Store* store)
    : options_(std::move(options)), store_(store), hlc_(options_.max_clock_offset_ms) {}

Result<std::unique_ptr<Replica>> Replica::Open(ReplicaOptions options,
                                               const Store* store) {
  if (!IsValidNodeId(options.node_id)) {
    return Status::Invalid("invalid node id \"" + options.node_id + "\"");
  }
  std::unique_ptr<Replica> replica(new Replica(std::move(options), store));
  Status s = replica->Load();
  if (!s.ok()) return s;
  return replica;
}

Status Replica::Load() {
  Result<Metadata> meta = store_->LoadMetadata();
  if (!meta.ok()) return meta.status();
  vv_ = meta->vv;
  own_seq_ = std::max(meta->own_seq, vv_.Get(options_.node_id));
  HlcTimestamp max_hlc = meta->hlc;
  Status s = store_->ScanAll([&](const Record& r) {
    index_[RecordKey(r.collection, r.key)] = Entry{r.version, r.seq, r.deleted};
    if (r.deleted) ++tombstones_;
    max_hlc = std::max(max_hlc, r.version.hlc);
    if (r.version.origin == options_.node_id) own_seq_ = std::max(own_seq_, r.seq);
    return true;
  });
  if (!s.ok()) return s;
  // The clock resumes above everything this replica has stored, so a wall
  // clock that went back while we were down cannot reorder our writes.
  hlc_ = Hlc(options_.max_clock_offset_ms, max_hlc);
  vv_.Set(options_.node_id, own_seq_);
  return LoadIncarnation();
}

// Catch-up request ids must never repeat across restarts: a page answering a
// request of the previous process was computed from that process's vector,
// which a crash may have taken back, and must not be taken for an answer to
// ours. Page numbers must not either: a requester's CatchUpNext for a page
// of our previous process must not fetch the next page of a session this
// process opened for a duplicate of the same request (replica_catch_up.cpp).
// The incarnation is committed with the first batch, and a message is sent
// only after the batch it came with is committed, so every request and page
// that left this node carries an incarnation the store already holds.
Status Replica::LoadIncarnation() {
  uint64_t incarnation = 0;
  Result<std::string> stored = store_->GetAux(kIncarnationKey);
  if (stored.ok()) {
    for (char c : stored.value()) {
      if (c < '0' || c > '9') return Status::Corruption("bad replica incarnation");
      incarnation = incarnation * 10 + static_cast<uint64_t>(c - '0');
    }
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  ++incarnation;
  next_request_id_ = incarnation << 32;
  next_page_number_ = (incarnation << 32) + 1;
  out_.batch.aux.emplace_back(kIncarnationKey, std::to_string(incarnation));
  return Status::Ok();
}

void Replica::Put(ClientToken token, const std::string& collection,
                  const std::string& key, const std::string& value, uint64_t now_ms) {
  LocalWrite(token, collection, key, &value, now_ms);
}

void Replica::Delete(ClientToken token, const std::string& collection,
                     const std::string& key, uint64_t now_ms) {
  LocalWrite(token, collection, key, nullptr, now_ms);
}

void Replica::WriteBatch(ClientToken token, std::vector<ClientWrite> writes,
                         uint64_t now_ms) {
  Status invalid = writes.empty() ? Status::Invalid("a batch holds at least one write")
                                  : SeqRoomFor(writes.size());
  for (size_t i = 0; i < writes.size() && invalid.ok(); ++i) {
    const ClientWrite& w = writes[i];
    if (w.deleted && !w.value.empty()) {
      invalid = Status::Invalid("a delete carries no value");
    } else {
      invalid = CheckLocalWrite(w.collection, w.key, w.deleted ? nullptr : &w.value);
    }
    if (!invalid.ok()) {
      invalid = Status(invalid.code(), "write " + std::to_string(i) + ": " + invalid.message());
    }
  }
  if (!invalid.ok()) {
    counters_.rejected_writes += writes.size();
    out_.replies.push_back(Reply{token, std::move(invalid), {}, 0});
    return;
  }
  const Record* last = nullptr;
  for (ClientWrite& w : writes) last = &InstallLocal(std::move(w), now_ms);
  out_.replies.push_back(Reply{token, Status::Ok(), last->version, last->seq});
}

Status Replica::CheckLocalWrite(const std::string& collection, const std::string& key,
                                const std::string* value) const {
  if (options_.mode == NodeMode::kReceiveOnly) {
    return Status::Refused("node " + options_.node_id +
                           " is receive-only: it accepts no client writes");
  }
  if (!IsValidCollection(collection)) {
    return Status::Invalid("collection must be 1..255 bytes without NUL");
  }
  if (key.empty() || key.size() > options_.max_key_bytes) {
    return Status::Invalid("key must be 1.." + std::to_string(options_.max_key_bytes) +
                           " bytes");
  }
  if (value && value->size() > options_.max_value_bytes) {
    return Status::Invalid("value is larger than " +
                           std::to_string(options_.max_value_bytes) + " bytes");
  }
  return Status::Ok();
}

// Only reachable through peers that claim we wrote up to near kMaxSeq
// (RaiseOwnSeq): refusing keeps every seq we send one the decoder accepts.
Status Replica::SeqRoomFor(size_t writes) const {
  if (own_seq_ <= kMaxSeq - writes) return Status::Ok();
  return Status::Refused("node " + options_.node_id + " is at seq " + std::to_string(own_seq_) +
                         "; its writes may not pass 2^63-1");
}

void Replica::CommitAux(std::string name, std::string value) {
  out_.batch.aux.emplace_back(std::move(name), std::move(value));
}

void Replica::LocalWrite(ClientToken token, const std::string& collection,
                         const std::string& key, const std::string* value,
                         uint64_t now_ms) {
  Status invalid = CheckLocalWrite(collection, key, value);
  if (invalid.ok()) invalid = SeqRoomFor(1);
  if (!invalid.ok()) {
    ++counters_.rejected_writes;
    out_.replies.push_back(Reply{token, std::move(invalid), {}, 0});
    return;
  }
  const Record& r = InstallLocal(
      ClientWrite{collection, key, value ? *value : std::string(), value == nullptr}, now_ms);
  out_.replies.push_back(Reply{token, Status::Ok(), r.version, r.seq});
}

const Record& Replica::InstallLocal(ClientWrite write, uint64_t now_ms) {
  Record r;
  r.collection = std::move(write.collection);
  r.key = std::move(write.key);
  r.value = std::move(write.value);
  r.deleted = write.deleted;
  r.version = Version{hlc_.Now(now_ms), options_.node_id};
  r.seq = ++own_seq_;
  vv_.Set(options_.node_id, own_seq_);

  ++counters_.local_writes;
  meta_dirty_ = true;
  unpublished_.push_back(r);
  Entry* current = &index_[RecordKey(r.collection, r.key)];
  Install(current, std::move(r));
  return out_.batch.writes.back().record;
}

void Replica::Install(Entry* current, Record record) {
  if (current->deleted) --tombstones_;
  if (record.deleted) ++tombstones_;
  RecordWrite& w = out_.batch.writes.emplace_back(RecordWrite{std::move(record), {}});
  if (!current->version.empty()) {
    w.replaces = OriginSeq{std::move(current->version.origin), current->seq};
  }
  *current = Entry{w.record.version, w.record.seq, w.record.deleted};
}

bool Replica::Wins(const Version& incoming, const Version& current) const {
  if (options_.faults.reverse_origin_tiebreak && incoming.hlc == current.hlc) {
    return incoming.origin < current.origin;
  }
  return Supersedes(incoming, current);
}

bool Replica::ApplyRemote(Record record, uint64_t now_ms) {
  if (record.seq == 0 || record.seq > kMaxSeq || record.version.hlc == 0) {
    ++counters_.ignored_messages;  // no write has seq or hlc 0 (see kMaxSeq)
    return false;
  }
  if (!hlc_.Update(record.version.hlc, now_ms)) {
    ++counters_.clock_skew_reports;
    out_.warnings.push_back("clock of " + record.version.origin + " is " +
                            std::to_string(HlcPhysicalMs(record.version.hlc) - now_ms) +
                            " ms ahead of ours");
  }
  meta_dirty_ = true;
  if (record.version.origin == options_.node_id) RaiseOwnSeq(record.seq);
  MarkSeen(record.version.origin, record.seq);

  Entry& e = index_[RecordKey(record.collection, record.key)];
  if (!e.version.empty() && !Wins(record.version, e.version)) {
    ++counters_.remote_superseded;
    return false;
  }
  ++counters_.remote_applied;
  Install(&e, std::move(record));
  return true;
}

void Replica::MarkSeen(const std::string& origin, uint64_t seq) {
  const uint64_t have = vv_.Get(origin);
  if (seq <= have) return;
  if (seq == have + 1) {
    AdvanceTo(origin, seq);
  } else if (pending_count_ < options_.max_pending_seqs &&
             pending_[origin].insert(seq).second) {
    ++pending_count_;
  }
}

void Replica::AdvanceTo(const std::string& origin, uint64_t seq) {
  uint64_t next = std::max(vv_.Get(origin), seq);
  // Usually nothing is pending at all: spare the lookup.
  auto it = pending_.empty() ? pending_.end() : pending_.find(origin);
  if (it != pending_.end()) {
    std::set<uint64_t>& seqs = it->second;
    // Seqs at or below the new contiguous end are covered: drop them, and
    // absorb the run that now follows it.
    while (!seqs.empty() && *seqs.begin() <= next + 1) {
      next = std::max(next, *seqs.begin());
      seqs.erase(seqs.begin());
      --pending_count_;
    }
    if (seqs.empty()) pending_.erase(it);
  }
  vv_.Set(origin, next);
}

// A peer knows of writes by us that our store does not hold: our data
// directory was lost or restored from an old copy. Never reuse those seqs.
void Replica::RaiseOwnSeq(uint64_t seq) {
  if (seq <= own_seq_ || seq > kMaxSeq) return;
  out_.warnings.push_back("peers hold writes of " + options_.node_id + " up to seq " +
                          std::to_string(seq) + " but our store ends at " +
                          std::to_string(own_seq_) + "; continuing above it");
  own_seq_ = seq;
  vv_.Set(options_.node_id, std::max(vv_.Get(options_.node_id), seq));
  meta_dirty_ = true;
}

void Replica::OnMessage(Message message, uint64_t now_ms) {
  if (auto* m = std::get_if<ChangeBatch>(&message)) {
    OnChangeBatch(std::move(*m), now_ms);
  } else if (const auto* m = std::get_if<Heartbeat>(&message)) {
    OnHeartbeat(*m, now_ms);
  } else if (const auto* m = std::get_if<CatchUpRequest>(&message)) {
    OnCatchUpRequest(*m, now_ms);
  } else if (const auto* m = std::get_if<CatchUpNext>(&message)) {
    OnCatchUpNext(*m, now_ms);
  } else if (auto* m = std::get_if<CatchUpPage>(&message)) {
    OnCatchUpPage(std::move(*m), now_ms);
  } else {
    ++counters_.ignored_messages;
  }
}

void Replica::OnChangeBatch(ChangeBatch batch, uint64_t now_ms) {
  if (options_.mode == NodeMode::kSendOnly || batch.origin == options_.node_id) {
    ++counters_.ignored_messages;
    return;
  }
  bool gap = false;
  for (Record& r : batch.records) {
    // A publisher sends only its own writes; anything else is not trusted
    // as a statement about its sequence.
    if (r.version.origin != batch.origin) {
      ++counters_.ignored_messages;
      continue;
    }
    const uint64_t have = vv_.Get(r.version.origin);
    if (r.seq <= have) {
      ++counters_.duplicates;
      // Still merged: versions decide the value, seqs only track progress.
    } else if (r.seq > have + 1 && !IsPending(r.version.origin, r.seq - 1)) {
      gap = true;
    }
    ApplyRemote(std::move(r), now_ms);
  }
  if (gap) {
    ++counters_.gaps_detected;
    RequestCatchUp(batch.origin, now_ms);
  }
}

void Replica::OnHeartbeat(const Heartbeat& hb, uint64_t now_ms) {
  auto it = peers_.find(hb.origin);
  if (it == peers_.end()) {
    ++counters_.ignored_messages;  // not a member (yet): nothing to ask it
    return;
  }
  PeerState& peer = it->second;
  peer.vv = hb.vv;
  peer.last_heard_ms = now_ms;
  RaiseOwnSeq(hb.vv.Get(options_.node_id));
  if (options_.mode == NodeMode::kSendOnly) return;
  if (!hlc_.Update(hb.hlc, now_ms)) ++counters_.clock_skew_reports;
  // A peer publishes its heartbeat after its own writes on the same
  // connection, so lacking its own writes here means they were lost (tail
  // loss). Other origins' writes may still be on their way to us directly;
  // anti-entropy asks for those once they are overdue.
  if (hb.vv.Get(hb.origin) > vv_.Get(hb.origin)) RequestCatchUp(hb.origin, now_ms);
}

bool Replica::IsPending(const std::string& origin, uint64_t seq) const {
  auto it = pending_.find(origin);
  return it != pending_.end() && it->second.count(seq) > 0;
}

void Replica::SetPeers(const std::vector<std::string>& peer_ids) {
  std::map<std::string, PeerState> next;
  for (const std::string& id : peer_ids) {
    if (id == options_.node_id) continue;
    auto it = peers_.find(id);
    next[id] = it == peers_.end() ? PeerState{} : std::move(it->second);
  }
  peers_ = std::move(next);
  if (in_flight_ && !peers_.count(in_flight_->peer)) in_flight_.reset();
}

void Replica::Tick(uint64_t now_ms) {
  if (now_ms >= next_heartbeat_ms_) {
    next_heartbeat_ms_ = now_ms + options_.heartbeat_ms;
    out_.messages.push_back(
        Outgoing{"", Heartbeat{options_.node_id, hlc_.Now(now_ms), vv_}});
    meta_dirty_ = true;
  }
  if (in_flight_ && now_ms >= in_flight_->deadline_ms) {
    ++counters_.catch_up_timeouts;
    in_flight_.reset();
  }
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const bool idle = now_ms >= it->second.last_used_ms + options_.catch_up_session_idle_ms;
    it = idle ? sessions_.erase(it) : std::next(it);
  }
  if (now_ms >= next_anti_entropy_ms_) {
    next_anti_entropy_ms_ = now_ms + options_.anti_entropy_ms;
    MaybeCatchUp(now_ms);
  }
}

std::vector<PeerStatus> Replica::Peers() const {
  std::vector<PeerStatus> out;
  for (const auto& [id, peer] : peers_) {
    out.push_back(PeerStatus{id, peer.last_heard_ms != 0, vv_.LagBehind(peer.vv), peer.vv});
  }
  return out;
}

std::optional<Version> Replica::VersionOf(const std::string& collection,
                                          const std::string& key) const {
  auto it = index_.find(RecordKey(collection, key));
  if (it == index_.end()) return std::nullopt;
  return it->second.version;
}

ReplicaOutput Replica::TakeOutput() {
  // Own writes go out as few ChangeBatch messages as the batch limit allows;
  // they are published only after the caller committed out.batch.
  // They go before this round's heartbeat, whose vector already counts them.
  // Batches are bounded in records and bytes so that every one stays well
  // under the peers' message size limit.
  std::vector<Outgoing> batches;
  // Sized for the records left, so that filling a batch moves each record once.
  auto new_batch = [this](size_t left) {
    ChangeBatch cb{options_.node_id, {}};
    cb.records.reserve(std::min(left, options_.publish_batch_records));
    return cb;
  };
  ChangeBatch cb = new_batch(unpublished_.size());
  size_t bytes = 0;
  for (size_t i = 0; i < unpublished_.size(); ++i) {
    Record& r = unpublished_[i];
    const size_t size = r.key.size() + r.value.size();
    if (!cb.records.empty() && (cb.records.size() >= options_.publish_batch_records ||
                                bytes + size > options_.publish_batch_bytes)) {
      batches.push_back(Outgoing{"", std::move(cb)});
      cb = new_batch(unpublished_.size() - i);
      bytes = 0;
    }
    bytes += size;
    cb.records.push_back(std::move(r));
  }
  if (!cb.records.empty()) batches.push_back(Outgoing{"", std::move(cb)});
  unpublished_.clear();
  out_.messages.insert(out_.messages.begin(), std::make_move_iterator(batches.begin()),
                       std::make_move_iterator(batches.end()));
  if (meta_dirty_) {
    out_.batch.metadata = Metadata{own_seq_, hlc_.last(), vv_};
    meta_dirty_ = false;
  }
  ReplicaOutput out = std::move(out_);
  out_ = ReplicaOutput{};
  return out;
}

}  // namespace datasync
