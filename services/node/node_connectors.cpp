// The node's side of its connectors (ARCHITECTURE §8, datasync/connector.h).
//
// Captured changes become local writes through the Replica, exactly like
// client writes, and the connector's new position rides in the same batch
// (an aux entry), so one store transaction holds both. The connector hears
// "committed" only after that commit, and each applying connector gets the
// records of every commit, except those it captured itself.
#include <spdlog/spdlog.h>

#include <unordered_map>

#include "datasync/overloaded.h"
#include "node_loop.h"
#include "transport/zmq_util.h"

namespace datasync {
namespace {

// Bounds the time one resync holds the loop per page.
constexpr size_t kResyncPageRecords = 1024;
constexpr size_t kResyncPageBytes = 1 << 20;

}  // namespace

Status NodeLoop::StartConnectors() {
  for (const ConnectorConfig& config : config_.connectors) {
    auto link = std::make_unique<ConnectorLink>();
    link->config = config;
    for (const ConnectorMapping& m : config.map) link->collections.insert(m.collection);
    const std::string endpoint = "inproc://connector-" + config.name;
    try {
      link->socket = zmq::socket_t(context_, zmq::socket_type::pair);
      link->socket.set(zmq::sockopt::linger, 0);
      // Both ends drain at once into memory they bound themselves; a
      // high-water mark would only turn a slow moment into a lost message.
      link->socket.set(zmq::sockopt::sndhwm, 0);
      link->socket.set(zmq::sockopt::rcvhwm, 0);
      link->socket.bind(endpoint);
    } catch (const zmq::error_t& e) {
      return Status::IoError("connector " + config.name + ": " + e.what());
    }
    std::string position;
    Result<std::string> stored = store_->GetAux(ConnectorPositionKey(config.name));
    if (stored.ok()) {
      position = stored.value();
    } else if (stored.status().code() != Code::kNotFound) {
      return stored.status();
    }
    link->state.state = "starting";
    link->state.position = position;
    Result<std::unique_ptr<ConnectorThread>> thread =
        ConnectorThread::Start(config, &context_, endpoint, position);
    if (!thread.ok()) return thread.status();
    link->thread = std::move(thread).value();
    spdlog::info("connector {} ({} {}, {}) started at position \"{}\"", config.name,
                 ConnectorTypeName(config.type), config.target,
                 ConnectorDirectionName(config.direction), position);
    connectors_.push_back(std::move(link));
  }
  return Status::Ok();
}

void NodeLoop::StopConnectors() {
  for (auto& link : connectors_) SendToConnector(link.get(), ConnectorStop{});
  for (auto& link : connectors_) {
    link->thread->Join();
    link->socket.close();
  }
  connectors_.clear();
}

ConnectorLink* NodeLoop::FindConnector(const std::string& name) {
  for (auto& link : connectors_) {
    if (link->config.name == name) return link.get();
  }
  return nullptr;
}

void NodeLoop::SendToConnector(ConnectorLink* link, const NodeToConnector& message) {
  const std::string bytes = EncodeConnectorMessage(message);
  try {
    (void)link->socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    spdlog::error("connector {}: cannot send: {}", link->config.name, e.what());
  }
}

bool NodeLoop::DrainConnector(ConnectorLink* link, size_t budget) {
  for (size_t i = 0; i < budget; ++i) {
    zmq::message_t msg;
    try {
      if (!link->socket.recv(msg, zmq::recv_flags::dontwait)) return false;
    } catch (const zmq::error_t&) {
      return false;
    }
    Result<ConnectorToNode> m = DecodeConnectorToNode(transport::View(msg));
    if (!m.ok()) {
      spdlog::error("connector {}: {}", link->config.name, m.status().message());
      continue;
    }
    std::visit(Overloaded{
                   [&](const ConnectorCaptured& c) { OnCaptured(link, c); },
                   [&](const ConnectorResync& r) { OnResync(link, r); },
                   [&](const ConnectorFailures& f) { OnConnectorFailures(link, f); },
                   [&](const ConnectorState& s) {
                     if (s.last_error != link->state.last_error && !s.last_error.empty()) {
                       spdlog::warn("connector {}: {} ({})", link->config.name,
                                    s.last_error, s.state);
                     } else if (s.state != link->state.state) {
                       spdlog::info("connector {}: {}", link->config.name, s.state);
                     }
                     link->state = s;
                   },
                   [&](const ConnectorUninstalled& u) {
                     if (!link->uninstall_envelope) return;
                     ClientReply reply;
                     reply.request_id = link->uninstall_request_id;
                     reply.code = u.code;
                     reply.message = u.message;
                     SendReply(*link->uninstall_envelope, std::move(reply));
                     link->uninstall_envelope.reset();
                     if (u.code == Code::kOk) {
                       spdlog::info("connector {} uninstalled", link->config.name);
                     }
                   },
               },
               m.value());
  }
  return true;
}

void NodeLoop::OnCaptured(ConnectorLink* link, const ConnectorCaptured& captured) {
  if (stopping_) {
    // Not committed: the connector reads these again after the restart.
    SendToConnector(link, ConnectorCaptureAck{captured.position, false});
    return;
  }
  const uint64_t now = ReplicaNowMs();
  for (const CapturedChange& c : captured.changes) {
    const ClientToken token = next_token_++;
    captured_writes_[token] = CapturedWrite{link, c.collection, c.key};
    if (c.deleted) {
      replica_->Delete(token, c.collection, c.key, now);
    } else {
      replica_->Put(token, c.collection, c.key, c.value, now);
    }
  }
  replica_->CommitAux(ConnectorPositionKey(link->config.name), captured.position);
  link->pending_position = captured.position;
}

void NodeLoop::OnResync(ConnectorLink* link, const ConnectorResync& resync) {
  ++link->resyncs;
  Result<std::unique_ptr<StoreSnapshot>> snapshot = store_->OpenSnapshot();
  if (!snapshot.ok()) {
    spdlog::error("connector {}: cannot read the store for a resync: {}",
                  link->config.name, snapshot.status().message());
    return;
  }
  // One snapshot, sent whole before any later commit's records: the
  // connector sees the state as of the snapshot, then what came after.
  OriginSeq cursor;
  bool done = false;
  uint64_t sent = 0;
  while (!done) {
    std::vector<Record> page;
    Status s = (*snapshot)->ReadSince(resync.since, &cursor, kResyncPageRecords,
                                      kResyncPageBytes, &page, &done);
    if (!s.ok()) {
      spdlog::error("connector {}: resync read failed: {}", link->config.name,
                    s.message());
      return;
    }
    ConnectorApply apply;
    for (Record& r : page) {
      if (link->collections.count(r.collection)) apply.records.push_back(std::move(r));
    }
    sent += apply.records.size();
    if (!apply.records.empty()) SendToConnector(link, apply);
  }
  SendToConnector(link, ConnectorApply{{}, (*snapshot)->metadata().vv, true});
  spdlog::info("connector {}: resync sent {} records", link->config.name, sent);
}

void NodeLoop::OnConnectorFailures(ConnectorLink* link, const ConnectorFailures& failures) {
  for (const ConnectorFailure& f : failures.failures) {
    ++link->failures;
    uint64_t suppressed = 0;
    if (!log_limiter_.Allow("connector." + link->config.name, SteadyMs(), &suppressed)) {
      continue;
    }
    spdlog::error("connector {}: {} key \"{}\": {}{}", link->config.name, f.collection,
                  f.key, f.message,
                  suppressed ? fmt::format(" ({} more suppressed)", suppressed) : "");
  }
}

void NodeLoop::ConnectorsAfterCommit(std::vector<Reply>* replies,
                                     const std::vector<RecordWrite>& writes,
                                     bool committed) {
  if (connectors_.empty()) return;
  for (const Reply& r : *replies) {
    auto it = captured_writes_.find(r.token);
    if (it == captured_writes_.end()) continue;
    ConnectorLink* link = it->second.connector;
    if (r.status.ok() && committed) {
      link->captured_seqs.insert(r.seq);
    } else if (committed) {
      // Refused by the replica (too large, say): the change stays in the
      // external system only. Counted and logged with its key.
      OnConnectorFailures(link, ConnectorFailures{{{it->second.collection, it->second.key,
                                                    "not captured: " + r.status.message()}}});
    }
    captured_writes_.erase(it);
  }
  for (auto& link : connectors_) {
    if (link->pending_position) {
      SendToConnector(link.get(), ConnectorCaptureAck{*link->pending_position, committed});
      link->pending_position.reset();
    }
    if (!committed || !link->config.applies()) {
      link->captured_seqs.clear();
      continue;
    }
    // The last write of each key in this commit; earlier ones are superseded.
    std::unordered_map<std::string, const Record*> last;
    std::vector<std::string> order;
    for (const RecordWrite& w : writes) {
      if (!link->collections.count(w.record.collection)) continue;
      std::string key = RecordKey(w.record.collection, w.record.key);
      auto [it, inserted] = last.emplace(key, &w.record);
      if (inserted) {
        order.push_back(std::move(key));
      } else {
        it->second = &w.record;
      }
    }
    ConnectorApply apply;
    for (const std::string& key : order) {
      const Record* r = last[key];
      const bool own = r->version.origin == config_.id() && link->captured_seqs.count(r->seq);
      if (!own) apply.records.push_back(*r);
    }
    link->captured_seqs.clear();
    apply.vv = replica_->vv();
    apply.has_vv = true;
    if (!apply.records.empty()) SendToConnector(link.get(), apply);
  }
}

void NodeLoop::OnConnectorRequest(const std::vector<std::string>& envelope,
                                  const ClientRequest& request) {
  ClientReply reply;
  reply.request_id = request.request_id;
  if (request.op == ClientOp::kConnectors) {
    for (const auto& link : connectors_) {
      const ConnectorState& s = link->state;
      Record r;
      r.key = link->config.name;
      r.value = std::string(ConnectorTypeName(link->config.type)) + " " + s.state +
                " position=" + s.position + " lag=" + std::to_string(s.lag) +
                " errors=" + std::to_string(s.errors) +
                (s.last_error.empty() ? "" : " last_error=" + s.last_error);
      r.collection = "connectors";
      // Placeholders: a record on the wire names a valid origin and seq.
      r.version.origin = config_.id();
      r.seq = 1;
      reply.records.push_back(std::move(r));
    }
    SendReply(envelope, std::move(reply));
    return;
  }
  ConnectorLink* link = FindConnector(request.key);
  if (link == nullptr) {
    reply.code = Code::kNotFound;
    reply.message = "no connector named " + request.key;
  } else if (link->uninstall_envelope) {
    reply.code = Code::kBusy;
    reply.message = "connector " + request.key + " is already being uninstalled";
  } else {
    link->uninstall_envelope = envelope;
    link->uninstall_request_id = request.request_id;
    SendToConnector(link, ConnectorUninstall{});
    return;  // answered when the connector is done
  }
  SendReply(envelope, std::move(reply));
}

void NodeLoop::ConnectorStatus(NodeStatus* status) const {
  for (const auto& link : connectors_) {
    const ConnectorState& s = link->state;
    const std::string prefix = "connector." + link->config.name;
    status->info[prefix] = s.state;
    status->info[prefix + ".position"] = s.position;
    status->info[prefix + ".last_error"] = s.last_error;
    auto& c = status->counters;
    c[prefix + ".lag"] = s.lag;
    c[prefix + ".errors"] = s.errors;
    c[prefix + ".captured"] = s.captured;
    c[prefix + ".applied"] = s.applied;
    c[prefix + ".skipped"] = s.skipped;
    c[prefix + ".failed"] = link->failures;
    c[prefix + ".resyncs"] = link->resyncs;
  }
}

}  // namespace datasync
