#include "internal/oauth_token_provider.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "bonewatch/fhir/json.h"
#include "internal/encoding.h"

namespace bonewatch::fhir::internal {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr seconds kDefaultTokenLifetime{300};  // when the server omits expires_in

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

void ReplaceAll(std::string& text, const std::string& what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

}  // namespace

WallClock SystemClockIfEmpty(WallClock now) {
  if (now) return now;
  return [] { return system_clock::now(); };
}

OAuthTokenProvider::OAuthTokenProvider(TokenEndpointOptions options, HttpTransport& transport,
                                       WallClock now)
    : options_(std::move(options)),
      transport_(transport),
      now_(SystemClockIfEmpty(std::move(now))),
      token_endpoint_(options_.token_endpoint) {}

Status OAuthTokenProvider::Authorize(HttpRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (access_token_.empty() || now_() >= refresh_at_) RETURN_IF_ERROR(FetchTokenLocked());
  request.headers.Set("Authorization", "Bearer " + access_token_);
  return Status::Ok();
}

bool OAuthTokenProvider::RefreshAfterUnauthorized() {
  std::lock_guard<std::mutex> lock(mu_);
  access_token_.clear();
  return true;
}

std::string OAuthTokenProvider::Redact(std::string text) const {
  for (const std::string& secret : options_.never_echo) {
    ReplaceAll(text, secret, "[redacted]");
    ReplaceAll(text, PercentEncode(secret), "[redacted]");
  }
  return text;
}

Status OAuthTokenProvider::DiscoverLocked() {
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

Status OAuthTokenProvider::FetchTokenLocked() {
  if (token_endpoint_.empty()) RETURN_IF_ERROR(DiscoverLocked());
  const system_clock::time_point now = now_();
  ASSIGN_OR_RETURN(ClientAuthentication client, Authenticate(token_endpoint_, now));

  HttpRequest request{"POST", token_endpoint_, {}, ""};
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.Set("Accept", "application/json");
  if (!client.authorization.empty()) request.headers.Set("Authorization", client.authorization);
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "client_credentials"}};
  if (!options_.scope.empty()) form.emplace_back("scope", options_.scope);
  form.insert(form.end(), std::make_move_iterator(client.form.begin()),
              std::make_move_iterator(client.form.end()));
  request.body = EncodeQuery(form);

  const std::string what = "token request " + DescribeRequest(request.method, request.url) +
                           " (client_id " + options_.client_id + ")";
  RetryPolicy::Outcome outcome = retry_.Execute(transport_, request);
  if (!outcome.result.ok()) return outcome.result.status().WithContext("token request");
  const HttpResponse& response = *outcome.result;
  if (response.status / 100 != 2) {
    StatusCode code = response.status >= 500 || response.status == 429
                          ? StatusCode::kUnavailable
                          : StatusCode::kUnauthenticated;
    return Status(code, what + ": " + Redact(DescribeOAuthError(response)));
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

}  // namespace bonewatch::fhir::internal
