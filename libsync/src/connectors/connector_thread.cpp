// ConnectorThread: a ConnectorDriver on a thread of its own.
#include <thread>

#include "connectors/connector_driver.h"
#include "datasync/connector.h"

namespace datasync {
namespace {

class DriverThread : public ConnectorThread {
 public:
  DriverThread(std::unique_ptr<ConnectorDriver> driver, zmq::context_t* context,
               std::string endpoint)
      : thread_([driver = std::move(driver), context, endpoint = std::move(endpoint)] {
          driver->Run(context, endpoint);
        }) {}
  ~DriverThread() override { Join(); }
  void Join() override {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<ConnectorThread>> ConnectorThread::Start(
    const ConnectorConfig& config, zmq::context_t* context, const std::string& endpoint,
    const std::string& position) {
  std::unique_ptr<ConnectorBackend> backend;
  switch (config.type) {
    case ConnectorType::kSqlite:
      backend = MakeSqliteBackend(config);
      break;
    case ConnectorType::kFiles:
      backend = MakeFilesBackend(config);
      break;
    case ConnectorType::kWebhook:
      backend = MakeWebhookBackend(config);
      break;
    case ConnectorType::kPostgres:
      backend = MakePostgresBackend(config);
      break;
    case ConnectorType::kRedis:
      backend = MakeRedisBackend(config);
      break;
  }
  if (!backend) {
    return Status::Invalid(std::string("connector type ") + ConnectorTypeName(config.type) +
                           " is not implemented");
  }
  auto driver = std::make_unique<ConnectorDriver>(config, std::move(backend), position);
  return std::unique_ptr<ConnectorThread>(
      new DriverThread(std::move(driver), context, endpoint));
}

}  // namespace datasync
