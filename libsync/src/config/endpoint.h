// Checks on ZeroMQ endpoint strings, shared by the config loaders and
// CheckEndpoint() (config.h).
#pragma once

#include <string>
#include <string_view>

#include "datasync/config.h"

namespace datasync::config {

// Empty when `endpoint` is usable for `use`. Otherwise what is wrong, without
// the endpoint itself (callers append it); `example` shows the expected form
// when the transport is not recognized at all.
std::string EndpointProblem(std::string_view endpoint, EndpointUse use,
                            std::string_view example);

// True when two valid endpoints bound by one process would clash: the same
// endpoint, or TCP on one port where the hosts are equal or one is `*`.
bool EndpointsCollide(std::string_view a, std::string_view b);

}  // namespace datasync::config
