#include "ingest_server_access.h"

#include <Poco/Net/IPAddress.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "ingest_server.h"

namespace bonewatch::adapter {
namespace {

// The address bytes in network order; IPv4-mapped IPv6 addresses are reduced to IPv4.
bool AddressBytes(const Poco::Net::IPAddress& address, std::array<uint8_t, 16>* bytes, bool* ipv6) {
  bytes->fill(0);
  const auto* raw = static_cast<const uint8_t*>(address.addr());
  if (address.family() == Poco::Net::IPAddress::IPv4) {
    std::memcpy(bytes->data(), raw, 4);
    *ipv6 = false;
    return true;
  }
  if (address.length() != 16) return false;
  if (address.isIPv4Mapped()) {
    std::memcpy(bytes->data(), raw + 12, 4);
    *ipv6 = false;
    return true;
  }
  std::memcpy(bytes->data(), raw, 16);
  *ipv6 = true;
  return true;
}

bool PrefixEquals(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[static_cast<size_t>(i)] != b[static_cast<size_t>(i)]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - bits));
  return (a[static_cast<size_t>(i)] & mask) == (b[static_cast<size_t>(i)] & mask);
}

// inet_aton (and so Poco) also reads "10.1" and "10.0.0" as addresses; an allow-list entry
// must say exactly which address it means.
bool IsDottedQuad(const std::string& text) {
  int parts = 0;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t dot = std::min(text.find('.', at), text.size());
    const std::string part = text.substr(at, dot - at);
    if (part.empty() || part.size() > 3 ||
        part.find_first_not_of("0123456789") != std::string::npos || std::stoi(part) > 255) {
      return false;
    }
    ++parts;
    at = dot + 1;
  }
  return parts == 4;
}

}  // namespace

StatusOr<ClientAllowList> ClientAllowList::Parse(const std::vector<std::string>& entries) {
  ClientAllowList list;
  for (const std::string& entry : entries) {
    const auto bad = [&entry](const std::string& why) {
      return InvalidArgumentError("'" + entry + "': " + why);
    };
    const size_t slash = entry.find('/');
    const std::string host = entry.substr(0, slash);
    Poco::Net::IPAddress address;
    if ((host.find(':') == std::string::npos && !IsDottedQuad(host)) ||
        !Poco::Net::IPAddress::tryParse(host, address)) {
      return bad("not an IPv4 or IPv6 address (hostnames are not accepted)");
    }
    Range range;
    if (!AddressBytes(address, &range.bytes, &range.ipv6)) return bad("unsupported address");
    const int max_bits = range.ipv6 ? 128 : 32;
    range.prefix_bits = max_bits;
    if (slash != std::string::npos) {
      const std::string bits = entry.substr(slash + 1);
      if (bits.empty() || bits.size() > 3 ||
          bits.find_first_not_of("0123456789") != std::string::npos || std::stoi(bits) > max_bits) {
        return bad("the prefix length must be 0-" + std::to_string(max_bits));
      }
      range.prefix_bits = std::stoi(bits);
    }
    std::array<uint8_t, 16> zero{};
    std::array<uint8_t, 16> host_bits = range.bytes;
    for (int bit = 0; bit < range.prefix_bits; ++bit) {
      host_bits[static_cast<size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    }
    if (!PrefixEquals(host_bits, zero, max_bits)) {
      return bad("bits set beyond the /" + std::to_string(range.prefix_bits) + " prefix");
    }
    list.ranges_.push_back(range);
  }
  return list;
}

bool ClientAllowList::Allows(const Poco::Net::IPAddress& address) const {
  if (ranges_.empty()) return true;
  std::array<uint8_t, 16> bytes{};
  bool ipv6 = false;
  if (!AddressBytes(address, &bytes, &ipv6)) return false;
  for (const Range& range : ranges_) {
    if (range.ipv6 == ipv6 && PrefixEquals(range.bytes, bytes, range.prefix_bits)) return true;
  }
  return false;
}

bool IsLoopbackListenAddress(std::string_view listen_address) {
  if (listen_address == "localhost") return true;
  Poco::Net::IPAddress address;
  if (!Poco::Net::IPAddress::tryParse(std::string(listen_address), address)) return false;
  if (address.isIPv4Mapped()) {
    std::array<uint8_t, 16> bytes{};
    bool ipv6 = false;
    return AddressBytes(address, &bytes, &ipv6) && bytes[0] == 127;
  }
  return address.isLoopback();
}

bool BearerTokenMatches(std::string_view authorization, const std::string& expected) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return !expected.empty() && ConstantTimeEquals(std::string(token), expected);
}

}  // namespace bonewatch::adapter
