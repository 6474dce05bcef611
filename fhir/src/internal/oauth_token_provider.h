// OAuthTokenProvider: the access-token cache shared by the OAuth2 client_credentials providers
// (SMART Backend Services with a private_key_jwt assertion, and a plain client secret).
//
// It finds the token endpoint (configured, or GET {fhir_base_url}/.well-known/smart-configuration),
// POSTs grant_type=client_credentials (+ scope) with the client authentication a subclass adds,
// caches the access token and renews it when min(refresh_margin, 10% of its lifetime) is left, or
// at once after RefreshAfterUnauthorized(). A subclass supplies only its client authentication.
//
// Error messages name the endpoint and the client id, and carry the server's OAuth `error` and
// `error_description` with every `never_echo` secret replaced by "[redacted]"; they never carry a
// token, an assertion or a secret.
//
// Thread-safety: Authorize() and RefreshAfterUnauthorized() may be called from any thread; token
// fetches are serialised on an internal mutex, and ClientAuthentication() is called under it.
// REQUIRES: `transport` outlives the provider.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/retry.h"

namespace bonewatch::fhir::internal {

struct TokenEndpointOptions {
  std::string fhir_base_url;   // for discovery
  std::string token_endpoint;  // "" = discover
  std::string client_id;       // named in error messages
  std::string scope;           // "" = no scope parameter
  std::chrono::seconds refresh_margin{60};
  std::vector<std::string> never_echo;  // secrets to redact from server-supplied error text
};

// What one token request carries to authenticate the client.
struct ClientAuthentication {
  std::vector<std::pair<std::string, std::string>> form;  // added after grant_type and scope
  std::string authorization;                              // Authorization header; "" = none
};

class OAuthTokenProvider : public AuthProvider {
 public:
  OAuthTokenProvider(TokenEndpointOptions options, HttpTransport& transport, WallClock now);

  Status Authorize(HttpRequest& request) final;
  bool RefreshAfterUnauthorized() final;

 protected:
  // The client authentication of a token request to `token_endpoint` made at `now`.
  virtual StatusOr<ClientAuthentication> Authenticate(
      const std::string& token_endpoint, std::chrono::system_clock::time_point now) = 0;

 private:
  Status DiscoverLocked();
  Status FetchTokenLocked();
  std::string Redact(std::string text) const;

  const TokenEndpointOptions options_;
  HttpTransport& transport_;
  const WallClock now_;
  const RetryPolicy retry_;

  std::mutex mu_;
  std::string token_endpoint_;                        // GUARDED_BY(mu_)
  std::string access_token_;                          // GUARDED_BY(mu_); secret
  std::chrono::system_clock::time_point refresh_at_;  // GUARDED_BY(mu_)
};

// A WallClock that reads the system clock when `now` is empty.
WallClock SystemClockIfEmpty(WallClock now);

}  // namespace bonewatch::fhir::internal
