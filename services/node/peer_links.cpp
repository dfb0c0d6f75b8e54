#include "peer_links.h"

#include <utility>

namespace datasync {

PeerLinks::PeerLinks(zmq::context_t* context, transport::SocketOptions sub_options,
                     transport::SocketOptions dealer_options)
    : context_(context),
      sub_options_(std::move(sub_options)),
      dealer_options_(std::move(dealer_options)) {}

Status PeerLinks::Open() {
  try {
    sub_ = zmq::socket_t(*context_, zmq::socket_type::sub);
    // Subscribe before connecting, so nothing published after a connection
    // completes is filtered away.
    sub_.set(zmq::sockopt::subscribe, "");
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("cannot create SUB socket: ") + e.what());
  }
  return transport::Configure(sub_, sub_options_);
}

std::vector<std::string> PeerLinks::Update(
    const std::map<std::string, PeerEndpoints>& peers) {
  std::vector<std::string> problems;
  std::vector<std::string> gone;
  for (const auto& [id, link] : links_) {
    auto it = peers.find(id);
    if (it == peers.end() || !(it->second == link.endpoints)) gone.push_back(id);
  }
  for (const std::string& id : gone) Remove(id);
  for (const auto& [id, endpoints] : peers) {
    if (links_.count(id)) continue;
    Status s = Add(id, endpoints);
    if (!s.ok()) problems.push_back("peer " + id + ": " + s.message());
  }
  return problems;
}

Status PeerLinks::Add(const std::string& id, const PeerEndpoints& endpoints) {
  auto dealer = std::make_unique<zmq::socket_t>();
  try {
    *dealer = zmq::socket_t(*context_, zmq::socket_type::dealer);
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("cannot create DEALER socket: ") + e.what());
  }
  Status s = transport::Configure(*dealer, dealer_options_);
  if (s.ok()) s = transport::Connect(*dealer, endpoints.sync);
  if (!s.ok()) return s;
  s = transport::Connect(sub_, endpoints.pub);
  if (!s.ok()) return s;  // the DEALER closes with its unique_ptr
  links_[id] = Link{endpoints, std::move(dealer)};
  return Status::Ok();
}

void PeerLinks::Remove(const std::string& id) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  // A failed disconnect means the connection is already gone: nothing to do.
  (void)transport::Disconnect(sub_, it->second.endpoints.pub);
  it->second.dealer->close();
  links_.erase(it);
}

std::vector<std::string> PeerLinks::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, link] : links_) out.push_back(id);
  return out;
}

zmq::socket_t* PeerLinks::dealer(const std::string& id) {
  auto it = links_.find(id);
  return it == links_.end() ? nullptr : it->second.dealer.get();
}

std::vector<std::pair<std::string, zmq::socket_t*>> PeerLinks::dealers() {
  std::vector<std::pair<std::string, zmq::socket_t*>> out;
  for (auto& [id, link] : links_) out.emplace_back(id, link.dealer.get());
  return out;
}

void PeerLinks::Close() {
  for (auto& [id, link] : links_) link.dealer->close();
  links_.clear();
  sub_.close();
}

}  // namespace datasync
