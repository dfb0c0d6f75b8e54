// The api ROUTER: client requests (ARCHITECTURE §6). A request is one frame
// after its routing envelope ([id, body] from a DEALER, [id, "", body] from
// a REQ); the reply goes back with the same envelope. Writes are answered
// only after the group commit that holds them; reads are answered after the
// iteration's commit, so a client that pipelines a put and a get reads its
// own write.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "datasync/codec.h"
#include "datasync/digest.h"
#include "node_loop.h"
#include "transport/zmq_util.h"

namespace datasync {
namespace {

using transport::RecvResult;

// Routing id, an optional empty delimiter, and room for a proxy or two.
constexpr size_t kMaxRequestFrames = 6;

ClientReply Error(uint64_t request_id, Code code, std::string message) {
  ClientReply reply;
  reply.request_id = request_id;
  reply.code = code;
  reply.message = std::move(message);
  return reply;
}

// Routing ids are at most 255 bytes and delimiters empty: anything larger
// is not an envelope, and must not be held on to while its request waits.
bool IsEnvelope(const std::vector<std::string>& frames) {
  return std::all_of(frames.begin(), frames.end(),
                     [](const std::string& f) { return f.size() <= 255; });
}

size_t RecordBytes(const Record& r) {
  return r.collection.size() + r.key.size() + r.value.size() + r.version.origin.size() +
         32;
}

}  // namespace

bool NodeLoop::DrainApi(size_t budget) {
  std::vector<zmq::message_t> frames;
  for (size_t i = 0; i < budget; ++i) {
    const RecvResult r = transport::RecvFrames(api_, kMaxRequestFrames, &frames);
    if (r == RecvResult::kNone || r == RecvResult::kFailed) return false;
    if (r == RecvResult::kTooLarge || frames.size() < 2) {
      BadInput(&counters_.bad_input_api, "api", "too many or too few frames");
      continue;
    }
    std::vector<std::string> envelope;
    for (size_t f = 0; f + 1 < frames.size(); ++f) {
      envelope.emplace_back(transport::View(frames[f]));
    }
    if (!IsEnvelope(envelope)) {
      BadInput(&counters_.bad_input_api, "api", "oversize routing envelope");
      continue;
    }
    Result<Message> m = Decode(transport::View(frames.back()), config_.limits);
    const ClientRequest* request =
        m.ok() ? std::get_if<ClientRequest>(&m.value()) : nullptr;
    if (request == nullptr) {
      std::string what = m.ok() ? std::string("unexpected ") + MessageName(m.value())
                                : m.status().message();
      BadInput(&counters_.bad_input_api, "api", what);
      SendReply(envelope, Error(0, Code::kInvalidArgument, std::move(what)));
      continue;
    }
    OnRequest(std::move(envelope), std::move(*request));
  }
  return true;
}

void NodeLoop::OnRequest(std::vector<std::string> envelope, ClientRequest request) {
  const uint64_t id = request.request_id;
  if (stopping_) {
    SendReply(envelope, Error(id, Code::kUnavailable, "node is shutting down"));
    return;
  }
  switch (request.op) {
    case ClientOp::kPut:
    case ClientOp::kDelete:
    case ClientOp::kWriteBatch:
      OnWrite(std::move(envelope), std::move(request));
      return;
    case ClientOp::kGet:
    case ClientOp::kScan:
    case ClientOp::kDigest:
    case ClientOp::kStatus:
      if (pending_requests() >= config_.max_pending_requests) break;
      reads_.push_back(DeferredRead{std::move(envelope), std::move(request)});
      return;
    case ClientOp::kWatch:
      if (!request.collection.empty() && !IsValidCollection(request.collection)) {
        SendReply(envelope, Error(id, Code::kInvalidArgument, "invalid collection"));
      } else if (watchers_.Watch(envelope, id, request.collection, SteadyMs())) {
        SendReply(envelope, Error(id, Code::kOk, ""));  // the acknowledgement
      } else {
        ++counters_.busy_replies;
        SendReply(envelope, Error(id, Code::kBusy, "too many watchers"));
      }
      return;
    case ClientOp::kShutdown:
      OnShutdownRequest(envelope, request);
      return;
    case ClientOp::kConnectors:
    case ClientOp::kUninstallConnector:
      OnConnectorRequest(envelope, request);
      return;
  }
  ++counters_.busy_replies;
  SendReply(envelope, Error(id, Code::kBusy,
                            "too many pending requests (" +
                                std::to_string(pending_requests()) + "); retry later"));
}

void NodeLoop::OnWrite(std::vector<std::string> envelope, ClientRequest request) {
  if (pending_requests() >= config_.max_pending_requests) {
    ++counters_.busy_replies;
    SendReply(envelope, Error(request.request_id, Code::kBusy,
                              "too many pending requests; retry later"));
    return;
  }
  const ClientToken token = next_token_++;
  const bool batch = request.op == ClientOp::kWriteBatch;
  const bool put = request.op == ClientOp::kPut;
  // A batch is answered with the version of its last write.
  PendingWrite pending{std::move(envelope), request.request_id, request.collection,
                       request.key, !put};
  if (batch && !request.writes.empty()) {
    pending.collection = request.writes.back().collection;
    pending.key = request.writes.back().key;
    pending.deleted = request.writes.back().deleted;
  }
  pending_writes_[token] = std::move(pending);
  if (writes_waiting_ == 0) first_write_ms_ = SteadyMs();
  writes_waiting_ += batch ? std::max<size_t>(request.writes.size(), 1) : 1;
  if (batch) {
    replica_->WriteBatch(token, std::move(request.writes), ReplicaNowMs());
  } else if (put) {
    replica_->Put(token, request.collection, request.key, request.value, ReplicaNowMs());
  } else {
    replica_->Delete(token, request.collection, request.key, ReplicaNowMs());
  }
}

void NodeLoop::OnShutdownRequest(const std::vector<std::string>& envelope,
                                 const ClientRequest& request) {
  SendReply(envelope, Error(request.request_id, Code::kOk, ""));
  if (request.cluster && coordinator_) {
    // The coordinator stops every node, this one included. Should it be
    // gone, this node still stops after a while, as it was asked to.
    spdlog::info("cluster shutdown requested: forwarding to the coordinator");
    coordinator_->SendShutdown(true);
    cluster_shutdown_deadline_ms_ = SteadyMs() + kClusterShutdownFallbackMs;
    return;
  }
  spdlog::info("shutdown requested by a client");
  stopping_ = true;
}

void NodeLoop::SendWriteReplies(const std::vector<Reply>& replies) {
  for (const Reply& r : replies) {
    auto it = pending_writes_.find(r.token);
    if (it == pending_writes_.end()) continue;
    const PendingWrite& w = it->second;
    ClientReply reply = Error(w.request_id, r.status.code(), r.status.message());
    if (r.status.ok()) {
      // The version given to the write, for clients that want it (--json).
      Record record;
      record.collection = w.collection;
      record.key = w.key;
      record.deleted = w.deleted;
      record.version = r.version;
      record.seq = r.seq;
      reply.records.push_back(std::move(record));
    }
    SendReply(w.envelope, std::move(reply));
    pending_writes_.erase(it);
  }
}

void NodeLoop::ServeReads() {
  std::vector<DeferredRead> reads;
  reads.swap(reads_);
  for (const DeferredRead& r : reads) SendReply(r.envelope, Read(r.request));
}

ClientReply NodeLoop::Read(const ClientRequest& request) {
  const uint64_t id = request.request_id;
  if (request.op == ClientOp::kStatus) {
    ClientReply reply = Error(id, Code::kOk, "");
    reply.status = BuildStatus();
    return reply;
  }
  const bool collection_ok = IsValidCollection(request.collection);
  if (request.op == ClientOp::kDigest) {
    if (!request.collection.empty() && !collection_ok) {
      return Error(id, Code::kInvalidArgument, "invalid collection");
    }
    Result<std::string> digest = StoreDigest(*store_, request.collection);
    if (!digest.ok()) return Error(id, digest.status().code(), digest.status().message());
    ClientReply reply = Error(id, Code::kOk, "");
    reply.digest = digest.value();
    return reply;
  }
  if (!collection_ok) return Error(id, Code::kInvalidArgument, "invalid collection");
  if (request.op == ClientOp::kScan) return Scan(request);
  if (request.key.empty()) return Error(id, Code::kInvalidArgument, "empty key");
  Result<Record> record = store_->Get(request.collection, request.key);
  if (!record.ok()) return Error(id, record.status().code(), record.status().message());
  if (record->deleted) return Error(id, Code::kNotFound, "not found (deleted)");
  ClientReply reply = Error(id, Code::kOk, "");
  reply.records.push_back(std::move(record).value());
  return reply;
}

ClientReply NodeLoop::Scan(const ClientRequest& request) {
  ClientReply reply = Error(request.request_id, Code::kOk, "");
  // A reply the client's decoder or socket would refuse helps no one: stop
  // at the codec's record limit or half the message size limit, and say so.
  const size_t budget = config_.limits.max_message_bytes / 2;
  const size_t max_records = config_.limits.max_records;
  size_t bytes = 0;
  bool truncated = false;
  Status s = store_->Scan(request.collection, request.prefix, [&](const Record& r) {
    if (r.deleted) return true;
    if (request.limit != 0 && reply.records.size() >= request.limit) return false;
    if (reply.records.size() >= max_records ||
        (!reply.records.empty() && bytes + RecordBytes(r) > budget)) {
      truncated = true;
      return false;
    }
    bytes += RecordBytes(r);
    reply.records.push_back(r);
    return true;
  });
  if (!s.ok()) return Error(request.request_id, s.code(), s.message());
  if (truncated) {
    reply.message = "truncated after " + std::to_string(reply.records.size()) +
                    " records: reply size limit";
  }
  return reply;
}

void NodeLoop::SendReply(const std::vector<std::string>& envelope, ClientReply reply) {
  if (transport::SendFrames(api_, envelope, Encoded(Message(std::move(reply)))) !=
      transport::SendResult::kSent) {
    ++counters_.replies_dropped;  // the client is gone or not reading
  }
}

}  // namespace datasync
