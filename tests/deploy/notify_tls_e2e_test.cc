// Done-when test of issue 7: the built `bonewatch` binary runs with the shipped example
// configuration (deploy/bonewatch.example.json, unchanged) against the test FHIR server, adapted
// only through BONEWATCH_* environment overrides (URL, ports, store path, CA and TLS files made at
// test time, secrets) exactly as a container or systemd deployment adapts it. The server requires
// SMART Backend Services (the example's auth). A notification sent over HTTPS reaches the daemon
// and raises the Flag on the server; plain HTTP to the TLS port gets no answer; the container
// HEALTHCHECK command works; an unloadable certificate exits 78.
#include <Poco/Net/ServerSocket.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "deploy_test_util.h"
#include "test_fhir_server.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX

namespace bonewatch::deploy_testing {
namespace {

using fhir::Json;
using std::chrono::seconds;
using ::testing::HasSubstr;

const std::string kExample = SourcePath("deploy/bonewatch.example.json");
constexpr char kSecret[] = "e2e-notify-secret";

int FreePort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("0.0.0.0", 0));
  return socket.address().port();
}

bool WaitFor(const std::function<bool()>& done, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return done();
}

// `bonewatch run --config deploy/bonewatch.example.json` as a child with extra environment.
class ExampleDaemon {
 public:
  ExampleDaemon(std::map<std::string, std::string> env, std::string log)
      : env_(std::move(env)), log_(std::move(log)) {}
  ~ExampleDaemon() {
    if (pid_ > 0) Stop(SIGKILL, seconds(5));
  }
  ExampleDaemon(const ExampleDaemon&) = delete;
  ExampleDaemon& operator=(const ExampleDaemon&) = delete;

  void Start() {
    std::vector<std::string> entries;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      if (std::strncmp(*e, "BONEWATCH_", 10) != 0) entries.emplace_back(*e);
    }
    for (const auto& [name, value] : env_) entries.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& entry : entries) envp.push_back(entry.data());
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      const char* argv[] = {BONEWATCH_BINARY, "run", "--config", kExample.c_str(), nullptr};
      ::execve(BONEWATCH_BINARY, const_cast<char* const*>(argv), envp.data());
      ::_exit(127);
    }
  }
  // The exit status once exited (WEXITSTATUS, 128+signal), -1 while running or on timeout.
  int WaitExit(seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  int Stop(int signal, seconds timeout) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    return WaitExit(timeout);
  }
  std::string Log() const { return ReadFile(log_); }

 private:
  std::map<std::string, std::string> env_;
  std::string log_;
  pid_t pid_ = -1;
};

class NotifyTlsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server().Reset();
    tls_ = MakeSelfSignedCertificate(dir_.path());
    const CommandResult key =
        RunShell("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " +
                 Quote(dir_ / "smart-key.pem") + " && openssl pkey -in " +
                 Quote(dir_ / "smart-key.pem") + " -pubout -out " + Quote(dir_ / "smart-key.pub"));
    ASSERT_EQ(key.status, 0) << key.output;
    notify_port_ = FreePort();
    ops_port_ = FreePort();
    env_ = {
        {"BONEWATCH_FHIR_BASE_URL", server().base_url()},
        {"BONEWATCH_FHIR_CA_FILE", tls_.cert},  // the example's hospital CA path, moved
        {"BONEWATCH_SMART_PRIVATE_KEY", ReadFile(dir_ / "smart-key.pem")},
        {"BONEWATCH_NOTIFY_SECRET", kSecret},
        {"BONEWATCH_NOTIFY_PORT", std::to_string(notify_port_)},
        {"BONEWATCH_NOTIFY_ENDPOINT", NotifyUrl("https")},
        {"BONEWATCH_NOTIFY_TLS_CERT_FILE", tls_.cert},
        {"BONEWATCH_NOTIFY_TLS_KEY_FILE", tls_.key},
        {"BONEWATCH_OPS_PORT", std::to_string(ops_port_)},
        {"BONEWATCH_STORE_PATH", dir_ / "bonewatch.db"},
    };
  }

  testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }
  std::string NotifyUrl(const std::string& scheme) const {
    return scheme + "://127.0.0.1:" + std::to_string(notify_port_) + "/fhir/notify";
  }
  HttpAnswer Ops(const std::string& path) const {
    return Http("GET", "http://127.0.0.1:" + std::to_string(ops_port_) + path, "", {});
  }
  double Metric(const std::string& name, const std::string& labels = "") const {
    return MetricValue(Ops("/metrics").body, name, labels);
  }
  bool Converged() const {
    auto status = Json::Parse(Ops("/status").body);
    return status.ok() && status->GetBool("converged").value_or(false) &&
           status->Find("inbox") != nullptr && status->Find("inbox")->AsDouble() == 0;
  }
  void WaitConverged(ExampleDaemon& daemon) {
    int stable = 0;
    ASSERT_TRUE(WaitFor([&] { return (stable = Converged() ? stable + 1 : 0) >= 3; }, seconds(60)))
        << daemon.Log();
  }
  void Put(const std::string& type, const std::string& id, const std::string& json) {
    auto answer = server().Raw("PUT", "/fhir/" + type + "/" + id, json,
                               {{"Content-Type", "application/fhir+json"}});
    ASSERT_TRUE(answer.status == 200 || answer.status == 201) << answer.status << answer.body;
  }
  std::set<std::string> ActiveFlagRules(const std::string& patient) {
    std::set<std::string> rules;
    auto bundle = Json::Parse(server().Raw("GET", "/fhir/Flag?subject=Patient/" + patient).body);
    const Json* entries = bundle.ok() ? bundle->Find("entry") : nullptr;
    if (entries == nullptr) return rules;
    for (const Json& e : entries->elements()) {
      const Json* flag = e.Find("resource");
      if (flag == nullptr || flag->GetString("status").value_or("") != "active") continue;
      const Json* coding = flag->At({"code", "coding"});
      if (coding != nullptr && coding->is_array() && !coding->elements().empty()) {
        rules.insert(coding->elements()[0].GetString("code").value_or(""));
      }
    }
    return rules;
  }

  TempDir dir_;
  TlsFiles tls_;
  int notify_port_ = 0;
  int ops_port_ = 0;
  std::map<std::string, std::string> env_;
};

std::string Date(int days_ago) {
  const auto d = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now() -
                                                       std::chrono::hours(24 * days_ago));
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string TScore(const std::string& id, int days_ago, const std::string& value) {
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},)"
         R"("subject":{"reference":"Patient/p3"},"effectiveDateTime":")" +
         Date(days_ago) + R"(","valueQuantity":{"value":)" + value +
         R"(,"unit":"{T-score}","system":"http://unitsofmeasure.org","code":"{T-score}"}})";
}

