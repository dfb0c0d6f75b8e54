#include "connectors/connector_driver.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "datasync/overloaded.h"

namespace datasync {
namespace {

uint64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

ConnectorDriver::ConnectorDriver(ConnectorConfig config,
                                 std::unique_ptr<ConnectorBackend> backend,
                                 std::string position)
    : config_(std::move(config)),
      backend_(std::move(backend)),
      committed_(std::move(position)) {
  state_.state = "starting";
  state_.position = committed_;
}

void ConnectorDriver::Run(zmq::context_t* context, const std::string& endpoint) {
  try {
    socket_.emplace(*context, zmq::socket_type::pair);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::sndhwm, 0);
    socket_->set(zmq::sockopt::rcvhwm, 0);
    socket_->connect(endpoint);
  } catch (const zmq::error_t&) {
    return;  // the context is closing: the node is gone
  }
  while (true) {
    const uint64_t now = NowMs();
    uint64_t wait = kPollMs;
    if (phase_ == Phase::kClosed) {
      wait = std::clamp<uint64_t>(next_open_ms_ > now ? next_open_ms_ - now : 0, 0, 50);
    } else if (phase_ == Phase::kUninstalled) {
      wait = 50;
    }
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(wait));
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) break;
    }
    if (!Drain()) break;
    const uint64_t after = NowMs();
    if (phase_ == Phase::kClosed && after >= next_open_ms_) TryOpen(after);
    if (phase_ == Phase::kOpen && after >= paused_until_ms_) {
      failed_ = false;
      Result<bool> changed = backend_->Poll();
      if (!changed.ok()) {
        Fail(changed.status(), after);
      } else {
        capture_wanted_ |= changed.value();
        Consume(after);
        if (phase_ == Phase::kOpen) Capture(after);
        ApplyQueued(after);
      }
      if (!failed_ && !state_.last_error.empty()) {
        // Healthy again after a wait.
        backoff_ms_ = kMinBackoffMs;
        state_.last_error.clear();
      }
    }
    SendState(after, false);
  }
  backend_->Close();
  socket_.reset();
}

void ConnectorDriver::Send(const ConnectorToNode& message) {
  const std::string bytes = EncodeConnectorMessage(message);
  try {
    // The node's end has no high-water mark: this only fails when the
    // context is closing, and then nobody is left to tell.
    (void)socket_->send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
  }
}

bool ConnectorDriver::Drain() {
  while (true) {
    zmq::message_t msg;
    zmq::recv_result_t got;
    try {
      got = socket_->recv(msg, zmq::recv_flags::dontwait);
    } catch (const zmq::error_t&) {
      return false;
    }
    if (!got) return true;
    Result<NodeToConnector> m = DecodeNodeToConnector(msg.to_string_view());
    if (!m.ok()) {
      // Both ends are this process: a bad message is a bug, counted and shown.
      ++state_.failed;
      state_.last_error = m.status().message();
      continue;
    }
    if (!OnMessage(std::move(m).value())) return false;
  }
}

bool ConnectorDriver::OnMessage(NodeToConnector message) {
  return std::visit(
      Overloaded{
          [&](ConnectorCaptureAck& ack) {
            OnAck(ack);
            return true;
          },
          [&](ConnectorApply& apply) {
            if (phase_ == Phase::kUninstalled || !config_.applies()) return true;
            if (resync_needed_) return true;  // the resync will bring these too
            queued_records_ += apply.records.size();
            queue_.push_back(std::move(apply));
            if (queued_records_ > kMaxQueuedRecords) {
              // The external system has been away too long to hold all of
              // this in memory: drop it and ask again once it is back.
              queue_.clear();
              queued_records_ = 0;
              resync_needed_ = true;
            }
            return true;
          },
          [&](ConnectorUninstall&) {
            Status s = backend_->Uninstall();
            backend_->Close();
            if (s.ok()) {
              phase_ = Phase::kUninstalled;
              queue_.clear();
              queued_records_ = 0;
            }
            Send(ConnectorUninstalled{s.code(), s.message()});
            SendState(NowMs(), true);
            return true;
          },
          [&](ConnectorStop&) { return false; },
      },
      message);
}

void ConnectorDriver::OnAck(const ConnectorCaptureAck& ack) {
  if (!in_flight_ || *in_flight_ != ack.position) return;
  if (ack.committed && !queue_.empty()) {
    // What the node sent before this ack predates the commit: older than
    // the captured changes. Written now, while the batch still counts as
    // pending, its keys are left alone; once committed nothing would tell
    // them from newer ones. What cannot be written now is asked for again.
    const uint64_t now = NowMs();
    if (phase_ == Phase::kOpen && now >= paused_until_ms_) ApplyQueued(now);
    if (!queue_.empty()) {
      queue_.clear();
      queued_records_ = 0;
      resync_needed_ = true;
    }
  }
  in_flight_.reset();
  capture_wanted_ = true;
  if (!ack.committed) return;  // read the same changes again
  committed_ = ack.position;
  state_.position = committed_;
  state_.captured += in_flight_changes_;
  consume_pending_ = true;
  if (phase_ == Phase::kOpen) Consume(NowMs());
}

