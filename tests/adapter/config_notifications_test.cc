// The notification endpoint's configuration: TLS files, the plain-HTTP rule, the authentication
// rule for addresses beyond loopback, allowedClients, the bearer token, and the BONEWATCH_*
// overrides for ports and files that deployments use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "config.h"

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Env = std::map<std::string, std::string>;

// A notifications section, with subscriptions off and everything else minimal.
std::string WithNotifications(const std::string& notifications) {
  return R"({"fhir":{"baseUrl":"http://fhir.test/R4"},"subscriptions":{"enabled":false},)"
         R"("notifications":{)" +
         notifications + "}}";
}

StatusOr<std::shared_ptr<const Config>> Parse(const std::string& text, const Env& env = {}) {
  return ParseConfig(text, "bw.json", env);
}

std::string ErrorOf(const std::string& text, const Env& env = {}) {
  auto c = Parse(text, env);
  EXPECT_FALSE(c.ok()) << text;
  return c.ok() ? "" : c.status().message();
}

class TlsDir {
 public:
  TlsDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("bonewatch-config-tls-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
    std::ofstream(path_ / "tls.crt") << "cert\n";
    std::ofstream(path_ / "tls.key") << "key\n";
  }
  ~TlsDir() { std::filesystem::remove_all(path_); }
  std::string cert() const { return (path_ / "tls.crt").string(); }
  std::string key() const { return (path_ / "tls.key").string(); }

 private:
  std::filesystem::path path_;
};