TEST_F(NotifyTlsE2eTest, ExampleConfigReceivesANotificationOverHttps) {
  // An aromatase-inhibitor patient with a normal DXA: no osteoporosis Flag yet.
  Put("Patient", "p3",
      R"({"resourceType":"Patient","id":"p3","gender":"female","birthDate":"1966-03-01"})");
  Put("MedicationStatement", "p3-ai",
      R"({"resourceType":"MedicationStatement","id":"p3-ai","status":"active",)"
      R"("medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},)"
      R"("subject":{"reference":"Patient/p3"},"effectiveDateTime":")" +
          Date(20) + R"("})");
  Put("Observation", "p3-dxa", TScore("p3-dxa", 25, "-0.4"));
  // From here on the FHIR server answers only SMART Backend Services clients (the example's auth).
  server().SetAuthSmart({{"bonewatch", ReadFile(dir_ / "smart-key.pub"), "RS384"}}, 300);

  ExampleDaemon daemon(env_, dir_ / "daemon.log");
  daemon.Start();
  ASSERT_TRUE(WaitFor([&] { return Ops("/readyz").status == 200; }, seconds(30))) << daemon.Log();
  WaitConverged(daemon);
  EXPECT_GE(server().TokenRequestCount(), 1);

  // Plain HTTP to the TLS port: no HTTP answer at all, nothing stored.
  const std::string dxa = TScore("p3-dxa2", 1, "-2.9");
  const HttpAnswer plain =
      Http("POST", NotifyUrl("http"), dxa,
           {"Content-Type: application/fhir+json", std::string("x-bonewatch-secret: ") + kSecret});
  EXPECT_EQ(plain.status, 0) << plain.body;
  // HTTPS with a wrong secret: 401.
  EXPECT_EQ(Http("POST", NotifyUrl("https"), dxa,
                 {"Content-Type: application/fhir+json", "x-bonewatch-secret: wrong"}, tls_.cert)
                .status,
            401);
  // HTTPS, certificate verified against the test CA, the right secret: stored.
  const HttpAnswer https =
      Http("POST", NotifyUrl("https"), dxa,
           {"Content-Type: application/fhir+json", std::string("x-bonewatch-secret: ") + kSecret},
           tls_.cert);
  ASSERT_EQ(https.status, 200) << https.error << https.body << daemon.Log();
  EXPECT_EQ(Metric("bonewatch_notifications_received_total", "result=\"stored\""), 1);
  EXPECT_EQ(Metric("bonewatch_notifications_received_total", "result=\"unauthorized\""), 1);

  // The notification's DXA is evaluated and the Flag is written (with a SMART token).
  ASSERT_TRUE(WaitFor(
      // The Flag itself (the Device is created first, in a pass that may report converged).
      [&] {
        return Metric("bonewatch_writes_total", "type=\"Flag\",result=\"created\"") >= 1 &&
               Converged();
      },
      seconds(30)))
      << daemon.Log();
  server().SetAuthNone();  // to read what was written
  EXPECT_EQ(ActiveFlagRules("p3").count("osteoporosis"), 1u) << daemon.Log();

  // The container HEALTHCHECK command, with the same configuration and environment.
  const std::string healthcheck =
      std::string(BONEWATCH_BINARY) + " healthcheck --config " + Quote(kExample);
  const CommandResult healthy = RunShell(healthcheck, env_);
  EXPECT_EQ(healthy.status, 0) << healthy.output;
  EXPECT_EQ(RunShell(healthcheck + " --path /readyz", env_).status, 0);

  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(30)), 0) << daemon.Log();
  const CommandResult stopped = RunShell(healthcheck, env_);
  EXPECT_EQ(stopped.status, 1) << stopped.output;
  EXPECT_THAT(stopped.output, HasSubstr("/healthz"));
  // Secrets never reach the log.
  EXPECT_THAT(daemon.Log(), ::testing::Not(HasSubstr(kSecret)));
  EXPECT_THAT(daemon.Log(), ::testing::Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(NotifyTlsE2eTest, UnloadableCertificateExitsWithTheConfigurationCode) {
  WriteFile(dir_ / "bad.crt", "-----BEGIN CERTIFICATE-----\nnot base64\n");
  env_["BONEWATCH_NOTIFY_TLS_CERT_FILE"] = dir_ / "bad.crt";
  ExampleDaemon daemon(env_, dir_ / "daemon.log");
  daemon.Start();
  EXPECT_EQ(daemon.WaitExit(seconds(30)), 78) << daemon.Log();
  EXPECT_THAT(daemon.Log(), HasSubstr("bad.crt"));
}

TEST_F(NotifyTlsE2eTest, ExampleConfigWithoutTlsFilesIsRefused) {
  env_.erase("BONEWATCH_NOTIFY_TLS_CERT_FILE");
  env_.erase("BONEWATCH_NOTIFY_TLS_KEY_FILE");
  const CommandResult check =
      RunShell(std::string(BONEWATCH_BINARY) + " check-config --config " + Quote(kExample), env_);
  EXPECT_EQ(check.status, 1);
  EXPECT_THAT(check.output, HasSubstr("notifications.tlsCertFile"));
  ExampleDaemon daemon(env_, dir_ / "daemon.log");
  daemon.Start();
  EXPECT_EQ(daemon.WaitExit(seconds(30)), 78) << daemon.Log();
}

}  // namespace
}  // namespace bonewatch::deploy_testing