void ConnectorDriver::Consume(uint64_t now) {
  if (!consume_pending_) return;
  Status s = backend_->Consumed(committed_);
  // Locked by the application: deleting the captured rows can wait (they
  // are behind the committed position, never read again), capture need not.
  if (s.ok()) {
    consume_pending_ = false;
  } else if (s.code() != Code::kBusy) {
    Fail(s, now);
  }
}

void ConnectorDriver::TryOpen(uint64_t now) {
  Status s = backend_->Open();
  consume_pending_ = config_.captures();
  Result<VersionVector> applied = VersionVector();
  if (s.ok() && config_.applies()) {
    applied = backend_->AppliedVector();
    if (!applied.ok()) s = applied.status();
  }
  if (!s.ok()) {
    Fail(s, now);
    return;
  }
  phase_ = Phase::kOpen;
  backoff_ms_ = kMinBackoffMs;
  state_.state = "running";
  state_.last_error.clear();
  // A batch still in flight keeps waiting for its ack, which the node always
  // sends: reading past it before knowing would capture it twice.
  capture_wanted_ = true;
  if (config_.applies()) {
    // Whatever arrived while closed is covered by the resync, which starts
    // from what the external system itself says it holds.
    queue_.clear();
    queued_records_ = 0;
    resync_needed_ = false;
    Send(ConnectorResync{applied.value()});
  }
  SendState(now, true);
}

void ConnectorDriver::Fail(const Status& error, uint64_t now) {
  ++state_.errors;
  failed_ = true;
  state_.last_error = error.message();
  state_.state = "retrying";
  if (error.code() == Code::kBusy && phase_ == Phase::kOpen) {
    paused_until_ms_ = now + backoff_ms_;
    backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
    SendState(now, true);
    return;
  }
  backend_->Close();
  phase_ = Phase::kClosed;
  next_open_ms_ = now + backoff_ms_;
  backoff_ms_ = std::min(backoff_ms_ * 2, kMaxBackoffMs);
  SendState(now, true);
}

void ConnectorDriver::Capture(uint64_t now) {
  if (!config_.captures() || in_flight_ || !capture_wanted_) return;
  if (phase_ != Phase::kOpen) return;
  ConnectorCaptured batch;
  batch.position = committed_;
  std::vector<ConnectorFailure> failures;
  Status s = backend_->ReadChanges(committed_, kCaptureBatch, &batch, &failures);
  if (!s.ok()) {
    Fail(s, now);
    return;
  }
  if (!failures.empty()) {
    state_.failed += failures.size();
    Send(ConnectorFailures{std::move(failures)});
  }
  // A full batch means more may be waiting without a new commit to say so.
  capture_wanted_ = batch.changes.size() >= kCaptureBatch;
  if (batch.position == committed_) return;
  in_flight_ = batch.position;
  in_flight_changes_ = batch.changes.size();
  Send(std::move(batch));
}

void ConnectorDriver::ApplyQueued(uint64_t now) {
  if (phase_ != Phase::kOpen) return;
  if (resync_needed_ && queue_.empty()) {
    Result<VersionVector> applied = backend_->AppliedVector();
    if (!applied.ok()) {
      Fail(applied.status(), now);
      return;
    }
    resync_needed_ = false;
    Send(ConnectorResync{applied.value()});
  }
  while (!queue_.empty()) {
    ConnectorBackend::ApplyResult result;
    Status s = backend_->Apply(queue_.front(), committed_, &result);
    if (!s.ok()) {
      Fail(s, now);
      return;
    }
    queued_records_ -= queue_.front().records.size();
    queue_.pop_front();
    state_.applied += result.applied;
    state_.skipped += result.skipped;
    if (!result.failures.empty()) {
      state_.failed += result.failures.size();
      Send(ConnectorFailures{std::move(result.failures)});
    }
  }
}

void ConnectorDriver::SendState(uint64_t now, bool force) {
  if (!force && now < next_state_ms_) return;
  next_state_ms_ = now + kStateEveryMs;
  uint64_t backlog = 0;
  if (phase_ == Phase::kOpen && config_.captures()) {
    Result<uint64_t> b = backend_->Backlog(committed_);
    if (b.ok()) backlog = b.value();
  }
  state_.lag = backlog + queued_records_;
  state_.state = PhaseName();
  if (!force && state_ == sent_state_) return;
  sent_state_ = state_;
  Send(state_);
}

std::string ConnectorDriver::PhaseName() const {
  switch (phase_) {
    case Phase::kOpen:
      return state_.last_error.empty() ? "running" : "retrying";
    case Phase::kUninstalled:
      return "uninstalled";
    case Phase::kClosed:
      return state_.errors == 0 ? "starting" : "retrying";
  }
  return "?";
}

}  // namespace datasync
