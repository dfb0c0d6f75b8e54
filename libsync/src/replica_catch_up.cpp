// Catch-up: how a replica that lacks writes gets them from a peer, and how it
// answers such requests (ARCHITECTURE §3). The answer is read from one store
// snapshot across all its pages, so the vector sent with the last page is
// exactly as complete as the records sent before it.
#include <algorithm>
#include <utility>

#include "datasync/replica.h"

namespace datasync {

void Replica::RequestCatchUp(const std::string& peer, uint64_t now_ms) {
  if (options_.faults.skip_catch_up || options_.mode == NodeMode::kSendOnly) return;
  if (in_flight_ || !peers_.count(peer)) return;
  const uint64_t id = next_request_id_++;
  in_flight_ = InFlight{peer, id, now_ms + options_.catch_up_timeout_ms, 0};
  ++counters_.catch_up_requests;
  out_.messages.push_back(Outgoing{peer, CatchUpRequest{options_.node_id, id, vv_}});
}

// Anti-entropy: ask the peer that has had the most writes we still lack for
// a whole round. Comparing with the previous round's vector, not the latest
// heartbeat, leaves writes still in flight to their own delivery.
void Replica::MaybeCatchUp(uint64_t now_ms) {
  const std::string* best = nullptr;
  uint64_t best_lag = 0;
  for (auto& [id, peer] : peers_) {
    const uint64_t lag = vv_.LagBehind(peer.vv_prev);
    if (lag > best_lag) {
      best_lag = lag;
      best = &id;
    }
  }
  if (best) RequestCatchUp(*best, now_ms);
  for (auto& [id, peer] : peers_) peer.vv_prev = peer.vv;
}

void Replica::OnCatchUpRequest(const CatchUpRequest& req, uint64_t now_ms) {
  if (sessions_.count({req.from, req.request_id})) {
    ++counters_.ignored_messages;  // a duplicate: restarting would mix snapshots
    return;
  }
  // A requester has one catch-up at a time: a new request replaces the old.
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->first.first == req.from ? sessions_.erase(it) : std::next(it);
  }
  if (sessions_.size() >= options_.max_catch_up_sessions) {
    Refuse(req.from, req.request_id, Code::kBusy, "too many catch-up sessions");
    return;
  }
  Result<std::unique_ptr<StoreSnapshot>> snap = store_->OpenSnapshot();
  if (!snap.ok()) {
    Refuse(req.from, req.request_id, snap.status().code(), snap.status().message());
    return;
  }
  Session& session = sessions_[{req.from, req.request_id}];
  session.snapshot = std::move(snap).value();
  session.since = req.since;
  session.last_used_ms = now_ms;
  ServePage(req.from, req.request_id, &session);
}

void Replica::OnCatchUpNext(const CatchUpNext& next, uint64_t now_ms) {
  auto it = sessions_.find({next.from, next.request_id});
  if (it == sessions_.end()) {
    Refuse(next.from, next.request_id, Code::kNotFound,
           "unknown or expired catch-up session");
    return;
  }
  if (next.page != it->second.last_page) {
    ++counters_.ignored_messages;  // a duplicated or stale request
    return;
  }
  it->second.last_used_ms = now_ms;
  ServePage(next.from, next.request_id, &it->second);
}

void Replica::ServePage(const std::string& peer, uint64_t request_id,
                        Session* session) {
  CatchUpPage page{options_.node_id, request_id, {}, false, {}, Code::kOk, "",
                   next_page_number_++};
  session->last_page = page.page;
  Status s = session->snapshot->ReadSince(
      session->since, &session->cursor, options_.catch_up_page_records,
      options_.catch_up_page_bytes, &page.records, &page.done);
  if (!s.ok()) {
    sessions_.erase({peer, request_id});
    Refuse(peer, request_id, s.code(), s.message());
    return;
  }
  ++counters_.catch_up_pages_served;
  if (page.done) {
    page.vv = session->snapshot->metadata().vv;
    sessions_.erase({peer, request_id});
  }
  out_.messages.push_back(Outgoing{peer, std::move(page)});
}

void Replica::Refuse(const std::string& peer, uint64_t request_id, Code code,
                     std::string message) {
  ++counters_.catch_up_refused;
  CatchUpPage page{options_.node_id, request_id, {}, true, {}, code, std::move(message), 0};
  if (page.error == Code::kOk) page.error = Code::kIoError;
  out_.messages.push_back(Outgoing{peer, std::move(page)});
}

void Replica::OnCatchUpPage(CatchUpPage page, uint64_t now_ms) {
  if (!in_flight_ || page.from != in_flight_->peer ||
      page.request_id != in_flight_->request_id) {
    ++counters_.ignored_messages;  // a stale answer to a request we gave up on
    return;
  }
  // The vector of the last page vouches for every page of its session. The
  // responder serves a page only to our CatchUpNext naming the page before
  // it, which we send only once that one is applied: holding any page of a
  // session, we hold all those before it. Older numbers are duplicates or
  // stale, from a session we no longer follow.
  if (page.error == Code::kOk && page.page <= in_flight_->last_page) {
    ++counters_.ignored_messages;
    return;
  }
  if (page.error != Code::kOk) {
    ++counters_.catch_up_refused;
    out_.warnings.push_back("catch-up from " + page.from + " failed: " +
                            page.error_message);
    in_flight_.reset();
    return;
  }
  for (Record& r : page.records) ApplyRemote(std::move(r), now_ms);
  if (!page.done) {
    in_flight_->deadline_ms = now_ms + options_.catch_up_timeout_ms;
    in_flight_->last_page = page.page;
    out_.messages.push_back(
        Outgoing{page.from, CatchUpNext{options_.node_id, page.request_id, page.page}});
    return;
  }
  // Everything the responder's vector covers is now applied or superseded
  // here (see the header comment of this file), so ours may rise to it.
  RaiseOwnSeq(page.vv.Get(options_.node_id));
  for (const auto& [origin, seq] : page.vv.entries()) AdvanceTo(origin, seq);
  meta_dirty_ = true;
  ++counters_.catch_up_completed;
  in_flight_.reset();
}

}  // namespace datasync
