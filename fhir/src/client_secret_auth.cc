// OAuth2 client_credentials with a client secret (RFC 6749 sections 2.3.1 and 4.4):
// client_secret_basic or client_secret_post.
#include <utility>

#include "bonewatch/fhir/auth.h"
#include "internal/encoding.h"
#include "internal/oauth_token_provider.h"

namespace bonewatch::fhir {
namespace {

constexpr std::string_view kBasic = "client_secret_basic";
constexpr std::string_view kPost = "client_secret_post";

internal::TokenEndpointOptions TokenOptions(const ClientSecretOptions& o) {
  internal::TokenEndpointOptions token;
  token.fhir_base_url = o.fhir_base_url;
  token.token_endpoint = o.token_endpoint;
  token.client_id = o.client_id;
  token.scope = o.scope;
  token.refresh_margin = o.refresh_margin;
  token.never_echo = {o.client_secret};
  return token;
}

class ClientSecretAuth final : public internal::OAuthTokenProvider {
 public:
  ClientSecretAuth(const ClientSecretOptions& options, HttpTransport& transport, WallClock now)
      : OAuthTokenProvider(TokenOptions(options), transport, std::move(now)) {
    if (options.auth_method == kPost) {
      authentication_.form = {{"client_id", options.client_id},
                              {"client_secret", options.client_secret}};
    } else {
      // RFC 6749 2.3.1: each part form-urlencoded, then HTTP Basic.
      authentication_.authorization =
          "Basic " + internal::Base64(internal::PercentEncode(options.client_id) + ":" +
                                      internal::PercentEncode(options.client_secret));
    }
  }

  std::string_view name() const override { return "client-credentials"; }

 protected:
  StatusOr<internal::ClientAuthentication> Authenticate(
      const std::string&, std::chrono::system_clock::time_point) override {
    return authentication_;
  }

 private:
  internal::ClientAuthentication authentication_;  // secret
};

}  // namespace

StatusOr<std::unique_ptr<AuthProvider>> NewClientSecretAuth(ClientSecretOptions options,
                                                            HttpTransport& transport,
                                                            WallClock now) {
  constexpr std::string_view kWhat = "client-credentials auth: ";
  if (options.client_id.empty()) {
    return InvalidArgumentError(std::string(kWhat) + "client_id is empty");
  }
  if (options.client_secret.empty()) {
    return InvalidArgumentError(std::string(kWhat) + "client_secret is empty");
  }
  if (options.fhir_base_url.empty() && options.token_endpoint.empty()) {
    return InvalidArgumentError(std::string(kWhat) + "need fhir_base_url or token_endpoint");
  }
  if (options.auth_method != kBasic && options.auth_method != kPost) {
    return InvalidArgumentError(std::string(kWhat) +
                                "auth_method must be client_secret_basic or client_secret_post, "
                                "got '" +
                                options.auth_method + "'");
  }
  return std::unique_ptr<AuthProvider>(
      std::make_unique<ClientSecretAuth>(options, transport, std::move(now)));
}

}  // namespace bonewatch::fhir
