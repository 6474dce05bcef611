// TLS settings for outgoing HTTPS connections (used by the curl transport).
//
// Peer and host verification are on by default and should stay on outside tests. Paths are
// read by libcurl/OpenSSL when a connection is made; the key passphrase is a secret and is never
// logged or put in error messages.
//
// Plain value type; thread-compatible.
#pragma once

#include <string>

namespace bonewatch::fhir {

struct TlsOptions {
  // PEM bundle of trusted CAs. Empty: the system default store.
  std::string ca_bundle_path;
  // mTLS: PEM client certificate (chain) and its private key. Both or neither.
  std::string client_cert_path;
  std::string client_key_path;
  std::string client_key_passphrase;  // secret
  bool verify_peer = true;
  bool verify_host = true;
};

}  // namespace bonewatch::fhir
