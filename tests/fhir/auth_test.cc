// Auth providers over a fake transport and a fake clock; client assertion signatures checked
// with Poco::Crypto. The token cache the OAuth2 providers share is tested for each of them in
// oauth_token_cache_test.cc. The real token endpoint is exercised in tests/integration/.
#include "bonewatch/fhir/auth.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/ECDSADigestEngine.h>
#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Signer.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "fake_token_server.h"

namespace bonewatch::fhir {
namespace {

using std::chrono::system_clock;
using ::testing::HasSubstr;
using ::testing::Not;

std::string DecodeBase64Url(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  return std::string(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
}

std::vector<std::string> SplitJws(const std::string& jws) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = jws.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(jws.substr(start, dot - start));
  }
  parts.push_back(jws.substr(start));
  return parts;
}

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

const KeyPem& RsaKey() {
  static const KeyPem pem =
      SavePem(Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE));
  return pem;
}

const KeyPem& EcKey() {
  static const KeyPem pem = SavePem(Poco::Crypto::ECKey("secp384r1"));
  return pem;
}

ClientAssertionClaims Claims() {
  return {"client-1", "http://auth.test/token", "jti-1", system_clock::from_time_t(1'800'000'000)};
}

TEST(StaticAuthTest, BasicAndBearerHeaders) {
  HttpRequest request;
  ASSERT_TRUE(NewBasicAuth("user", "pass")->Authorize(request).ok());
  EXPECT_EQ(request.headers.Get("Authorization"), "Basic dXNlcjpwYXNz");
  ASSERT_TRUE(NewBearerAuth("abc")->Authorize(request).ok());
  EXPECT_EQ(request.headers.Get("Authorization"), "Bearer abc");
  EXPECT_FALSE(NewBearerAuth("abc")->RefreshAfterUnauthorized());
  HttpRequest plain;
  ASSERT_TRUE(NewNoAuth()->Authorize(plain).ok());
  EXPECT_TRUE(plain.headers.empty());
}

TEST(ClientAssertionTest, Rs384CarriesSmartClaimsAndVerifies) {
  StatusOr<std::string> jws = SignClientAssertion(Claims(), RsaKey().private_pem, "RS384", "k1");
  ASSERT_TRUE(jws.ok()) << jws.status().ToString();
  std::vector<std::string> parts = SplitJws(*jws);
  ASSERT_EQ(parts.size(), 3u);
  StatusOr<Json> header = Json::Parse(DecodeBase64Url(parts[0]));
  StatusOr<Json> claims = Json::Parse(DecodeBase64Url(parts[1]));
  ASSERT_TRUE(header.ok() && claims.ok());
  EXPECT_EQ(header->GetString("alg"), "RS384");
  EXPECT_EQ(header->GetString("kid"), "k1");
  EXPECT_EQ(claims->GetString("iss"), "client-1");
  EXPECT_EQ(claims->GetString("sub"), "client-1");
  EXPECT_EQ(claims->GetString("aud"), "http://auth.test/token");
  EXPECT_EQ(claims->GetString("jti"), "jti-1");
  EXPECT_EQ(claims->GetInt64("exp"), 1'800'000'000);  // an integer NumericDate

  std::istringstream pub(RsaKey().public_pem);
  Poco::SharedPtr<Poco::Crypto::RSAKey> key(new Poco::Crypto::RSAKey(&pub));
  Poco::JWT::Signer verifier(key);
  verifier.addAlgorithm("RS384");
  Poco::JWT::Token token;
  EXPECT_TRUE(verifier.tryVerify(*jws, token));
}

// JWS ES384 signatures are raw r||s, 48 bytes each. Signs until a signature whose r or s has a
// leading zero byte has been seen (about 1 in 128), so the padding path is always exercised.
TEST(ClientAssertionTest, Es384SignaturesAre96BytesAndVerify) {
  std::istringstream pub(EcKey().public_pem);
  Poco::Crypto::ECKey key(&pub);
  bool saw_padding = false;
  int signed_count = 0;
  for (; signed_count < 5000 && !saw_padding; ++signed_count) {
    ClientAssertionClaims claims = Claims();
    claims.jwt_id = "jti-" + std::to_string(signed_count);
    StatusOr<std::string> jws = SignClientAssertion(claims, EcKey().private_pem, "ES384", "");
    ASSERT_TRUE(jws.ok()) << jws.status().ToString();
    std::vector<std::string> parts = SplitJws(*jws);
    ASSERT_EQ(parts.size(), 3u);
    std::string raw = DecodeBase64Url(parts[2]);
    ASSERT_EQ(raw.size(), 96u) << "signature " << signed_count;
    saw_padding = raw[0] == '\0' || raw[48] == '\0';
    std::vector<unsigned char> r(raw.begin(), raw.begin() + 48), s(raw.begin() + 48, raw.end());
    Poco::Crypto::ECDSADigestEngine engine(key, "SHA384");
    engine.update(parts[0] + "." + parts[1]);
    ASSERT_TRUE(engine.verify(Poco::Crypto::ECDSASignature(r, s).toDER())) << signed_count;
  }
  EXPECT_TRUE(saw_padding) << "no padded signature in " << signed_count;
}

TEST(ClientAssertionTest, RejectsWrongKeyTypeAndAlgorithm) {
  EXPECT_EQ(SignClientAssertion(Claims(), EcKey().private_pem, "RS384", "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SignClientAssertion(Claims(), RsaKey().private_pem, "ES384", "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SignClientAssertion(Claims(), RsaKey().private_pem, "HS256", "").status().code(),
            StatusCode::kInvalidArgument);
  StatusOr<std::string> garbage = SignClientAssertion(Claims(), "not a pem", "RS384", "");
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  StatusOr<std::string> p256 = SignClientAssertion(
      Claims(), SavePem(Poco::Crypto::ECKey("prime256v1")).private_pem, "ES384", "");
  EXPECT_EQ(p256.status().code(), StatusCode::kInvalidArgument);
}

class SmartAuthTest : public ::testing::Test {
 protected:
  std::unique_ptr<AuthProvider> NewProvider(std::string algorithm = "RS384") {
    SmartBackendOptions options;
    options.fhir_base_url = "http://fhir.test/fhir/";
    options.client_id = "bonewatch";
    options.algorithm = algorithm;
    options.private_key_pem = algorithm == "RS384" ? RsaKey().private_pem : EcKey().private_pem;
    auto provider = NewSmartBackendAuth(options, server_, [this] { return now_; });
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    return provider.ok() ? std::move(*provider) : nullptr;
  }

  testing::FakeTokenServer server_;
  system_clock::time_point now_ = system_clock::from_time_t(1'800'000'000);
};

TEST_F(SmartAuthTest, DiscoversFetchesAndCachesToken) {
  auto provider = NewProvider();
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  EXPECT_EQ(testing::AuthorizationAfterAuthorize(*provider), "Bearer secret-token-1");
  EXPECT_EQ(server_.token_requests, 1);
  ASSERT_EQ(server_.sent.size(), 2u);  // discovery once, token once
  const HttpRequest& token = server_.sent[1];
  EXPECT_EQ(token.method, "POST");
  EXPECT_EQ(token.headers.Get("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_THAT(token.body, HasSubstr("grant_type=client_credentials"));
  EXPECT_THAT(token.body, HasSubstr("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-"
                                    "assertion-type%3Ajwt-bearer"));
  EXPECT_THAT(token.body, HasSubstr("&client_assertion=ey"));
}

TEST_F(SmartAuthTest, EachAssertionHasAFreshJti) {
  auto provider = NewProvider();
  testing::AuthorizationAfterAuthorize(*provider);
  provider->RefreshAfterUnauthorized();
  testing::AuthorizationAfterAuthorize(*provider);
  std::vector<std::string> jtis;
  for (const HttpRequest& r : server_.sent) {
    std::size_t at = r.body.find("client_assertion=");
    if (at == std::string::npos) continue;
    std::vector<std::string> parts = SplitJws(r.body.substr(at + 17));
    StatusOr<Json> claims = Json::Parse(DecodeBase64Url(parts[1]));
    ASSERT_TRUE(claims.ok());
    jtis.push_back(claims->GetString("jti").value_or(""));
    EXPECT_EQ(claims->GetString("aud"), "http://fhir.test/auth/token");
    EXPECT_LE(*claims->GetInt64("exp"), 1'800'000'000 + 300);
  }
  ASSERT_EQ(jtis.size(), 2u);
  EXPECT_NE(jtis[0], jtis[1]);
  EXPECT_EQ(jtis[0].size(), 32u);
}

TEST_F(SmartAuthTest, RejectedAssertionIsUnauthenticatedWithoutSecrets) {
  server_.reject = true;
  auto provider = NewProvider();
  HttpRequest request;
  Status s = provider->Authorize(request);
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(s.message(), HasSubstr("HTTP 401: invalid_client: Signature verification failed"));
  EXPECT_THAT(s.message(), HasSubstr("client_id bonewatch"));
  EXPECT_THAT(s.message(), Not(HasSubstr("ey")));  // no JWT in the message
  EXPECT_THAT(s.message(), Not(HasSubstr("PRIVATE KEY")));
  EXPECT_FALSE(request.headers.Has("Authorization"));
}

TEST_F(SmartAuthTest, ConstructionValidatesOptions) {
  SmartBackendOptions options;
  options.fhir_base_url = "http://fhir.test/fhir";
  options.client_id = "c";
  options.private_key_pem = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n";
  auto bad_key = NewSmartBackendAuth(options, server_);
  EXPECT_EQ(bad_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_key.status().message(), Not(HasSubstr("nope")));
  options.private_key_pem = RsaKey().private_pem;
  options.client_id.clear();
  EXPECT_EQ(NewSmartBackendAuth(options, server_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(server_.sent.empty());
}

}  // namespace
}  // namespace bonewatch::fhir
