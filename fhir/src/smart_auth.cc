// SMART Backend Services auth: client_credentials grant with a private_key_jwt assertion.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <random>
#include <utility>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/retry.h"
#include "internal/encoding.h"

namespace bonewatch::fhir {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr seconds kDefaultTokenLifetime{300};  // when the server omits expires_in
constexpr seconds kMaxAssertionLifetime{300};  // SMART: exp no more than 5 minutes ahead

std::string RandomJwtId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

// "HTTP 401: invalid_client: bad signature" from an OAuth error body, never echoing the body
// otherwise.
std::string DescribeOAuthError(const HttpResponse& response) {
  std::string out = "HTTP " + std::to_string(response.status);
  StatusOr<Json> body = Json::Parse(response.body);
  if (body.ok() && body->is_object()) {
    if (auto error = body->GetString("error")) out += ": " + *error;
    if (auto description = body->GetString("error_description")) out += ": " + *description;
  }
  return out;
}

class SmartBackendAuth final : public AuthProvider {
 public:
  SmartBackendAuth(SmartBackendOptions options, HttpTransport& transport, WallClock now)
      : options_(std::move(options)), transport_(transport), now_(std::move(now)) {
    token_endpoint_ = options_.token_endpoint;
  }

  std::string_view name() const override { return "smart-backend"; }

  Status Authorize(HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (access_token_.empty() || now_() >= refresh_at_) RETURN_IF_ERROR(FetchTokenLocked());
    request.headers.Set("Authorization", "Bearer " + access_token_);
    return Status::Ok();
  }

  bool RefreshAfterUnauthorized() override {
    std::lock_guard<std::mutex> lock(mu_);
    access_token_.clear();
    return true;
  }

 private:
  Status DiscoverLocked();
  Status FetchTokenLocked();

  const SmartBackendOptions options_;
  HttpTransport& transport_;
  const WallClock now_;
  const RetryPolicy retry_;

  std::mutex mu_;
  std::string token_endpoint_;           // GUARDED_BY(mu_)
  std::string access_token_;             // GUARDED_BY(mu_); secret
  system_clock::time_point refresh_at_;  // GUARDED_BY(mu_)
};

Status SmartBackendAuth::DiscoverLocked() {
  std::string base = options_.fhir_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest request{"GET", base + "/.well-known/smart-configuration", {}, ""};
  request.headers.Set("Accept", "application/json");
  const std::string what = "SMART discovery " + DescribeRequest(request.method, request.url);
  RetryPolicy::Outcome outcome = retry_.Execute(transport_, request);
  if (!outcome.result.ok()) return outcome.result.status();
  const HttpResponse& response = *outcome.result;
  if (response.status / 100 != 2) {
    return Status(
        response.status >= 500 ? StatusCode::kUnavailable : StatusCode::kFailedPrecondition,
        what + ": HTTP " + std::to_string(response.status));
  }
  StatusOr<Json> config = Json::Parse(response.body);
  if (!config.ok()) return FailedPreconditionError(what + ": " + config.status().message());
  std::optional<std::string> endpoint = config->GetString("token_endpoint");
  if (!endpoint || endpoint->empty()) {
    return FailedPreconditionError(what + ": no token_endpoint in the SMART configuration");
  }
  token_endpoint_ = *endpoint;
  return Status::Ok();
}

Status SmartBackendAuth::FetchTokenLocked() {
  if (token_endpoint_.empty()) RETURN_IF_ERROR(DiscoverLocked());
  const system_clock::time_point now = now_();
  ClientAssertionClaims claims{options_.client_id, token_endpoint_, RandomJwtId(),
                               now + std::min(options_.assertion_lifetime, kMaxAssertionLifetime)};
  ASSIGN_OR_RETURN(std::string assertion, SignClientAssertion(claims, options_.private_key_pem,
                                                              options_.algorithm, options_.key_id));

  HttpRequest request{"POST", token_endpoint_, {}, ""};
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.Set("Accept", "application/json");
  request.body = internal::EncodeQuery({
      {"grant_type", "client_credentials"},
      {"scope", options_.scope},
      {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
      {"client_assertion", assertion},
  });
  const std::string what = "token request " + DescribeRequest(request.method, request.url) +
                           " (client_id " + options_.client_id + ")";
  RetryPolicy::Outcome outcome = retry_.Execute(transport_, request);
  if (!outcome.result.ok()) return outcome.result.status().WithContext("token request");
  const HttpResponse& response = *outcome.result;
  if (response.status / 100 != 2) {
    StatusCode code = response.status >= 500 || response.status == 429
                          ? StatusCode::kUnavailable
                          : StatusCode::kUnauthenticated;
    return Status(code, what + ": " + DescribeOAuthError(response));
  }
  StatusOr<Json> body = Json::Parse(response.body);
  if (!body.ok()) return UnauthenticatedError(what + ": answer is not JSON");
  std::optional<std::string> token = body->GetString("access_token");
  if (!token || token->empty()) return UnauthenticatedError(what + ": no access_token in answer");
  seconds lifetime = kDefaultTokenLifetime;
  if (std::optional<int64_t> expires_in = body->GetInt64("expires_in"); expires_in) {
    lifetime = seconds(std::max<int64_t>(*expires_in, 0));
  }
  // Renew when min(margin, 10% of the lifetime) is left, so short-lived tokens are still reused.
  auto margin = std::min<std::chrono::milliseconds>(options_.refresh_margin, lifetime / 10);
  access_token_ = std::move(*token);
  refresh_at_ = now + lifetime - margin;
  return Status::Ok();
}

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
  if (!now) now = [] { return system_clock::now(); };
  return std::unique_ptr<AuthProvider>(
      std::make_unique<SmartBackendAuth>(std::move(options), transport, std::move(now)));
}

}  // namespace bonewatch::fhir
