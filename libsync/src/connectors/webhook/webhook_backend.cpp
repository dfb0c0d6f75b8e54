// The webhook sink (apply-only): each batch of changes the node hands the
// connector is POSTed as one JSON document (webhook_json.h) to the target
// URL. A 2xx answer means delivered; any other answer, or no answer, is an
// error of the call: the driver retries with its doubling backoff, and the
// node resends everything beyond the vector delivered so far (at least
// once). The delivered vector is kept in memory only: after a restart of
// the node everything is POSTed again, which receivers recognise by the
// (origin, seq) of each change.
#include <httplib.h>

#include "connectors/connector_backend.h"
#include "connectors/webhook/webhook_json.h"

namespace datasync::webhook_connector {
namespace {

constexpr time_t kConnectTimeoutS = 2;
constexpr time_t kIoTimeoutS = 10;

class WebhookBackend : public ConnectorBackend {
 public:
  explicit WebhookBackend(const ConnectorConfig& config) : config_(config) {
    const std::string& url = config_.target;
    const size_t scheme = url.find("://");
    const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    base_ = url.substr(0, slash);
    path_ = slash == std::string::npos ? "/" : url.substr(slash);
    for (const ConnectorMapping& m : config_.map) collections_.push_back(m.collection);
  }

  Status Open() override {
    client_ = std::make_unique<httplib::Client>(base_);
    if (!client_->is_valid()) {
      client_.reset();
      return Status::Invalid(config_.target + ": not a URL this connector can POST to");
    }
    client_->set_connection_timeout(kConnectTimeoutS, 0);
    client_->set_read_timeout(kIoTimeoutS, 0);
    client_->set_write_timeout(kIoTimeoutS, 0);
    return Status::Ok();
  }
  void Close() override { client_.reset(); }
  Result<bool> Poll() override { return false; }
  Status ReadChanges(const std::string&, size_t, ConnectorCaptured*,
                     std::vector<ConnectorFailure>*) override {
    return Status::Ok();
  }
  Status Consumed(const std::string&) override { return Status::Ok(); }
  Result<uint64_t> Backlog(const std::string&) override { return uint64_t{0}; }
  Result<VersionVector> AppliedVector() override { return delivered_; }
  Status Uninstall() override { return Status::Ok(); }

  Status Apply(const ConnectorApply& batch, const std::string&, ApplyResult* result) override {
    std::vector<const Record*> records;
    for (const Record& r : batch.records) {
      bool mapped = false;
      for (const std::string& c : collections_) mapped |= c == r.collection;
      if (mapped) {
        records.push_back(&r);
      } else {
        result->failures.push_back({r.collection, r.key, "collection is not mapped"});
      }
    }
    if (!records.empty()) {
      const std::string body = ChangesJson(config_.name, records);
      httplib::Headers headers{{"Idempotency-Key", IdempotencyKey(records)}};
      httplib::Result res = client_->Post(path_, headers, body, "application/json");
      if (!res) {
        return Status::Unavailable("POST " + config_.target + ": " +
                                   httplib::to_string(res.error()));
      }
      if (res->status < 200 || res->status > 299) {
        return Status::Unavailable("POST " + config_.target + ": HTTP " +
                                   std::to_string(res->status));
      }
      result->applied += records.size();
    }
    if (batch.has_vv) delivered_ = batch.vv;
    return Status::Ok();
  }

 private:
  ConnectorConfig config_;
  std::string base_;  // scheme://host:port
  std::string path_;
  std::vector<std::string> collections_;
  std::unique_ptr<httplib::Client> client_;
  VersionVector delivered_;
};

}  // namespace
}  // namespace datasync::webhook_connector

namespace datasync {

std::unique_ptr<ConnectorBackend> MakeWebhookBackend(const ConnectorConfig& config) {
  return std::make_unique<webhook_connector::WebhookBackend>(config);
}

}  // namespace datasync
