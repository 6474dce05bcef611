// The client-secret OAuth2 provider (client_secret_basic and client_secret_post) over a fake
// token server: what each method sends, discovery or a configured endpoint, and errors that
// never carry the secret. Caching, renewal and the 401 retry are in oauth_token_cache_test.cc;
// the real token endpoint is exercised in tests/integration/client_auth_test.cc.
#include <Poco/Base64Decoder.h>
#include <Poco/URI.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/auth_registry.h"
#include "bonewatch/fhir/client.h"
#include "fake_token_server.h"

namespace bonewatch::fhir {
namespace {

using std::chrono::system_clock;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "s3cr:et/+% x";  // needs form-urlencoding in every part

std::string DecodeBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
}

std::string FormDecode(const std::string& text) {
  std::string plus_as_space = text;
  for (char& c : plus_as_space) c = c == '+' ? ' ' : c;
  std::string out;
  Poco::URI::decode(plus_as_space, out);
  return out;
}

// The decoded value of `name` in a form body, "<absent>" when it is not there.
std::string FormValue(const std::string& body, const std::string& name) {
  std::istringstream in(body);
  for (std::string pair; std::getline(in, pair, '&');) {
    const std::size_t eq = pair.find('=');
    if (FormDecode(pair.substr(0, eq)) == name) {
      return eq == std::string::npos ? "" : FormDecode(pair.substr(eq + 1));
    }
  }
  return "<absent>";
}

class ClientSecretAuthTest : public ::testing::Test {
 protected:
  ClientSecretOptions Options(const std::string& method) {
    ClientSecretOptions options;
    options.fhir_base_url = "http://fhir.test/fhir/";
    options.client_id = "bone watch";
    options.client_secret = kSecret;
    options.auth_method = method;
    return options;
  }
  std::unique_ptr<AuthProvider> NewProvider(const ClientSecretOptions& options) {
    auto provider = NewClientSecretAuth(options, server_, [this] { return now_; });
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    return provider.ok() ? std::move(*provider) : NewNoAuth();
  }
  std::unique_ptr<AuthProvider> NewProvider(const std::string& method = "client_secret_basic") {
    return NewProvider(Options(method));
  }
  Client NewClient(AuthProvider& auth) {
    ClientOptions options = testing::FakeServerClientOptions();
    return Client(options, server_, auth);
  }
  static StatusOr<SearchPage> SearchPatients(const Client& client) {
    return client.Search("Patient", {});
  }

