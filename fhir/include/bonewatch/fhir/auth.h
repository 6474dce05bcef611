// Authentication for FHIR requests.
//
// An AuthProvider decorates each outgoing request with credentials (an Authorization header).
// The Client asks it to refresh after a 401 and then retries the request once.
// Providers: none, static bearer token, HTTP basic, SMART Backend Services (client_credentials
// with a private_key_jwt client assertion signed RS384 or ES384), and OAuth2 client_credentials
// with a client secret (client_secret_basic or client_secret_post). The two OAuth2 providers
// share one token cache: a token is reused until min(refresh_margin, 10% of its lifetime) is
// left, and dropped after a 401 (RefreshAfterUnauthorized), so the Client's one retry gets a new
// one.
//
// Secrets (tokens, passwords, client secrets, private keys, client assertions) are never logged
// and never put in a Status message.
//
// Thread-safety: every provider here may be shared by threads; the OAuth2 providers serialise
// token fetches on an internal mutex.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bonewatch/fhir/http.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

class AuthProvider {
 public:
  AuthProvider() = default;
  virtual ~AuthProvider() = default;
  AuthProvider(const AuthProvider&) = delete;
  AuthProvider& operator=(const AuthProvider&) = delete;

  // The registry name: "none", "bearer", "basic", "smart-backend", "client-credentials".
  virtual std::string_view name() const = 0;

  // Adds credentials to `request`. May block to fetch a token. A token endpoint that refuses
  // our credentials gives kUnauthenticated; an unreachable one kUnavailable.
  virtual Status Authorize(HttpRequest& request) = 0;

  // The server answered 401 to a request authorized by this provider. Returns true when fresh
  // credentials will be used by the next Authorize() (so one retry is worth it), false when
  // there is nothing to refresh (static credentials).
  virtual bool RefreshAfterUnauthorized() = 0;
};

using WallClock = std::function<std::chrono::system_clock::time_point()>;

std::unique_ptr<AuthProvider> NewNoAuth();
// Sends "Authorization: Bearer <token>".
std::unique_ptr<AuthProvider> NewBearerAuth(const std::string& token);
// Sends "Authorization: Basic base64(user:password)".
std::unique_ptr<AuthProvider> NewBasicAuth(const std::string& user, const std::string& password);

struct SmartBackendOptions {
  // Discovery: GET {fhir_base_url}/.well-known/smart-configuration -> token_endpoint.
  std::string fhir_base_url;
  // If set, used instead of discovery.
  std::string token_endpoint;
  std::string client_id;
  std::string private_key_pem;  // secret; PKCS#8 or traditional PEM, RSA for RS384, P-384 for ES384
  std::string algorithm = "RS384";  // "RS384" or "ES384"
  std::string key_id;               // JWT "kid" header; optional
  std::string scope = "system/*.read system/*.write";
  // Client assertion lifetime (exp - now). SMART caps it at 5 minutes.
  std::chrono::seconds assertion_lifetime{std::chrono::minutes(5)};
  // A token is renewed when less than min(refresh_margin, 10% of its lifetime) is left.
  std::chrono::seconds refresh_margin{60};
};

// REQUIRES: `transport` outlives the provider. Token requests go through it with retries for
// failures that happened before sending (token POSTs are not idempotent: a jti is single-use).
// `now` defaults to the system clock. Fails with kInvalidArgument when options are incomplete or
// the key does not parse or does not fit the algorithm.
StatusOr<std::unique_ptr<AuthProvider>> NewSmartBackendAuth(SmartBackendOptions options,
                                                            HttpTransport& transport,
                                                            WallClock now = {});

struct ClientSecretOptions {
  // Discovery, as for SMART: GET {fhir_base_url}/.well-known/smart-configuration -> token_endpoint.
  std::string fhir_base_url;
  // If set, used instead of discovery.
  std::string token_endpoint;
  std::string client_id;
  std::string client_secret;  // secret
  // "client_secret_basic": Authorization: Basic base64(urlencode(id):urlencode(secret))
  // (RFC 6749 section 2.3.1); "client_secret_post": client_id and client_secret in the form.
  std::string auth_method = "client_secret_basic";
  std::string scope;  // "" = no scope parameter (the server's default scopes)
  // A token is renewed when less than min(refresh_margin, 10% of its lifetime) is left.
  std::chrono::seconds refresh_margin{60};
};

// REQUIRES: `transport` outlives the provider. Token requests are retried only for failures that
// happened before sending. Fails with kInvalidArgument when options are incomplete or the method is
// unknown; the message never contains the secret.
StatusOr<std::unique_ptr<AuthProvider>> NewClientSecretAuth(ClientSecretOptions options,
                                                            HttpTransport& transport,
                                                            WallClock now = {});

// The claims of one SMART client assertion (iss = sub = client_id).
struct ClientAssertionClaims {
  std::string client_id;
  std::string audience;  // the token endpoint URL
  std::string jwt_id;    // unique per assertion
  std::chrono::system_clock::time_point expires_at;
};

// Signs a client assertion JWT (compact JWS). For ES384 the signature is the JWS form: raw
// r || s, each left-padded to 48 bytes (96 bytes), as RFC 7518 section 3.4 requires.
// Exposed for tests and diagnostics; NewSmartBackendAuth uses it.
StatusOr<std::string> SignClientAssertion(const ClientAssertionClaims& claims,
                                          const std::string& private_key_pem,
                                          std::string_view algorithm, std::string_view key_id);

}  // namespace bonewatch::fhir
