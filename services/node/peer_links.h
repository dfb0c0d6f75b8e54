// PeerLinks: this node's connections to its peers (ARCHITECTURE §1).
//
// One SUB socket, connected to every peer's pub endpoint and subscribed to
// everything, receives changes and heartbeats. One DEALER per peer,
// connected to that peer's sync endpoint with our node id as its routing
// id, carries our catch-up requests and brings the pages back. Update()
// makes the connections match the current peer set (static peers plus the
// coordinator's members) as members come and go. One thread (the loop).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "datasync/status.h"
#include "transport/zmq_util.h"

namespace datasync {

struct PeerEndpoints {
  std::string pub;
  std::string sync;
  bool operator==(const PeerEndpoints&) const = default;
};

class PeerLinks {
 public:
  // `sub_options` for the SUB socket, `dealer_options` for each DEALER (its
  // routing_id should be our node id).
  PeerLinks(zmq::context_t* context, transport::SocketOptions sub_options,
            transport::SocketOptions dealer_options);

  // Creates the SUB socket and subscribes to every topic.
  Status Open();

  // Connects to new peers, disconnects from departed ones and reconnects
  // peers whose endpoints changed. Failures (an endpoint libzmq refuses)
  // are returned as text and the peer is left out; the rest still applies.
  std::vector<std::string> Update(const std::map<std::string, PeerEndpoints>& peers);

  std::vector<std::string> ids() const;
  zmq::socket_t& sub() { return sub_; }
  // The catch-up DEALER of peer `id`, or null when it is not a peer.
  zmq::socket_t* dealer(const std::string& id);
  // Every DEALER with its peer id, for polling.
  std::vector<std::pair<std::string, zmq::socket_t*>> dealers();

  // Closes every socket (their linger applies).
  void Close();

 private:
  struct Link {
    PeerEndpoints endpoints;
    std::unique_ptr<zmq::socket_t> dealer;
  };
  void Remove(const std::string& id);
  Status Add(const std::string& id, const PeerEndpoints& endpoints);

  zmq::context_t* context_;
  transport::SocketOptions sub_options_;
  transport::SocketOptions dealer_options_;
  zmq::socket_t sub_;
  std::map<std::string, Link> links_;
};

}  // namespace datasync
