// Auth providers against the real test FHIR server: bearer, basic, SMART Backend Services
// (RS384 and ES384 keys generated here) and client secrets (client_secret_basic and
// client_secret_post), token refresh, every token revoked, and rejection of a wrong key or secret.
#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "bonewatch/fhir/client.h"
#include "test_fhir_server.h"

namespace bonewatch::fhir {
namespace {

using std::chrono::seconds;

struct KeyPem {
  std::string public_pem;
  std::string private_pem;
};

template <typename Key>
KeyPem SavePem(const Key& key) {
  std::ostringstream pub, priv;
  key.save(&pub, &priv);
  return {pub.str(), priv.str()};
}

KeyPem NewRsaKey() {
  return SavePem(
      Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE));
}
KeyPem NewEcKey() { return SavePem(Poco::Crypto::ECKey("secp384r1")); }

class ClientAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server().Reset();
    auto transport = NewCurlTransport({});
    ASSERT_TRUE(transport.ok()) << transport.status().ToString();
    transport_ = std::move(*transport);
  }

  static testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }

  Client NewClient(AuthProvider& auth) {
    ClientOptions options;
    options.base_url = server().base_url();
    options.on_request = [this](const RequestMetrics& m) { last_ = m; };
    return Client(options, *transport_, auth);
  }

  std::unique_ptr<AuthProvider> NewSmart(const std::string& client_id, const std::string& pem,
                                         const std::string& alg, WallClock now = {}) {
    SmartBackendOptions options;
    options.fhir_base_url = server().base_url();
    options.client_id = client_id;
    options.private_key_pem = pem;
    options.algorithm = alg;
    auto auth = NewSmartBackendAuth(options, *transport_, std::move(now));
    EXPECT_TRUE(auth.ok()) << auth.status().ToString();
    return auth.ok() ? std::move(*auth) : NewNoAuth();
  }

  std::unique_ptr<AuthProvider> NewClientSecret(const std::string& client_id,
                                                const std::string& secret,
                                                const std::string& method) {
    ClientSecretOptions options;
    options.fhir_base_url = server().base_url();
    options.client_id = client_id;
    options.client_secret = secret;
    options.auth_method = method;
    auto auth = NewClientSecretAuth(options, *transport_);
    EXPECT_TRUE(auth.ok()) << auth.status().ToString();
    return auth.ok() ? std::move(*auth) : NewNoAuth();
  }

  static StatusOr<FhirResult> SearchPatients(const Client& client) {
    StatusOr<SearchPage> page = client.Search("Patient", {});
    if (!page.ok()) return page.status();
    return page->result;
  }

  std::unique_ptr<HttpTransport> transport_;
  RequestMetrics last_;
};

