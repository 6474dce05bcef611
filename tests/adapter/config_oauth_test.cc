// The "client-credentials" auth keys (fhir.oauth*): requirements, the secret from a file or the
// environment (the environment wins), the client authentication method, and the secret never in
// a message or in `bonewatch check-config` output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cli.h"
#include "config.h"

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Env = std::map<std::string, std::string>;

constexpr char kSecret[] = "oauth-s3cret-value";

std::string ConfigText(const std::string& fhir_extra) {
  return R"({"fhir":{"baseUrl":"http://fhir.test/R4","auth":"client-credentials")" + fhir_extra +
         R"(},"subscriptions":{"enabled":false}})";
}

class ConfigOAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bonewatch-config-oauth-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) const {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigOAuthTest, DefaultsAndEveryKey) {
  auto defaults = ParseConfig(
      R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false}})", "bw.json", {});
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ((*defaults)->fhir.oauth_client_auth_method, "client_secret_basic");
  EXPECT_EQ((*defaults)->fhir.oauth_scope, "");
  EXPECT_EQ((*defaults)->fhir.oauth_token_endpoint, "");

  Write("secret", std::string(kSecret) + "\n");
  const std::string path =
      Write("bw.json", ConfigText(R"(,"oauthClientId":"bonewatch","oauthClientSecretFile":"secret",
          "oauthTokenEndpoint":"https://auth.test/oauth2/token",
          "oauthClientAuthMethod":"client_secret_post","oauthScope":"system/*.rs")"));
  auto c = LoadConfig(path, {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  const Config::Fhir& f = (*c)->fhir;
  EXPECT_EQ(f.auth, "client-credentials");
  EXPECT_EQ(f.oauth_client_id, "bonewatch");
  EXPECT_EQ(f.oauth_client_secret, kSecret);  // read from the file, newline trimmed
  EXPECT_EQ(f.oauth_token_endpoint, "https://auth.test/oauth2/token");
  EXPECT_EQ(f.oauth_client_auth_method, "client_secret_post");
  EXPECT_EQ(f.oauth_scope, "system/*.rs");
}

TEST_F(ConfigOAuthTest, NeedsAClientIdAndASecret) {
  auto missing = ParseConfig(ConfigText(""), "bw.json", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(
      missing.status().message(),
      HasSubstr("bw.json: fhir.oauthClientId: auth 'client-credentials' needs a client id"));
  EXPECT_THAT(missing.status().message(),
              HasSubstr("bw.json: fhir.oauthClientSecretFile: auth 'client-credentials' needs a "
                        "client secret (fhir.oauthClientSecretFile or "
                        "BONEWATCH_OAUTH_CLIENT_SECRET)"));
  // Both from the environment.
  auto env = ParseConfig(
      ConfigText(""), "bw.json",
      {{"BONEWATCH_OAUTH_CLIENT_ID", "bw"}, {"BONEWATCH_OAUTH_CLIENT_SECRET", kSecret}});
  ASSERT_TRUE(env.ok()) << env.status().message();
  EXPECT_EQ((*env)->fhir.oauth_client_id, "bw");
  EXPECT_EQ((*env)->fhir.oauth_client_secret, kSecret);
  // An empty secret file is an error that names the file, not a silent empty secret.
  Write("empty", "\n");
  auto empty = LoadConfig(
      Write("bw.json", ConfigText(R"(,"oauthClientId":"bw","oauthClientSecretFile":"empty")")), {});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("fhir.oauthClientSecretFile: the file"));
}

TEST_F(ConfigOAuthTest, EnvironmentWinsOverTheSecretFile) {
  Write("secret", "file-secret\n");
  const std::string path =
      Write("bw.json", ConfigText(R"(,"oauthClientId":"bw","oauthClientSecretFile":"secret")"));
  auto c = LoadConfig(path, {{"BONEWATCH_OAUTH_CLIENT_SECRET", kSecret}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->fhir.oauth_client_secret, kSecret);
  // With the variable set the file is not read at all, so a missing one is no error.
  const std::string unread = Write(
      "unread.json", ConfigText(R"(,"oauthClientId":"bw","oauthClientSecretFile":"nowhere")"));
  EXPECT_TRUE(LoadConfig(unread, {{"BONEWATCH_OAUTH_CLIENT_SECRET", kSecret}}).ok());
  // An empty variable counts as unset: the file is used.
  auto empty_env = LoadConfig(path, {{"BONEWATCH_OAUTH_CLIENT_SECRET", ""}});
  ASSERT_TRUE(empty_env.ok()) << empty_env.status().message();
  EXPECT_EQ((*empty_env)->fhir.oauth_client_secret, "file-secret");
}

TEST_F(ConfigOAuthTest, UnknownMethodIsRejectedWithoutEchoingTheSecret) {
  auto c =
      ParseConfig(ConfigText(R"(,"oauthClientId":"bw","oauthClientAuthMethod":"private_key_jwt",
                                     "oauthTokenEndpoint":"ftp://x")"),
                  "bw.json", {{"BONEWATCH_OAUTH_CLIENT_SECRET", kSecret}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("bw.json: fhir.oauthClientAuthMethod: must be one of "
                                              "client_secret_basic|client_secret_post"));
  EXPECT_THAT(c.status().message(), HasSubstr("fhir.oauthTokenEndpoint"));
  EXPECT_THAT(c.status().message(), Not(HasSubstr(kSecret)));
}

// `bonewatch check-config` in process, with the secret in this process's environment.
int CheckConfig(const std::string& path, std::string* out, std::string* err) {
  std::vector<std::string> args = {"bonewatch", "check-config", "--config", path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ::setenv("BONEWATCH_OAUTH_CLIENT_SECRET", kSecret, 1);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = RunCli(static_cast<int>(argv.size()), argv.data());
  *out = ::testing::internal::GetCapturedStdout();
  *err = ::testing::internal::GetCapturedStderr();
  ::unsetenv("BONEWATCH_OAUTH_CLIENT_SECRET");
  return rc;
}

TEST_F(ConfigOAuthTest, CheckConfigNeverPrintsTheSecret) {
  std::string out, err;
  const std::string good = Write("good.json", ConfigText(R"(,"oauthClientId":"bw")"));
  EXPECT_EQ(CheckConfig(good, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("good.json: OK"));
  EXPECT_THAT(out + err, Not(HasSubstr(kSecret)));
  const std::string bad =
      Write("bad.json", ConfigText(R"(,"oauthClientId":"bw","oauthClientAuthMethod":"nope")"));
  EXPECT_EQ(CheckConfig(bad, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("fhir.oauthClientAuthMethod"));
  EXPECT_THAT(out + err, Not(HasSubstr(kSecret)));
}

}  // namespace
}  // namespace bonewatch::adapter
