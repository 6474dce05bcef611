// The notification endpoint's transport and access checks: the CIDR allow-list (IPv4, IPv6,
// IPv4-mapped), loopback detection, the bearer-token check, and NotificationServer over HTTPS
// with a self-signed certificate made at test time (plain HTTP to the TLS port fails), 401 for a
// bad bearer and 403 for a denied address, each counted in
// bonewatch_notifications_received_total{result=...}.
#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "deploy_test_util.h"
#include "ingest_server.h"
#include "ingest_server_access.h"
#include "metrics.h"
#include "store.h"

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;
using namespace bonewatch::deploy_testing;  // NOLINT(google-build-using-namespace): test helpers

constexpr char kReceived[] = "bonewatch_notifications_received_total";
constexpr char kObservation[] =
    R"({"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}})";

Poco::Net::IPAddress Ip(const std::string& text) { return Poco::Net::IPAddress(text); }

ClientAllowList MustParse(const std::vector<std::string>& entries) {
  auto list = ClientAllowList::Parse(entries);
  EXPECT_TRUE(list.ok()) << list.status().message();
  return list.ok() ? *list : ClientAllowList();
}

TEST(ClientAllowList, EmptyAllowsEveryAddress) {
  const ClientAllowList list;
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(list.Allows(Ip("203.0.113.9")));
  EXPECT_TRUE(list.Allows(Ip("2001:db8::1")));
}

TEST(ClientAllowList, Ipv4RangesHaveBoundariesOnBothSides) {
  const ClientAllowList list = MustParse({"10.20.0.0/16", "192.0.2.7"});
  EXPECT_FALSE(list.Allows(Ip("10.19.255.255")));
  EXPECT_TRUE(list.Allows(Ip("10.20.0.0")));
  EXPECT_TRUE(list.Allows(Ip("10.20.255.255")));
  EXPECT_FALSE(list.Allows(Ip("10.21.0.0")));
  EXPECT_TRUE(list.Allows(Ip("192.0.2.7")));  // a single address is a /32
  EXPECT_FALSE(list.Allows(Ip("192.0.2.8")));
  EXPECT_FALSE(list.Allows(Ip("2001:db8::1")));  // IPv4 ranges never match IPv6
}

TEST(ClientAllowList, OddPrefixesAndZero) {
  const ClientAllowList list = MustParse({"172.16.0.0/12"});
  EXPECT_TRUE(list.Allows(Ip("172.31.255.255")));
  EXPECT_FALSE(list.Allows(Ip("172.32.0.0")));
  EXPECT_FALSE(list.Allows(Ip("172.15.255.255")));
  EXPECT_TRUE(MustParse({"0.0.0.0/0"}).Allows(Ip("198.51.100.1")));
}

