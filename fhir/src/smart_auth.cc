// SMART Backend Services auth: client_credentials grant with a private_key_jwt assertion.
#include <algorithm>
#include <cstdio>
#include <random>
#include <utility>

#include "bonewatch/fhir/auth.h"
#include "internal/oauth_token_provider.h"

namespace bonewatch::fhir {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr seconds kMaxAssertionLifetime{300};  // SMART: exp no more than 5 minutes ahead

std::string RandomJwtId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

internal::TokenEndpointOptions TokenOptions(const SmartBackendOptions& o) {
  return {o.fhir_base_url, o.token_endpoint, o.client_id, o.scope, o.refresh_margin, {}};
}

// Authenticates each token request with a freshly signed client assertion (new jti each time).
class SmartBackendAuth final : public internal::OAuthTokenProvider {
 public:
  SmartBackendAuth(SmartBackendOptions options, HttpTransport& transport, WallClock now)
      : OAuthTokenProvider(TokenOptions(options), transport, std::move(now)),
        options_(std::move(options)) {}

  std::string_view name() const override { return "smart-backend"; }

 protected:
  StatusOr<internal::ClientAuthentication> Authenticate(const std::string& token_endpoint,
                                                        system_clock::time_point now) override {
    ClientAssertionClaims claims{
        options_.client_id, token_endpoint, RandomJwtId(),
        now + std::min(options_.assertion_lifetime, kMaxAssertionLifetime)};
    ASSIGN_OR_RETURN(
        std::string assertion,
        SignClientAssertion(claims, options_.private_key_pem, options_.algorithm, options_.key_id));
    return internal::ClientAuthentication{
        {{"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
         {"client_assertion", std::move(assertion)}},
        ""};
  }

 private:
  const SmartBackendOptions options_;
};

Status Validate(const SmartBackendOptions& o) {
  if (o.client_id.empty()) return InvalidArgumentError("smart-backend auth: client_id is empty");
  if (o.private_key_pem.empty()) {
    return InvalidArgumentError("smart-backend auth: private_key_pem is empty");
  }
  if (o.fhir_base_url.empty() && o.token_endpoint.empty()) {
    return InvalidArgumentError("smart-backend auth: need fhir_base_url or token_endpoint");
  }
  // Signing once proves the key parses and fits the algorithm, before any request is made.
  ClientAssertionClaims probe{o.client_id, "urn:probe", "probe", system_clock::now()};
  StatusOr<std::string> signed_probe =
      SignClientAssertion(probe, o.private_key_pem, o.algorithm, o.key_id);
  if (!signed_probe.ok()) return signed_probe.status().WithContext("smart-backend auth");
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<AuthProvider>> NewSmartBackendAuth(SmartBackendOptions options,
                                                            HttpTransport& transport,
                                                            WallClock now) {
  RETURN_IF_ERROR(Validate(options));
  return std::unique_ptr<AuthProvider>(
      std::make_unique<SmartBackendAuth>(std::move(options), transport, std::move(now)));
}

}  // namespace bonewatch::fhir
