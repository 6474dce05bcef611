// `bonewatch healthcheck --config FILE [--path /healthz]`: asks the running daemon's ops port
// for `path` and exits 0 on HTTP 200, 1 otherwise (the reason on stderr). For container
// HEALTHCHECKs: the runtime image carries no curl. The address and port come from the same
// configuration (and BONEWATCH_* environment) as the daemon's; a wildcard ops.listenAddress
// (0.0.0.0, ::) is reached on loopback. Exit 78 when the configuration cannot be loaded,
// 64 on a usage error.
#pragma once

#include <string_view>
#include <vector>

namespace bonewatch::adapter {

int HealthcheckCommand(const std::vector<std::string_view>& args);

}  // namespace bonewatch::adapter