TEST(ClientAllowList, Ipv6RangesAndMappedIpv4) {
  const ClientAllowList list = MustParse({"fd00:20::/64", "::1", "10.0.0.0/8"});
  EXPECT_TRUE(list.Allows(Ip("fd00:20::5")));
  EXPECT_TRUE(list.Allows(Ip("fd00:20::ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(list.Allows(Ip("fd00:20:0:1::")));
  EXPECT_TRUE(list.Allows(Ip("::1")));
  EXPECT_FALSE(list.Allows(Ip("::2")));
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
  EXPECT_TRUE(list.Allows(Ip("::ffff:10.1.2.3")));
  EXPECT_FALSE(list.Allows(Ip("::ffff:11.1.2.3")));
}

TEST(ClientAllowList, RejectsWhatIsNotACidr) {
  for (const char* bad :
       {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
        "fhir.hospital.example", "10.0.0", "10.1", "10.0.0.256", "010.0.0.0.0", ""}) {
    auto list = ClientAllowList::Parse({bad});
    EXPECT_FALSE(list.ok()) << bad;
    if (!list.ok()) {
      EXPECT_THAT(list.status().message(), HasSubstr(std::string("'") + bad + "'"));
    }
  }
  // Host bits beyond the prefix: a typo, not a range.
  auto host_bits = ClientAllowList::Parse({"10.1.2.3/8"});
  ASSERT_FALSE(host_bits.ok());
  EXPECT_THAT(host_bits.status().message(), HasSubstr("beyond the /8 prefix"));
  EXPECT_FALSE(ClientAllowList::Parse({"fd00::1/64"}).ok());
}

TEST(ListenAddress, LoopbackIsOnlyWhatNoOtherHostReaches) {
  for (const char* loopback : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(loopback)) << loopback;
  }
  for (const char* open : {"0.0.0.0", "::", "10.0.0.5", "bonewatch.internal", "", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackListenAddress(open)) << open;
  }
}

TEST(BearerToken, SchemeIsCaseInsensitiveTokenIsExact) {
  EXPECT_TRUE(BearerTokenMatches("Bearer tok-123", "tok-123"));
  EXPECT_TRUE(BearerTokenMatches("bearer tok-123", "tok-123"));
  EXPECT_TRUE(BearerTokenMatches("BEARER  tok-123 ", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("Bearer tok-124", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("Bearer tok-1234", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("Bearer TOK-123", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("Basic tok-123", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("tok-123", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("", "tok-123"));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", ""));  // nothing configured never matches
}

class NotifySecurityTest : public ::testing::Test {
 protected:
  Status StartServer(Config::Notifications config) {
    if (config.listen_address.empty()) config.listen_address = "127.0.0.1";
    config.port = 0;
    NotificationServerDeps deps;
    deps.store = store_.get();
    deps.metrics = &metrics_;
    deps.logger = &logger_;
    deps.clock = &clock_;
    server_ = std::make_unique<NotificationServer>(config, std::move(deps));
    return server_->Start();
  }
  std::string Url(const std::string& scheme, const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(server_->port()) + "/fhir/notify";
  }
  double Received(const std::string& result) const {
    return metrics_.Value(kReceived, {{"result", result}});
  }
  uint64_t Depth() const { return store_->InboxDepth().value_or(0); }

  TempDir dir_;
  std::unique_ptr<Store> store_ = NewMemoryStore();
  Metrics metrics_;
  std::ostringstream log_;
  SystemClock clock_;
  Logger logger_{LogFormat::kText, LogLevel::kDebug, clock_, &log_};
  std::unique_ptr<NotificationServer> server_;
};

TEST_F(NotifySecurityTest, HttpsDeliversAndPlainHttpToTheTlsPortFails) {
  const TlsFiles tls = MakeSelfSignedCertificate(dir_.path());
  Config::Notifications config;
  config.tls_cert_file = tls.cert;
  config.tls_key_file = tls.key;
  ASSERT_TRUE(StartServer(config).ok());

  const HttpAnswer https =
      Http("POST", Url("https"), kObservation, {"Content-Type: application/fhir+json"}, tls.cert);
  EXPECT_EQ(https.status, 200) << https.error << https.body;
  EXPECT_EQ(Received("stored"), 1);
  EXPECT_EQ(Depth(), 1u);

  const HttpAnswer plain =
      Http("POST", Url("http"), kObservation, {"Content-Type: application/fhir+json"});
  EXPECT_EQ(plain.status, 0) << "plain HTTP must not be answered: " << plain.body;
  EXPECT_EQ(Depth(), 1u);

  // The client checks the certificate: one that trusts another CA refuses the connection.
  std::filesystem::create_directories(dir_ / "other");
  const TlsFiles other = MakeSelfSignedCertificate(dir_ / "other");
  const HttpAnswer untrusted =
      Http("POST", Url("https"), kObservation, {"Content-Type: application/fhir+json"}, other.cert);
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_THAT(untrusted.error, HasSubstr("certificate"));
  // The server is still serving after the failed handshakes.
  EXPECT_EQ(Http("POST", Url("https", "localhost"), kObservation,
                 {"Content-Type: application/fhir+json"}, tls.cert)
                .status,
            200);
  EXPECT_EQ(Depth(), 2u);
}

// Issue 13 item 8 over HTTPS: connections that never start or never finish their TLS handshake
// hold no worker (a notification is served while they are open) and are closed after the header
// time-out.
TEST_F(NotifySecurityTest, HttpsIdleAndStalledHandshakesDoNotBlockAndTimeOut) {
  const TlsFiles tls = MakeSelfSignedCertificate(dir_.path());
  Config::Notifications config;
  config.tls_cert_file = tls.cert;
  config.tls_key_file = tls.key;
  config.header_timeout_seconds = 2;
  ASSERT_TRUE(StartServer(config).ok());
  constexpr int kIdle = 200;
  std::vector<Poco::Net::StreamSocket> idle(kIdle);
  for (int i = 0; i < kIdle; ++i) {
    idle[static_cast<size_t>(i)].connect(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(server_->port())));
    // Half begin a TLS record (handshake, TLS 1.0 header) and stop there.
    if (i % 2 == 1) idle[static_cast<size_t>(i)].sendBytes("\x16\x03\x01\x00", 4);
  }
  const HttpAnswer https =
      Http("POST", Url("https"), kObservation, {"Content-Type: application/fhir+json"}, tls.cert);
  EXPECT_EQ(https.status, 200) << https.error << https.body;
  EXPECT_EQ(Depth(), 1u);

  const auto closed = [](Poco::Net::StreamSocket& socket) {
    try {
      if (!socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ)) return false;
      char c = 0;
      return socket.receiveBytes(&c, 1) <= 0;
    } catch (const Poco::Exception&) {
      return true;  // reset
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int open = kIdle;
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    open = 0;
    for (Poco::Net::StreamSocket& socket : idle) open += closed(socket) ? 0 : 1;
  }
  EXPECT_EQ(open, 0) << "connections still open 10 s after a 2 s header time-out";
  EXPECT_GE(metrics_.Value("bonewatch_notification_connections_closed_total",
                           {{"reason", "header_timeout"}}),
            kIdle);
}

TEST_F(NotifySecurityTest, TlsRefusesVersionsBeforeTls12) {
  const TlsFiles tls = MakeSelfSignedCertificate(dir_.path());
  Config::Notifications config;
  config.tls_cert_file = tls.cert;
  config.tls_key_file = tls.key;
  ASSERT_TRUE(StartServer(config).ok());
  const std::string connect = "127.0.0.1:" + std::to_string(server_->port());
  const CommandResult tls12 = RunShell("openssl s_client -connect " + connect +
                                       " -tls1_2 -CAfile " + Quote(tls.cert) + " </dev/null");
  EXPECT_EQ(tls12.status, 0) << tls12.output;
  // The client is allowed to offer TLS 1.1 (SECLEVEL=0); the server must refuse it.
  const CommandResult tls11 = RunShell("openssl s_client -connect " + connect +
                                       " -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null");
  EXPECT_NE(tls11.status, 0) << tls11.output;
}

TEST_F(NotifySecurityTest, UnloadableTlsFilesAreAConfigurationError) {
  WriteFile(dir_ / "garbage.crt", "not a certificate\n");
  WriteFile(dir_ / "garbage.key", "not a key\n");
  Config::Notifications config;
  config.tls_cert_file = dir_ / "garbage.crt";
  config.tls_key_file = dir_ / "garbage.key";
  const Status started = StartServer(config);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(started.message(), HasSubstr("garbage.crt"));

  // A key that does not belong to the certificate.
  const TlsFiles a = MakeSelfSignedCertificate(dir_.path());
  std::filesystem::create_directories(dir_ / "other");
  const TlsFiles b = MakeSelfSignedCertificate(dir_ / "other");
  config.tls_cert_file = a.cert;
  config.tls_key_file = b.key;
  EXPECT_EQ(StartServer(config).code(), StatusCode::kInvalidArgument);
}

TEST_F(NotifySecurityTest, BearerTokenIsRequiredWhenConfigured) {
  Config::Notifications config;
  config.bearer_token = "tok-123";
  ASSERT_TRUE(StartServer(config).ok());
  const HttpAnswer missing =
      Http("POST", Url("http"), kObservation, {"Content-Type: application/fhir+json"});
  EXPECT_EQ(missing.status, 401);
  ASSERT_EQ(missing.headers.count("www-authenticate"), 1u);
  EXPECT_EQ(missing.headers.at("www-authenticate"), "Bearer");
  const HttpAnswer wrong = Http("POST", Url("http"), kObservation,
                                {"Content-Type: application/fhir+json", "Authorization: Bearer x"});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_THAT(wrong.body, HasSubstr("bearer"));
  EXPECT_EQ(Received("unauthorized"), 2);
  EXPECT_EQ(Depth(), 0u);
  const HttpAnswer right =
      Http("POST", Url("http"), kObservation,
           {"Content-Type: application/fhir+json", "Authorization: Bearer tok-123"});
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(Received("stored"), 1);
}

TEST_F(NotifySecurityTest, BearerAndSharedSecretMustBothPass) {
  Config::Notifications config;
  config.bearer_token = "tok-123";
  config.shared_secret = "s3cret";
  ASSERT_TRUE(StartServer(config).ok());
  EXPECT_EQ(Http("POST", Url("http"), kObservation,
                 {"Content-Type: application/fhir+json", "Authorization: Bearer tok-123"})
                .status,
            401);
  EXPECT_EQ(Http("POST", Url("http"), kObservation,
                 {"Content-Type: application/fhir+json", "x-bonewatch-secret: s3cret"})
                .status,
            401);
  EXPECT_EQ(Http("POST", Url("http"), kObservation,
                 {"Content-Type: application/fhir+json", "x-bonewatch-secret: s3cret",
                  "Authorization: Bearer tok-123"})
                .status,
            200);
}

TEST_F(NotifySecurityTest, DeniedAddressGets403BeforeAnythingElse) {
  Config::Notifications config;
  config.allowed_clients = {"10.0.0.0/8", "fd00::/8"};
  config.bearer_token = "tok-123";
  ASSERT_TRUE(StartServer(config).ok());
  // Even with the right token, and even for an unknown path or method.
  const HttpAnswer denied =
      Http("POST", Url("http"), kObservation,
           {"Content-Type: application/fhir+json", "Authorization: Bearer tok-123"});
  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.body, HasSubstr("forbidden"));
  EXPECT_EQ(
      Http("GET", "http://127.0.0.1:" + std::to_string(server_->port()) + "/other", "", {}).status,
      403);
  EXPECT_EQ(Received("forbidden"), 2);
  EXPECT_EQ(Received("not_found"), 0);
  EXPECT_EQ(Depth(), 0u);
}

TEST_F(NotifySecurityTest, AllowedAddressIsServedIpv4AndIpv6) {
  Config::Notifications config;
  config.allowed_clients = {"127.0.0.0/8"};
  ASSERT_TRUE(StartServer(config).ok());
  EXPECT_EQ(Http("POST", Url("http"), kObservation, {"Content-Type: application/fhir+json"}).status,
            200);

  Config::Notifications v6;
  v6.listen_address = "::1";
  v6.allowed_clients = {"::1/128"};
  ASSERT_TRUE(StartServer(v6).ok());
  EXPECT_EQ(
      Http("POST", Url("http", "[::1]"), kObservation, {"Content-Type: application/fhir+json"})
          .status,
      200);
  Config::Notifications v6_denied = v6;
  v6_denied.allowed_clients = {"fd00::/8", "127.0.0.0/8"};
  ASSERT_TRUE(StartServer(v6_denied).ok());
  EXPECT_EQ(
      Http("POST", Url("http", "[::1]"), kObservation, {"Content-Type: application/fhir+json"})
          .status,
      403);
}

TEST_F(NotifySecurityTest, InvalidAllowListIsAConfigurationError) {
  Config::Notifications config;
  config.allowed_clients = {"10.0.0.0/40"};
  const Status started = StartServer(config);
  EXPECT_EQ(started.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(started.message(), HasSubstr("10.0.0.0/40"));
}

}  // namespace
}  // namespace bonewatch::adapter
