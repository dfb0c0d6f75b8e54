#include "node_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <utility>

#include "signals.h"
#include "transport/zmq_util.h"

namespace datasync {
namespace {

constexpr uint64_t kTickMs = 10;
// Messages taken from one socket per iteration, so that a flood on one
// socket cannot starve the others or delay the group commit for long.
constexpr size_t kDrainBudget = 512;
constexpr int kLingerMs = 200;

}  // namespace

uint64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint64_t SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

uint64_t NodeLoop::ReplicaNowMs() {
  // The HLC wants the wall clock; the replica's timers want a clock that
  // keeps moving. Follow the wall clock, but should it step back, go on
  // from where we were at the monotonic rate (the HLC would not go back
  // anyway).
  const uint64_t steady = SteadyMs();
  replica_now_ms_ = std::max(WallMs(), replica_now_ms_ + (steady - replica_steady_ms_));
  replica_steady_ms_ = steady;
  return replica_now_ms_;
}

NodeLoop::NodeLoop(NodeConfig config, std::unique_ptr<Store> store)
    : config_(std::move(config)),
      store_(std::move(store)),
      context_(1),
      watchers_(config_.max_watch_bytes) {}

// A loop that never ran Shutdown() (a failed start, a fatal store error)
// still stops its connector threads, which would otherwise keep the
// context, and so the process, from ending.
NodeLoop::~NodeLoop() { StopConnectors(); }

Status NodeLoop::Start() {
  Result<std::unique_ptr<Replica>> replica = Replica::Open(config_.replica, store_.get());
  if (!replica.ok()) {
    return Status(replica.status().code(), std::string("cannot load ") + store_->Name() +
                                               " store: " + replica.status().message());
  }
  replica_ = std::move(replica).value();

  transport::SocketOptions in;  // sockets that receive from the network
  in.linger_ms = kLingerMs;
  in.max_message_bytes = static_cast<int64_t>(config_.limits.max_message_bytes);
  in.sndhwm = config_.sndhwm;
  in.rcvhwm = config_.rcvhwm;

  transport::SocketOptions api = in;
  // Each pending request gets one reply: the api queue must hold them all,
  // or a pipelining client loses replies. Only watchers go beyond that, and
  // they are dropped from (counted) rather than queued for without bound.
  if (api.sndhwm > 0) {
    api.sndhwm = static_cast<int>(std::min<size_t>(
        INT_MAX, std::max<size_t>(api.sndhwm, config_.max_pending_requests)));
  }
  // Without it a reply to a client that is gone vanishes silently; with it
  // the send fails, which is how a departed watcher is noticed.
  api.router_mandatory = true;
  transport::SocketOptions sync = in;
  // A peer restarted after kill -9 reconnects with the same routing id
  // while its old connection may still look alive: the new one wins.
  sync.router_handover = true;
  transport::SocketOptions pub;
  pub.linger_ms = kLingerMs;
  // ZeroMQ counts messages, and a batch may be large: bound the bytes too.
  const uint64_t batches =
      std::max<uint64_t>(1, config_.pub_queue_bytes /
                                std::max<size_t>(1, config_.replica.publish_batch_bytes));
  pub.sndhwm = static_cast<int>(std::min<uint64_t>(
      config_.sndhwm > 0 ? static_cast<uint64_t>(config_.sndhwm) : INT_MAX, batches));
  transport::SocketOptions dealer = in;
  dealer.routing_id = config_.id();

  try {
    api_ = zmq::socket_t(context_, zmq::socket_type::router);
    pub_ = zmq::socket_t(context_, zmq::socket_type::pub);
    sync_ = zmq::socket_t(context_, zmq::socket_type::router);
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("cannot create sockets: ") + e.what());
  }
  const NodeEndpoints& ep = config_.endpoints;
  for (Status s : {transport::Configure(api_, api), transport::Configure(pub_, pub),
                   transport::Configure(sync_, sync), transport::Bind(api_, ep.api),
                   transport::Bind(pub_, ep.pub), transport::Bind(sync_, ep.sync)}) {
    if (!s.ok()) return s;
  }

  peers_ = std::make_unique<PeerLinks>(&context_, in, dealer);
  Status s = peers_->Open();
  if (!s.ok()) return s;
  if (config_.coordinator) {
    coordinator_ = std::make_unique<CoordinatorLink>(
        &context_, *config_.coordinator,
        MemberInfo{config_.id(), config_.advertised.api, config_.advertised.pub,
                   config_.advertised.sync},
        in);
    s = coordinator_->Open();
    if (!s.ok()) return s;
  }
  RefreshPeers();
  return StartConnectors();
}