TEST_F(ClientAuthTest, BearerTokenIsRequiredAndAccepted) {
  server().SetAuthBearer("s3cret-token");
  auto none = NewNoAuth();
  StatusOr<FhirResult> anonymous = SearchPatients(NewClient(*none));
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.status().code(), StatusCode::kUnauthenticated);

  auto wrong = NewBearerAuth("wrong-token");
  StatusOr<FhirResult> rejected = SearchPatients(NewClient(*wrong));
  EXPECT_EQ(rejected.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(rejected.status().message().find("wrong-token"), std::string::npos);

  auto bearer = NewBearerAuth("s3cret-token");
  StatusOr<FhirResult> ok = SearchPatients(NewClient(*bearer));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(ClientAuthTest, BasicCredentialsAreRequiredAndAccepted) {
  server().SetAuthBasic("bone", "w4tch");
  auto wrong = NewBasicAuth("bone", "nope");
  StatusOr<FhirResult> rejected = SearchPatients(NewClient(*wrong));
  EXPECT_EQ(rejected.status().code(), StatusCode::kUnauthenticated);
  auto basic = NewBasicAuth("bone", "w4tch");
  StatusOr<FhirResult> ok = SearchPatients(NewClient(*basic));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(ClientAuthTest, SmartBackendWithRs384Key) {
  KeyPem key = NewRsaKey();
  server().SetAuthSmart({{"bw-rsa", key.public_pem, "RS384"}}, 300);
  auto auth = NewSmart("bw-rsa", key.private_pem, "RS384");
  Client client = NewClient(*auth);
  ASSERT_TRUE(SearchPatients(client).ok());
  StatusOr<FhirResult> created = client.Create(Json::Object().Set("resourceType", "Patient"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(server().TokenRequestCount(), 1);  // the token is cached
}

TEST_F(ClientAuthTest, SmartBackendWithEs384Key) {
  KeyPem key = NewEcKey();
  server().SetAuthSmart({{"bw-ec", key.public_pem, "ES384"}}, 300);
  auto auth = NewSmart("bw-ec", key.private_pem, "ES384");
  Client client = NewClient(*auth);
  // Several fresh assertions, so that a badly padded signature (1 in ~128) would show up as a
  // flaky failure here and deterministically in the unit test.
  for (int i = 0; i < 5; ++i) {
    StatusOr<FhirResult> result = SearchPatients(client);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_TRUE(auth->RefreshAfterUnauthorized());
  }
  EXPECT_EQ(server().TokenRequestCount(), 5);
}

TEST_F(ClientAuthTest, SmartTokenIsRefreshedAfterItExpires) {
  KeyPem key = NewEcKey();
  server().SetAuthSmart({{"bw-ec", key.public_pem, "ES384"}}, 2);
  auto auth = NewSmart("bw-ec", key.private_pem, "ES384");
  Client client = NewClient(*auth);
  ASSERT_TRUE(SearchPatients(client).ok());
  ASSERT_TRUE(SearchPatients(client).ok());
  EXPECT_EQ(server().TokenRequestCount(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  int requests_before = server().RequestCount();
  StatusOr<FhirResult> later = SearchPatients(client);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(server().TokenRequestCount(), 2);
  EXPECT_EQ(server().RequestCount() - requests_before, 1);  // renewed before sending: no 401
}

// The provider's clock lags, so it believes an expired token is still good; the server's 401
// makes the client refresh once and retry once.
TEST_F(ClientAuthTest, UnauthorizedAnswerRefreshesTheTokenAndRetriesOnce) {
  KeyPem key = NewRsaKey();
  server().SetAuthSmart({{"bw-rsa", key.public_pem, "RS384"}}, 1);
  const auto frozen = std::chrono::system_clock::now();
  auto auth = NewSmart("bw-rsa", key.private_pem, "RS384", [frozen] { return frozen; });
  Client client = NewClient(*auth);
  ASSERT_TRUE(SearchPatients(client).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  int requests_before = server().RequestCount();
  StatusOr<FhirResult> later = SearchPatients(client);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(server().TokenRequestCount(), 2);
  EXPECT_EQ(server().RequestCount() - requests_before, 2);  // the 401, then the retry
  EXPECT_EQ(last_.attempts, 2);
}

TEST_F(ClientAuthTest, WrongKeyIsRejectedWithAClearError) {
  KeyPem registered = NewRsaKey();
  KeyPem other = NewRsaKey();
  server().SetAuthSmart({{"bw-rsa", registered.public_pem, "RS384"}}, 300);
  auto auth = NewSmart("bw-rsa", other.private_pem, "RS384");
  Client client = NewClient(*auth);
  StatusOr<FhirResult> result = SearchPatients(client);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
  const std::string message = result.status().message();
  EXPECT_NE(message.find("invalid_client: Signature verification failed"), std::string::npos)
      << message;
  EXPECT_NE(message.find("client_id bw-rsa"), std::string::npos) << message;
  EXPECT_EQ(message.find("PRIVATE KEY"), std::string::npos);
  // Only the SMART discovery GET reached /fhir: the search was never sent without a token.
  EXPECT_EQ(server().RequestCount(), 1);
}

TEST_F(ClientAuthTest, UnknownClientIsRejected) {
  KeyPem key = NewEcKey();
  server().SetAuthSmart({{"someone-else", key.public_pem, "ES384"}}, 300);
  auto auth = NewSmart("bw-ec", key.private_pem, "ES384");
  StatusOr<FhirResult> result = SearchPatients(NewClient(*auth));
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
}

constexpr char kSecret[] = "cl1ent:s3cret/+%";

TEST_F(ClientAuthTest, ClientSecretBasicAndPostAreAcceptedAndCached) {
  // Each client may use only its own method, so a success proves which one was sent.
  server().SetAuthClientSecret({{"bw-basic", kSecret, {"client_secret_basic"}},
                                {"bw-post", kSecret, {"client_secret_post"}}},
                               300);
  for (const auto& [client_id, method] :
       {std::pair{"bw-basic", "client_secret_basic"}, std::pair{"bw-post", "client_secret_post"}}) {
    SCOPED_TRACE(method);
    const int tokens_before = server().TokenRequestCount();
    auto auth = NewClientSecret(client_id, kSecret, method);
    Client client = NewClient(*auth);
    ASSERT_TRUE(SearchPatients(client).ok());
    StatusOr<FhirResult> created = client.Create(Json::Object().Set("resourceType", "Patient"));
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_EQ(server().TokenRequestCount() - tokens_before, 1);  // the token is cached
  }
  // The wrong method for the client is refused by the server.
  auto wrong_method = NewClientSecret("bw-post", kSecret, "client_secret_basic");
  EXPECT_EQ(SearchPatients(NewClient(*wrong_method)).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(ClientAuthTest, ClientSecretTokenIsRenewedAfterItExpires) {
  server().SetAuthClientSecret({{"bw", kSecret, {}}}, 1);
  auto auth = NewClientSecret("bw", kSecret, "client_secret_basic");
  Client client = NewClient(*auth);
  ASSERT_TRUE(SearchPatients(client).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_TRUE(SearchPatients(client).ok());
  EXPECT_EQ(server().TokenRequestCount(), 2);
  EXPECT_EQ(server().UnauthorizedCount(), 0);  // renewed before sending
}

// Medplum forgets every token when its Redis restarts: the next request gets a 401, and the
// client fetches a new token and retries that request once.
TEST_F(ClientAuthTest, ClientSecretSurvivesEveryTokenBeingRevoked) {
  server().SetAuthClientSecret({{"bw", kSecret, {}}}, 3600);
  auto auth = NewClientSecret("bw", kSecret, "client_secret_post");
  Client client = NewClient(*auth);
  ASSERT_TRUE(SearchPatients(client).ok());
  EXPECT_EQ(server().RevokeAllTokens(), 1);
  const int requests_before = server().RequestCount();
  StatusOr<FhirResult> after = SearchPatients(client);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(server().TokenRequestCount(), 2);
  EXPECT_EQ(server().UnauthorizedCount(), 1);
  EXPECT_EQ(server().RequestCount() - requests_before, 2);  // the 401, then the retry
  EXPECT_EQ(last_.attempts, 2);
}

TEST_F(ClientAuthTest, WrongClientSecretIsRejectedWithoutEchoingIt) {
  server().SetAuthClientSecret({{"bw", kSecret, {}}}, 300);
  const std::string wrong = "wrong-s3cret-value";
  for (const char* method : {"client_secret_basic", "client_secret_post"}) {
    SCOPED_TRACE(method);
    auto auth = NewClientSecret("bw", wrong, method);
    StatusOr<FhirResult> result = SearchPatients(NewClient(*auth));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
    const std::string message = result.status().message();
    EXPECT_NE(message.find("invalid_client: Invalid client secret"), std::string::npos) << message;
    EXPECT_NE(message.find("client_id bw"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
  EXPECT_EQ(server().UnauthorizedCount(), 0);  // no FHIR request went out without a token
}

}  // namespace
}  // namespace bonewatch::fhir