  testing::FakeTokenServer server_;
  system_clock::time_point now_ = system_clock::from_time_t(1'800'000'000);
};

TEST_F(ClientSecretAuthTest, BasicSendsFormEncodedCredentialsInTheAuthorizationHeader) {
  auto provider = NewProvider("client_secret_basic");
  EXPECT_EQ(provider->name(), "client-credentials");
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  ASSERT_EQ(server_.TokenRequests().size(), 1u);
  const HttpRequest token = server_.TokenRequests()[0];
  EXPECT_EQ(token.method, "POST");
  EXPECT_EQ(token.headers.Get("Content-Type"), "application/x-www-form-urlencoded");
  const std::string authorization = token.headers.Get("Authorization").value_or("");
  ASSERT_EQ(authorization.rfind("Basic ", 0), 0u) << authorization;
  // RFC 6749 2.3.1: urlencode(id) ":" urlencode(secret), so a ':' in either cannot split wrongly.
  const std::string credentials = DecodeBase64(authorization.substr(6));
  EXPECT_EQ(credentials, "bone%20watch:s3cr%3Aet%2F%2B%25%20x");
  const std::size_t colon = credentials.find(':');
  EXPECT_EQ(FormDecode(credentials.substr(0, colon)), "bone watch");
  EXPECT_EQ(FormDecode(credentials.substr(colon + 1)), kSecret);
  EXPECT_EQ(FormValue(token.body, "grant_type"), "client_credentials");
  EXPECT_EQ(FormValue(token.body, "client_secret"), "<absent>");
  EXPECT_EQ(FormValue(token.body, "scope"), "<absent>");  // none configured
}

TEST_F(ClientSecretAuthTest, PostSendsCredentialsInTheForm) {
  ClientSecretOptions options = Options("client_secret_post");
  options.scope = "system/*.rs system/Flag.cru";
  auto provider = NewProvider(options);
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  ASSERT_EQ(server_.TokenRequests().size(), 1u);
  const HttpRequest token = server_.TokenRequests()[0];
  EXPECT_FALSE(token.headers.Has("Authorization"));
  EXPECT_EQ(FormValue(token.body, "grant_type"), "client_credentials");
  EXPECT_EQ(FormValue(token.body, "client_id"), "bone watch");
  EXPECT_EQ(FormValue(token.body, "client_secret"), kSecret);
  EXPECT_EQ(FormValue(token.body, "scope"), "system/*.rs system/Flag.cru");
}

TEST_F(ClientSecretAuthTest, ConfiguredTokenEndpointSkipsDiscovery) {
  ClientSecretOptions options = Options("client_secret_basic");
  options.fhir_base_url.clear();
  options.token_endpoint = testing::FakeTokenServer::kTokenUrl;
  auto provider = NewProvider(options);
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  ASSERT_EQ(server_.sent.size(), 1u);
  EXPECT_EQ(server_.sent[0].url, testing::FakeTokenServer::kTokenUrl);
}

TEST_F(ClientSecretAuthTest, TokenEndpointErrorsAreClearAndNeverCarryTheSecret) {
  // A server that echoes what it got (raw and form-encoded) in its error_description.
  server_.reject = true;
  server_.reject_description = std::string("bad secret ") + kSecret + " / s3cr%3Aet%2F%2B%25%20x";
  for (const std::string method : {"client_secret_basic", "client_secret_post"}) {
    SCOPED_TRACE(method);
    auto provider = NewProvider(method);
    HttpRequest request;
    Status s = provider->Authorize(request);
    EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
    EXPECT_THAT(s.message(), HasSubstr("token request POST http://fhir.test/auth/token"));
    EXPECT_THAT(s.message(), HasSubstr("(client_id bone watch): HTTP 401: invalid_client: bad "
                                       "secret [redacted] / [redacted]"));
    EXPECT_THAT(s.message(), Not(HasSubstr(kSecret)));
    EXPECT_THAT(s.message(), Not(HasSubstr("s3cr")));
    EXPECT_FALSE(request.headers.Has("Authorization"));
  }
  // Under a Client the same error, with the request named, and the FHIR request never sent.
  auto provider = NewProvider();
  StatusOr<SearchPage> result = SearchPatients(NewClient(*provider));
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(result.status().message(), HasSubstr("GET http://fhir.test/fhir/Patient"));
  EXPECT_THAT(result.status().message(), Not(HasSubstr("s3cr")));
  EXPECT_EQ(server_.fhir_requests, 0);
  // An overloaded token endpoint is unavailable (worth retrying later), not unauthenticated.
  server_.reject_status = 503;
  HttpRequest request;
  EXPECT_EQ(provider->Authorize(request).code(), StatusCode::kUnavailable);
}

TEST_F(ClientSecretAuthTest, ConstructionValidatesOptionsWithoutEchoingTheSecret) {
  ClientSecretOptions options = Options("client_secret_jwt");
  auto unknown = NewClientSecretAuth(options, server_);
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("auth_method must be client_secret_basic or client_secret_post, got "
                        "'client_secret_jwt'"));
  EXPECT_THAT(unknown.status().message(), Not(HasSubstr("s3cr")));
  options = Options("client_secret_post");
  options.client_secret.clear();
  EXPECT_THAT(NewClientSecretAuth(options, server_).status().message(),
              HasSubstr("client_secret is empty"));
  options = Options("client_secret_post");
  options.client_id.clear();
  EXPECT_EQ(NewClientSecretAuth(options, server_).status().code(), StatusCode::kInvalidArgument);
  options = Options("client_secret_post");
  options.fhir_base_url.clear();
  EXPECT_EQ(NewClientSecretAuth(options, server_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(server_.sent.empty());
}

TEST_F(ClientSecretAuthTest, RegistryBuildsItFromTheConfig) {
  AuthConfig config;
  config.type = "client-credentials";
  config.client_credentials = Options("client_secret_post");
  EXPECT_EQ(AuthRegistry::WithBuiltins().Create(config, {}).status().code(),
            StatusCode::kInvalidArgument);  // no transport
  AuthDependencies deps;
  deps.transport = &server_;
  deps.now = [this] { return now_; };
  auto provider = AuthRegistry::WithBuiltins().Create(config, deps);
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_EQ((*provider)->name(), "client-credentials");
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(**provider), "Bearer secret-token-1");
  config.client_credentials.client_secret.clear();
  EXPECT_EQ(AuthRegistry::WithBuiltins().Create(config, deps).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bonewatch::fhir
