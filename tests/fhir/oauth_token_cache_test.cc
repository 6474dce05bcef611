// The token cache that both OAuth2 providers share (fhir/src/oauth_token_provider.cc), tested
// through each of them: SMART Backend Services (ES384) and a client secret (client_secret_basic,
// client_secret_post). Over a fake token server and a fake clock: reuse, renewal before expiry,
// and, under a Client, exactly one refresh and one retry after a 401 and never a loop.
#include <Poco/Crypto/ECKey.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/client.h"
#include "fake_token_server.h"

namespace bonewatch::fhir {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const std::string& Es384PrivateKey() {
  static const std::string pem = [] {
    std::ostringstream pub, priv;
    Poco::Crypto::ECKey("secp384r1").save(&pub, &priv);
    return priv.str();
  }();
  return pem;
}

// "smart-backend" or a client-secret method.
class OAuthTokenCacheTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<AuthProvider> NewProvider() {
    const WallClock clock = [this] { return now_; };
    StatusOr<std::unique_ptr<AuthProvider>> provider = InvalidArgumentError("unset");
    if (GetParam() == "smart-backend") {
      SmartBackendOptions options;
      options.fhir_base_url = "http://fhir.test/fhir";
      options.client_id = "bonewatch";
      options.algorithm = "ES384";
      options.private_key_pem = Es384PrivateKey();
      provider = NewSmartBackendAuth(options, server_, clock);
    } else {
      ClientSecretOptions options;
      options.fhir_base_url = "http://fhir.test/fhir";
      options.client_id = "bonewatch";
      options.client_secret = "s3cret";
      options.auth_method = GetParam();
      provider = NewClientSecretAuth(options, server_, clock);
    }
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    return provider.ok() ? std::move(*provider) : NewNoAuth();
  }
  Client NewClient(AuthProvider& auth) {
    ClientOptions options = testing::FakeServerClientOptions();
    options.on_request = [this](const RequestMetrics& m) { last_ = m; };
    return Client(options, server_, auth);
  }

  testing::FakeTokenServer server_;
  system_clock::time_point now_ = system_clock::from_time_t(1'800'000'000);
  RequestMetrics last_;
};

TEST_P(OAuthTokenCacheTest, TokenIsReusedAndRenewedBeforeItExpires) {
  server_.lifetime = 600;  // renewed when min(60 s, 10% = 60 s) is left
  auto provider = NewProvider();
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  now_ += seconds(539);
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  now_ += seconds(1);
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-2");
  EXPECT_EQ(server_.token_requests, 2);
}

TEST_P(OAuthTokenCacheTest, ShortLivedTokensUseTenPercentMargin) {
  server_.lifetime = 10;
  auto provider = NewProvider();
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  now_ += seconds(8);
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  now_ += seconds(1);
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-2");
}

TEST_P(OAuthTokenCacheTest, RevokedTokenGivesOneRefreshAndOneRetry) {
  auto provider = NewProvider();
  Client client = NewClient(*provider);
  ASSERT_TRUE(client.Search("Patient", {}).ok());
  ASSERT_TRUE(client.Search("Patient", {}).ok());
  EXPECT_EQ(server_.token_requests, 1);
  EXPECT_FALSE(last_.reauthorized);
  server_.RevokeAll();  // e.g. Medplum's Redis restarted
  StatusOr<SearchPage> after = client.Search("Patient", {});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(server_.token_requests, 2);
  EXPECT_EQ(server_.fhir_requests, 4);  // 2 before, then the 401 and the retry
  EXPECT_EQ(last_.attempts, 2);
  EXPECT_TRUE(last_.reauthorized);  // bonewatch_fhir_reauthorizations_total
  EXPECT_EQ(server_.sent.back().headers.Get("Authorization"), "Bearer secret-token-2");
  // And the new token is cached again.
  ASSERT_TRUE(client.Search("Patient", {}).ok());
  EXPECT_EQ(server_.token_requests, 2);
}

TEST_P(OAuthTokenCacheTest, SecondUnauthorizedIsAnErrorNotALoop) {
  auto provider = NewProvider();
  Client client = NewClient(*provider);
  server_.refuse_every_token = true;  // the FHIR side accepts no token at all
  StatusOr<SearchPage> result = client.Search("Patient", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(server_.fhir_requests, 2);  // the first try and exactly one retry
  EXPECT_EQ(server_.token_requests, 2);
  EXPECT_EQ(result.status().message().find("secret-token"), std::string::npos);
  EXPECT_EQ(result.status().message().find("s3cret"), std::string::npos);
}

// "client_secret_basic"; "smart_backend" (test names have no '-').
std::string ProviderName(const ::testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

INSTANTIATE_TEST_SUITE_P(Providers, OAuthTokenCacheTest,
                         ::testing::Values("smart-backend", "client_secret_basic",
                                           "client_secret_post"),
                         ProviderName);

}  // namespace
}  // namespace bonewatch::fhir