Status NodeLoop::Run() {
  spdlog::info("node {} ({}, {} store) running: vv {} entries, own seq {}, {} records",
               config_.id(), NodeModeName(config_.replica.mode), store_->Name(),
               replica_->vv().size(), replica_->own_seq(), replica_->record_count());
  while (!stopping_ && fatal_.ok()) Iterate();
  if (!fatal_.ok()) {
    spdlog::critical("{}", fatal_.message());
    return fatal_;
  }
  Shutdown();
  return Status::Ok();
}

void NodeLoop::Iterate() {
  more_input_ = PollAndDrain();
  const uint64_t now = SteadyMs();
  OnTimers(now);
  if (FlushDue(now)) {
    Flush();
    // After the commit, so a read sees every write that arrived before it.
    ServeReads();
  }
}

bool NodeLoop::PollAndDrain() {
  std::vector<zmq_pollitem_t> items;
  std::vector<std::pair<Source, std::string>> sources;
  auto add = [&](zmq::socket_t& socket, Source source, std::string peer = {}) {
    items.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
    sources.emplace_back(source, std::move(peer));
  };
  add(api_, Source::kApi);
  add(sync_, Source::kSync);
  add(peers_->sub(), Source::kSub);
  if (coordinator_) add(coordinator_->socket(), Source::kCoordinator);
  for (auto& [id, dealer] : peers_->dealers()) add(*dealer, Source::kPeer, id);
  for (auto& link : connectors_) add(link->socket, Source::kConnector, link->config.name);

  try {
    zmq::poll(items, std::chrono::milliseconds(PollTimeoutMs(SteadyMs())));
  } catch (const zmq::error_t& e) {
    // EINTR: a signal, checked just below. Anything else: poll again.
    if (e.num() != EINTR) spdlog::error("poll: {}", e.what());
  }
  if (StopSignal() != 0 && !stopping_) {
    // From here on new requests are refused; what is pending is finished.
    spdlog::info("signal {}: shutting down", StopSignal());
    stopping_ = true;
  }

  bool more = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!(items[i].revents & ZMQ_POLLIN)) continue;
    const std::string& peer = sources[i].second;
    switch (sources[i].first) {
      case Source::kApi:
        more |= DrainApi(kDrainBudget);
        break;
      case Source::kSync:
        more |= DrainSync(kDrainBudget);
        break;
      case Source::kSub:
        more |= DrainSub(kDrainBudget);
        break;
      case Source::kCoordinator:
        more |= DrainCoordinator(kDrainBudget);
        break;
      case Source::kPeer:
        more |= DrainPeer(peer, peers_->dealer(peer), kDrainBudget);
        break;
      case Source::kConnector:
        more |= DrainConnector(FindConnector(peer), kDrainBudget);
        break;
    }
  }
  return more;
}

int NodeLoop::PollTimeoutMs(uint64_t now) const {
  if (more_input_ || stopping_) return 0;
  uint64_t wake = next_tick_ms_;
  if (writes_waiting_ > 0)
    wake = std::min(wake, first_write_ms_ + config_.group_commit_ms);
  return wake <= now ? 0 : static_cast<int>(std::min(wake - now, kTickMs));
}

void NodeLoop::OnTimers(uint64_t now) {
  // Applied at once rather than at the next tick: a new peer's data flows
  // sooner. Done here, after the drains, because it closes sockets that
  // this iteration's poll items point to.
  if (coordinator_ && coordinator_->TakeMembersChanged()) RefreshPeers();
  if (now < next_tick_ms_) return;
  next_tick_ms_ = now + kTickMs;
  replica_->Tick(ReplicaNowMs());
  watchers_.Expire(now);
  if (coordinator_) {
    coordinator_->Tick(now);
    if (coordinator_->shutdown_requested() && !stopping_) {
      spdlog::info("coordinator asked for shutdown");
      stopping_ = true;
    }
  }
  if (cluster_shutdown_deadline_ms_ && now >= *cluster_shutdown_deadline_ms_ &&
      !stopping_) {
    spdlog::warn("no cluster shutdown from the coordinator: stopping this node alone");
    stopping_ = true;
  }
}

bool NodeLoop::FlushDue(uint64_t now) const {
  // Only client writes wait for company: replicated changes and reads are
  // committed and answered at once, which keeps replication latency low.
  if (writes_waiting_ == 0 || stopping_) return true;
  return writes_waiting_ >= config_.group_commit_max ||
         now >= first_write_ms_ + config_.group_commit_ms;
}

