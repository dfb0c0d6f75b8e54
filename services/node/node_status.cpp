// `syncctl status`: what this node is, where it stands and what it counted.
#include "node_loop.h"

namespace datasync {

NodeStatus NodeLoop::BuildStatus() const {
  NodeStatus s;
  s.node_id = config_.id();
  s.mode = NodeModeName(config_.replica.mode);
  s.store = store_->Name();
  s.vv = replica_->vv();
  s.records = replica_->record_count();
  s.tombstones = replica_->tombstone_count();

  // The replica counts a peer as connected once it has ever heard from it;
  // an operator wants to know whether it hears from it now.
  const uint64_t now = SteadyMs();
  const uint64_t fresh_ms = 3 * config_.replica.heartbeat_ms + 100;
  for (PeerStatus p : replica_->Peers()) {
    auto it = heard_ms_.find(p.id);
    p.connected = it != heard_ms_.end() && now <= it->second + fresh_ms;
    s.peers.push_back(std::move(p));
  }

  auto& c = s.counters;
  for (const auto& [name, field] : kReplicaCounterFields) {
    c[name] = retired_counters_.*field + replica_->counters().*field;
  }
  c["bad_input.api"] = counters_.bad_input_api;
  c["bad_input.sub"] = counters_.bad_input_sub;
  c["bad_input.sync"] = counters_.bad_input_sync;
  c["bad_input.coordinator"] = counters_.bad_input_coordinator;
  c["bad_input"] = counters_.bad_input_api + counters_.bad_input_sub +
                   counters_.bad_input_sync + counters_.bad_input_coordinator;
  c["commits"] = counters_.commits;
  c["commit_errors"] = counters_.commit_errors;
  c["busy_replies"] = counters_.busy_replies;
  c["replies_dropped"] = counters_.replies_dropped;
  c["sends_dropped"] = counters_.sends_dropped;
  c["pending_requests"] = pending_requests();
  c["watchers"] = watchers_.size();
  c["watch_replies_dropped"] = watchers_.dropped_replies();
  c["watchers_dropped"] = watchers_.dropped_watchers();
  c["own_seq"] = replica_->own_seq();

  ConnectorStatus(&s);
  s.info["version"] = DATASYNC_VERSION;
  s.info["catching_up"] = replica_->catching_up() ? "yes" : "no";
  if (coordinator_) {
    s.info["coordinator"] = coordinator_->endpoint();
    s.info["coordinator_state"] = coordinator_->state(now);
    s.info["epoch"] = std::to_string(coordinator_->epoch());
    c["coordinator_sends_dropped"] = coordinator_->sends_dropped();
  } else {
    s.info["coordinator"] = "none";
  }
  return s;
}

}  // namespace datasync