TEST(ConfigNotifications, DefaultListenAddressIsLoopbackAndPlainHttpIsFine) {
  auto c = Parse(WithNotifications(R"("port": 8090)"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->notifications.listen_address, "127.0.0.1");
  EXPECT_TRUE((*c)->notifications.tls_cert_file.empty());
  EXPECT_FALSE((*c)->notifications.allow_plain_http);
  EXPECT_TRUE((*c)->notifications.allowed_clients.empty());
}

TEST(ConfigNotifications, PlainHttpBeyondLoopbackIsRefused) {
  for (const char* address : {"0.0.0.0", "::", "10.1.2.3", "bonewatch.internal"}) {
    const std::string error = ErrorOf(WithNotifications(std::string(R"("listenAddress":")") +
                                                        address + R"(","sharedSecretFile":"")"),
                                      {{"BONEWATCH_NOTIFY_SECRET", "s"}});
    EXPECT_THAT(error, HasSubstr("bw.json: notifications.listenAddress: '" + std::string(address) +
                                 "' is reachable from other hosts: set notifications.tlsCertFile"))
        << address;
  }
}

TEST(ConfigNotifications, AllowPlainHttpStatesATlsProxyInFront) {
  auto c = Parse(WithNotifications(R"("listenAddress":"0.0.0.0","allowPlainHttp":true)"),
                 {{"BONEWATCH_NOTIFY_SECRET", "s"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE((*c)->notifications.allow_plain_http);
}

TEST(ConfigNotifications, BeyondLoopbackSomeCheckIsRequired) {
  const std::string error =
      ErrorOf(WithNotifications(R"("listenAddress":"0.0.0.0","allowPlainHttp":true)"));
  EXPECT_THAT(error, HasSubstr("configure at least one check (sharedSecretFile, hmacSecretFile, "
                               "bearerTokenFile or allowedClients)"));
  // Each check alone is enough.
  for (const Env& env :
       {Env{{"BONEWATCH_NOTIFY_SECRET", "s"}}, Env{{"BONEWATCH_NOTIFY_HMAC_SECRET", "h"}},
        Env{{"BONEWATCH_NOTIFY_BEARER_TOKEN", "t"}}}) {
    EXPECT_TRUE(
        Parse(WithNotifications(R"("listenAddress":"0.0.0.0","allowPlainHttp":true)"), env).ok())
        << env.begin()->first;
  }
  EXPECT_TRUE(
      Parse(
          WithNotifications(
              R"("listenAddress":"0.0.0.0","allowPlainHttp":true,"allowedClients":["10.0.0.0/8"])"))
          .ok());
  // Loopback needs no check (a local reverse proxy or a test).
  EXPECT_TRUE(Parse(WithNotifications(R"("listenAddress":"127.0.0.1")")).ok());
  // Disabled notifications need nothing.
  EXPECT_TRUE(Parse(R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
                        "notifications":{"enabled":false,"listenAddress":"0.0.0.0"}})")
                  .ok());
}

TEST(ConfigNotifications, TlsFilesGoTogetherExistAndExcludePlainHttp) {
  TlsDir tls;
  auto c = Parse(WithNotifications(R"("listenAddress":"0.0.0.0","tlsCertFile":")" + tls.cert() +
                                   R"(","tlsKeyFile":")" + tls.key() + R"(")"),
                 {{"BONEWATCH_NOTIFY_SECRET", "s"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->notifications.tls_cert_file, tls.cert());
  EXPECT_EQ((*c)->notifications.tls_key_file, tls.key());

  EXPECT_THAT(ErrorOf(WithNotifications(R"("tlsCertFile":")" + tls.cert() + R"(")")),
              HasSubstr("notifications.tlsKeyFile: TLS needs both"));
  EXPECT_THAT(ErrorOf(WithNotifications(R"("tlsCertFile":"/nonexistent/tls.crt",)"
                                        R"("tlsKeyFile":")" +
                                        tls.key() + R"(")")),
              HasSubstr("notifications.tlsCertFile: '/nonexistent/tls.crt' is not a readable"));
  EXPECT_THAT(ErrorOf(WithNotifications(R"("allowPlainHttp":true,"tlsCertFile":")" + tls.cert() +
                                        R"(","tlsKeyFile":")" + tls.key() + R"(")")),
              HasSubstr("notifications.allowPlainHttp: contradicts the TLS files"));
}

TEST(ConfigNotifications, TlsFilesAreRelativeToTheConfigFile) {
  TlsDir tls;
  const std::filesystem::path dir = std::filesystem::path(tls.cert()).parent_path();
  std::ofstream(dir / "bw.json") << WithNotifications(
      R"("tlsCertFile":"tls.crt","tlsKeyFile":"tls.key")");
  auto c = LoadConfig((dir / "bw.json").string(), {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->notifications.tls_cert_file, tls.cert());
}

TEST(ConfigNotifications, AllowedClientsAreCheckedCidrs) {
  auto c = Parse(WithNotifications(R"("allowedClients":["10.20.0.0/16","fd00:20::/64","::1"])"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->notifications.allowed_clients,
            (std::vector<std::string>{"10.20.0.0/16", "fd00:20::/64", "::1"}));
  EXPECT_THAT(ErrorOf(WithNotifications(R"("allowedClients":["10.0.0.0/8","10.1.2.3/8"])")),
              HasSubstr("bw.json: notifications.allowedClients: '10.1.2.3/8': bits set beyond"));
  EXPECT_THAT(ErrorOf(WithNotifications(R"("allowedClients":["fhir.hospital.example"])")),
              HasSubstr("'fhir.hospital.example': not an IPv4 or IPv6 address"));
  EXPECT_THAT(ErrorOf(WithNotifications(R"("allowedClients":"10.0.0.0/8")")),
              HasSubstr("notifications.allowedClients: must be an array of CIDR strings"));
  EXPECT_THAT(ErrorOf(WithNotifications(R"("allowedClients":[10])")),
              HasSubstr("must be an array of CIDR strings"));
}

TEST(ConfigNotifications, BearerTokenFromFileOrEnvironmentNeverInMessages) {
  TlsDir dir;  // any directory with a file
  const std::filesystem::path token = std::filesystem::path(dir.cert()).parent_path() / "token";
  std::ofstream(token) << "tok-from-file\n";
  auto c = Parse(WithNotifications(R"("bearerTokenFile":")" + token.string() + R"(")"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->notifications.bearer_token, "tok-from-file");
  auto e = Parse(WithNotifications(R"("bearerTokenFile":")" + token.string() + R"(")"),
                 {{"BONEWATCH_NOTIFY_BEARER_TOKEN", "tok-from-env"}});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->notifications.bearer_token, "tok-from-env");
  const std::string error = ErrorOf(R"({"fhir":{"baseUrl":"ftp://x"}})",
                                    {{"BONEWATCH_NOTIFY_BEARER_TOKEN", "tok-from-env"}});
  EXPECT_THAT(error, Not(HasSubstr("tok-from")));
}

TEST(ConfigNotifications, PortsAndFilesFromTheEnvironment) {
  TlsDir tls;
  auto c = Parse(WithNotifications(R"("port":8090)"),
                 {{"BONEWATCH_NOTIFY_PORT", "18090"},
                  {"BONEWATCH_OPS_PORT", "19090"},
                  {"BONEWATCH_FHIR_CA_FILE", "/etc/ssl/certs/ca-certificates.crt"},
                  {"BONEWATCH_NOTIFY_TLS_CERT_FILE", tls.cert()},
                  {"BONEWATCH_NOTIFY_TLS_KEY_FILE", tls.key()}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->notifications.port, 18090);
  EXPECT_EQ((*c)->ops.port, 19090);
  EXPECT_EQ((*c)->fhir.ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ((*c)->notifications.tls_cert_file, tls.cert());
  EXPECT_EQ((*c)->notifications.tls_key_file, tls.key());
  for (const char* bad : {"65536", "-1", "80a", "1e3", "99999999999"}) {
    EXPECT_THAT(ErrorOf(WithNotifications(""), {{"BONEWATCH_OPS_PORT", bad}}),
                HasSubstr("environment BONEWATCH_OPS_PORT (ops.port): must be an integer from 0 "
                          "to 65535"))
        << bad;
  }
  // The environment's ports take part in the port-clash rule.
  EXPECT_THAT(ErrorOf(WithNotifications(""),
                      {{"BONEWATCH_NOTIFY_PORT", "9000"}, {"BONEWATCH_OPS_PORT", "9000"}}),
              HasSubstr("ops.port: must differ from notifications.port"));
}

}  // namespace
}  // namespace bonewatch::adapter