void NodeLoop::Flush() {
  ReplicaOutput out = replica_->TakeOutput();
  writes_waiting_ = 0;
  LogReplicaWarnings(out.warnings);
  if (!out.batch.empty()) {
    Status s = store_->Commit(out.batch);
    if (!s.ok()) {
      OnCommitFailed(&out, s);
      return;
    }
    ++counters_.commits;
  }
  // Persist before send: what peers and clients hear about from here on
  // survives a crash of this process.
  SendMessages(out.messages);
  SendWriteReplies(out.replies);
  ConnectorsAfterCommit(&out.replies, out.batch.writes, true);
  if (watchers_.size() > 0 && !out.batch.writes.empty()) {
    std::vector<const Record*> records;
    records.reserve(out.batch.writes.size());
    for (const RecordWrite& w : out.batch.writes) records.push_back(&w.record);
    watchers_.Stream(api_, records);
  }
}

void NodeLoop::OnCommitFailed(ReplicaOutput* out, const Status& error) {
  ++counters_.commit_errors;
  uint64_t suppressed = 0;
  if (log_limiter_.Allow("commit", SteadyMs(), &suppressed)) {
    spdlog::error("store commit failed ({} writes): {}{}", out->batch.writes.size(),
                  error.ToString(),
                  suppressed ? fmt::format(" ({} more suppressed)", suppressed) : "");
  }
  for (Reply& r : out->replies) {
    if (r.status.ok())
      r.status = Status::IoError("store commit failed: " + error.message());
  }
  SendWriteReplies(out->replies);
  ConnectorsAfterCommit(&out->replies, {}, false);
  // Nothing of the batch is published. Metadata alone is rewritten whole by
  // the next heartbeat's commit, so the replica may go on; but records that
  // did not reach the store put its memory ahead of the store, so it is
  // rebuilt from the store, which is the truth.
  if (out->batch.writes.empty() && out->batch.aux.empty()) return;
  for (const auto& [name, field] : kReplicaCounterFields) {
    retired_counters_.*field += replica_->counters().*field;
  }
  Result<std::unique_ptr<Replica>> reopened =
      Replica::Open(config_.replica, store_.get());
  if (!reopened.ok()) {
    fatal_ = Status(
        reopened.status().code(),
        "cannot reload the store after a failed commit: " + reopened.status().message());
    return;
  }
  replica_ = std::move(reopened).value();
  replica_->SetPeers(peers_->ids());
}

void NodeLoop::Shutdown() {
  // Pending client writes are committed, published and acknowledged.
  Flush();
  ServeReads();
  if (fatal_.ok()) {
    // A last heartbeat tells peers our final vector at once, so whatever of
    // our last writes their SUB missed is asked for without waiting.
    Publish("heartbeat", Heartbeat{config_.id(), replica_->clock(), replica_->vv()});
  }
  if (coordinator_) {
    coordinator_->SendLeave();
    coordinator_->Close();
  }
  StopConnectors();
  peers_->Close();
  api_.close();
  sync_.close();
  pub_.close();
  // The context waits at most kLingerMs for the last messages to go out.
  context_.close();
  spdlog::info("node {} stopped: own seq {}, {} records", config_.id(),
               replica_->own_seq(), replica_->record_count());
}

void NodeLoop::RefreshPeers() {
  std::map<std::string, PeerEndpoints> want;
  if (coordinator_) {
    for (const auto& [id, m] : coordinator_->members()) want[id] = {m.pub, m.sync};
  }
  // Static peers are always peers, whatever the coordinator says.
  for (const PeerConfig& p : config_.peers) want[p.id] = {p.pub, p.sync};
  want.erase(config_.id());
  for (const std::string& problem : peers_->Update(want)) spdlog::warn("{}", problem);
  const std::vector<std::string> ids = peers_->ids();
  replica_->SetPeers(ids);
  if (ids == logged_peers_) return;
  logged_peers_ = ids;
  std::string list;
  for (const std::string& id : ids) list += (list.empty() ? "" : ", ") + id;
  spdlog::info("peers: [{}]", list);
}

void NodeLoop::LogReplicaWarnings(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) {
    uint64_t suppressed = 0;
    if (!log_limiter_.Allow("replica", SteadyMs(), &suppressed)) continue;
    if (suppressed) spdlog::warn("({} replica warnings suppressed)", suppressed);
    spdlog::warn("{}", w);
  }
}

}  // namespace datasync
