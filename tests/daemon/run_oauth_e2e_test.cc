// End to end: the built `bonewatch run` binary authenticates to tests/fhir-server with an OAuth2
// client secret ("client-credentials", both client authentication methods), renews its
// short-lived token before expiry, survives every token being revoked mid-run (as when Medplum's
// Redis restarts: 401 -> new token -> one retry) and still converges, with the secret never in its
// log (which is at debug level here).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "bonewatch/fhir/json.h"
#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

using fhir::Json;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "e2e-oauth-s3cret:value";
constexpr char kTesterSecret[] = "tester-secret";
constexpr int kTokenLifetimeSeconds = 6;

class RunOAuthE2eTest : public DaemonE2eTest, public ::testing::WithParamInterface<const char*> {
 protected:
  // A fresh token for the test itself (client "tester", client_secret_post); "" on failure.
  std::string TesterToken() {
    auto answer =
        server().Raw("POST", "/auth/token",
                     std::string("grant_type=client_credentials&client_id=tester&client_secret=") +
                         kTesterSecret,
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
    auto body = Json::Parse(answer.body);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return body.ok() ? body->GetString("access_token").value_or("") : "";
  }
  void AuthorizedPut(const std::string& type, const std::string& id, const std::string& json) {
    auto answer = server().Raw(
        "PUT", "/fhir/" + type + "/" + id, json,
        {{"Content-Type", "application/fhir+json"}, {"Authorization", "Bearer " + TesterToken()}});
    ASSERT_TRUE(answer.status == 200 || answer.status == 201) << answer.status << answer.body;
  }
};

TEST_P(RunOAuthE2eTest, ClientSecretAuthSurvivesEveryTokenBeingRevoked) {
  const std::string method = GetParam();
  LoadCohort();  // before auth is switched on
  server().SetAuthClientSecret(
      {{"bonewatch", kSecret, {method}}, {"tester", kTesterSecret, {"client_secret_post"}}},
      kTokenLifetimeSeconds);

  DaemonConfig config = Config();
  config.fhir_extra = R"(, "auth": "client-credentials", "oauthClientId": "bonewatch",
      "oauthClientAuthMethod": ")" +
                      method + R"(")";
  config.env = {{"BONEWATCH_OAUTH_CLIENT_SECRET", kSecret}};
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  WaitConverged(daemon);
  EXPECT_GE(daemon.Metric("bonewatch_writes_total", "type=\"Flag\",result=\"created\""), 2)
      << daemon.Log();

  // The short-lived token is renewed before it expires: a second token, and not one 401.
  ASSERT_TRUE(WaitFor([&] { return server().TokenRequestCount() >= 2; },
                      seconds(3 * kTokenLifetimeSeconds)))
      << daemon.Log();
  EXPECT_EQ(server().UnauthorizedCount(), 0) << daemon.Log();

  // Right after a renewal (the next one is ~5 s away), every token is forgotten.
  const double flags_before =
      daemon.Metric("bonewatch_writes_total", "type=\"Flag\",result=\"created\"");
  EXPECT_GE(server().RevokeAllTokens(), 1);
  AuthorizedPut("Observation", "p3-dxa2", TScoreJson("p3-dxa2", "p3", 1, "-2.9"));

  // The daemon's next request gets a 401, takes a new token, retries, and the new DXA's Flag
  // is written.
  ASSERT_TRUE(WaitFor(
      [&] {
        return daemon.Metric("bonewatch_writes_total", "type=\"Flag\",result=\"created\"") >
               flags_before;
      },
      seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);
  const int unauthorized = server().UnauthorizedCount();
  EXPECT_GE(unauthorized, 1) << "the revoke was not noticed";
  EXPECT_LE(unauthorized, 4) << "one 401 per thread at most, never a loop";
  EXPECT_TRUE(daemon.running());

  server().SetAuthNone();  // to read what was written
  EXPECT_EQ(ActiveFlagRules("p3").count("osteoporosis"), 1u) << daemon.Log();
  EXPECT_EQ(ActiveFlagRules("p2").count("osteoporosis"), 1u);
  EXPECT_EQ(ActiveFlagRules("p1").count("baseline-dxa-missing"), 1u);
  int duplicates = 0;
  WrittenState(&duplicates);
  EXPECT_EQ(duplicates, 0);

  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
  const std::string log = daemon.Log();
  EXPECT_THAT(log, HasSubstr(" DEBUG ")) << "the log was not at debug level";
  EXPECT_THAT(log, Not(HasSubstr(kSecret)));
  EXPECT_THAT(log, Not(HasSubstr("s3cret")));
}

std::string MethodName(const ::testing::TestParamInfo<const char*>& param) { return param.param; }

INSTANTIATE_TEST_SUITE_P(Methods, RunOAuthE2eTest,
                         ::testing::Values("client_secret_basic", "client_secret_post"),
                         MethodName);

}  // namespace
}  // namespace bonewatch::testing
