// FakeTokenServer: an HttpTransport that plays a FHIR server with an OAuth2 token endpoint, for
// the auth unit tests. It serves SMART discovery, issues numbered tokens ("secret-token-1", ...)
// and records every request. FHIR requests (any other URL under http://fhir.test/fhir/) answer
// 200 with an empty searchset when they carry a token it issued and has not revoked, else 401.
//
// Header-only: the test suite globs *_test.cc only. Not thread-safe (one test thread).
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/http.h"

namespace bonewatch::fhir::testing {

class FakeTokenServer : public HttpTransport {
 public:
  static constexpr const char* kTokenUrl = "http://fhir.test/auth/token";

  StatusOr<HttpResponse> Send(const HttpRequest& request, SendFailure* failure) override {
    if (failure != nullptr) *failure = SendFailure::kMaybeSent;
    sent.push_back(request);
    HttpResponse response;
    if (request.url == "http://fhir.test/fhir/.well-known/smart-configuration") {
      response.status = 200;
      response.body = std::string(R"({"token_endpoint":")") + kTokenUrl + R"("})";
      return response;
    }
    if (request.url == kTokenUrl) return Token();
    if (request.url.rfind("http://fhir.test/fhir/", 0) == 0) {
      ++fhir_requests;
      const std::string authorization = request.headers.Get("Authorization").value_or("");
      const bool valid = !refuse_every_token && authorization.rfind("Bearer ", 0) == 0 &&
                         valid_tokens.count(authorization.substr(7)) > 0;
      response.status = valid ? 200 : 401;
      response.body = valid ? R"({"resourceType":"Bundle","type":"searchset"})"
                            : R"({"resourceType":"OperationOutcome"})";
      return response;
    }
    response.status = 404;
    return response;
  }

  // Every token issued so far stops working (a server restart that loses its token store).
  void RevokeAll() { valid_tokens.clear(); }

  // The token requests sent, in order.
  std::vector<HttpRequest> TokenRequests() const {
    std::vector<HttpRequest> out;
    for (const HttpRequest& r : sent) {
      if (r.url == kTokenUrl) out.push_back(r);
    }
    return out;
  }

  std::vector<HttpRequest> sent;
  std::set<std::string> valid_tokens;
  int token_requests = 0;
  int fhir_requests = 0;
  int lifetime = 3600;
  bool reject = false;              // the token endpoint refuses the client
  bool refuse_every_token = false;  // the FHIR side answers 401 whatever the token
  int reject_status = 401;
  std::string reject_description = "Signature verification failed";

 private:
  HttpResponse Token() {
    ++token_requests;
    HttpResponse response;
    if (reject) {
      response.status = reject_status;
      response.body =
          R"({"error":"invalid_client","error_description":")" + reject_description + R"("})";
      return response;
    }
    const std::string token = "secret-token-" + std::to_string(token_requests);
    valid_tokens.insert(token);
    response.status = 200;
    response.body = R"({"access_token":")" + token + R"(","token_type":"bearer","expires_in":)" +
                    std::to_string(lifetime) + "}";
    return response;
  }
};

// The Authorization header `provider` puts on an empty request ("" and a test failure on error).
inline std::string AuthorizationAfterAuthorize(AuthProvider& provider) {
  HttpRequest request;
  Status s = provider.Authorize(request);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return request.headers.Get("Authorization").value_or("");
}

// Options of a Client of the fake's FHIR base, one attempt per request (401s are the point).
inline ClientOptions FakeServerClientOptions() {
  ClientOptions options;
  options.base_url = "http://fhir.test/fhir";
  options.retry.max_attempts = 1;
  return options;
}

}  // namespace bonewatch::fhir::testing
