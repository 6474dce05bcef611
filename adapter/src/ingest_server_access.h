// Who may deliver notifications: the IP allow-list (CIDR ranges, IPv4 and IPv6), the bearer-token
// check, and what counts as a loopback listen address. Used by NotificationServer on every
// request and by the config parser to validate `notifications.allowedClients` and
// `notifications.listenAddress` at start.
//
// Thread-safety: a ClientAllowList is immutable after Parse and may be shared between threads;
// the free functions are pure.
#pragma once

#include <Poco/Net/IPAddress.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/status.h"

namespace bonewatch::adapter {

class ClientAllowList {
 public:
  ClientAllowList() = default;  // empty: every address is allowed
  // Each entry is "address/prefix" or a single address ("10.0.0.0/8", "192.0.2.7",
  // "fd00::/8", "::1"). Host bits beyond the prefix are an error (a typo must not widen or
  // narrow the range silently). kInvalidArgument naming the entry.
  static StatusOr<ClientAllowList> Parse(const std::vector<std::string>& entries);

  bool empty() const { return ranges_.empty(); }
  // True when the list is empty or `address` lies in one of its ranges. An IPv4-mapped IPv6
  // address (::ffff:a.b.c.d, as a dual-stack socket reports IPv4 clients) is matched as IPv4.
  bool Allows(const Poco::Net::IPAddress& address) const;

 private:
  struct Range {
    bool ipv6 = false;
    std::array<uint8_t, 16> bytes{};
    int prefix_bits = 0;
  };
  std::vector<Range> ranges_;
};

// True for 127.0.0.0/8, ::1 and "localhost": addresses no other host can reach.
bool IsLoopbackListenAddress(std::string_view listen_address);

// True when `authorization` is "Bearer <token>" (scheme case-insensitive) and the token equals
// `expected`, compared in constant time.
bool BearerTokenMatches(std::string_view authorization, const std::string& expected);

}  // namespace bonewatch::adapter
