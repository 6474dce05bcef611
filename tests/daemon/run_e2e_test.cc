// End to end: the built `bonewatch run` binary against tests/fhir-server.
//
// Each test resets the shared FHIR server, loads a small cohort, starts the
// daemon as a child process with a temp config (store, ports) and asserts on
// what the server holds (Flags and CarePlans by identifier) and on /metrics.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

using fhir::Json;
using std::chrono::seconds;

class RunE2eTest : public DaemonE2eTest {};

// The same test against each server mode (tests/fhir-server/README.md "Server modes"): the
// default one, and medplum (only `active` Subscriptions deliver, bare-resource POST rest-hooks,
// transactions that behave as batches).
class RunE2eModeTest : public RunE2eTest, public ::testing::WithParamInterface<ServerMode> {
 protected:
  void SetUp() override {
    RunE2eTest::SetUp();
    server().SetMode(GetParam());
  }
};

INSTANTIATE_TEST_SUITE_P(ServerModes, RunE2eModeTest,
                         ::testing::Values(ServerMode::kDefault, ServerMode::kMedplum),
                         [](const auto& param_info) {
                           return std::string(ServerModeName(param_info.param));
                         });

TEST_P(RunE2eModeTest, PollOnlyConvergesAndSigtermExitsZero) {
  LoadCohort();
  DaemonProcess daemon(Config());
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p2").count("osteoporosis") == 1; }, seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);
  EXPECT_EQ(ActiveFlagRules("p1").count("baseline-dxa-missing"), 1u);
  EXPECT_EQ(daemon.Ops("/readyz").status, 200);
  EXPECT_GE(daemon.Metric("bonewatch_evaluations_total"), 3);
  EXPECT_GE(daemon.Metric("bonewatch_writes_total", "result=\"created\""), 3);
  EXPECT_GT(daemon.Metric("bonewatch_fhir_requests_total", "method=\"GET\""), 0);
  int duplicates = -1;
  WrittenState(&duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0) << daemon.Log();
}

TEST_F(RunE2eTest, RestHookDxaNotificationRaisesTheFlag) {
  LoadCohort();
  DaemonConfig config = Config();
  config.poll_interval_seconds = 3600;  // only the start-up poll: later data comes by rest-hook
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  WaitConverged(daemon);
  ASSERT_EQ(ActiveFlagRules("p3").count("osteoporosis"), 0u);
  // A new DXA for p3 is written to the server and notified (Medplum style: the bare resource).
  const std::string dxa = TScoreJson("p3-dxa2", "p3", 1, "-2.9");
  Put("Observation", "p3-dxa2", dxa);
  auto stored = server().Raw("GET", "/fhir/Observation/p3-dxa2");
  const auto sent = std::chrono::steady_clock::now();
  auto answer =
      daemon.Notify("POST", "/fhir/notify", stored.body,
                    {{"x-bonewatch-secret", "e2e-secret"}, {"x-medplum-interaction", "update"}});
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p3").count("osteoporosis") == 1; }, seconds(10)))
      << daemon.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, seconds(10));
  EXPECT_GE(daemon.Metric("bonewatch_notifications_received_total"), 1);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

TEST_P(RunE2eModeTest, SubscriptionDeliveryOfANewDxaRaisesTheFlag) {
  LoadCohort();
  DaemonConfig config = Config(/*subscriptions=*/true);
  config.poll_interval_seconds = 3600;  // only the start-up poll: later data comes by rest-hook
  config.degraded_poll_interval_seconds = 3600;  // not even while the Subscriptions are new
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return Search("Subscription?status=active").size() >= 2; }, seconds(20)))
      << daemon.Log();
  EXPECT_TRUE(Search("Subscription?status=requested").empty());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto status = Json::Parse(daemon.Ops("/status").body);
        return status.ok() && status->At({"subscriptions", "delivering"}) != nullptr &&
               status->At({"subscriptions", "delivering"})->AsBool();
      },
      seconds(20)))
      << daemon.Ops("/status").body;
  WaitConverged(daemon);
  ASSERT_EQ(ActiveFlagRules("p3").count("osteoporosis"), 0u);
  const auto written = std::chrono::steady_clock::now();
  Put("Observation", "p3-dxa2", TScoreJson("p3-dxa2", "p3", 1, "-3.1"));
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p3").count("osteoporosis") == 1; }, seconds(10)))
      << daemon.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - written, seconds(10));
  EXPECT_GE(daemon.Metric("bonewatch_notifications_received_total", "result=\"stored\""), 1);
  EXPECT_EQ(daemon.Metric("bonewatch_subscriptions", "status=\"active\""),
            Search("Subscription?status=active").size());
  EXPECT_EQ(daemon.Metric("bonewatch_subscriptions", "status=\"requested\""), 0);
  // /status names the Subscription that delivered (x-medplum-subscription).
  auto status = Json::Parse(daemon.Ops("/status").body);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->At({"subscriptions", "lastDelivery"}) != nullptr) << status->Serialize();
  int delivered = 0;
  for (const Json& item : status->At({"subscriptions", "items"})->elements()) {
    if (item.Find("lastDelivery") != nullptr) {
      ++delivered;
      EXPECT_TRUE(item.GetString("criteria").value_or("").starts_with("Observation?code="));
    }
  }
  EXPECT_GE(delivered, 1);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

TEST_F(RunE2eTest, BadInputIsRefusedOrDeadLetteredAndTheDaemonKeepsRunning) {
  LoadCohort();
  DaemonConfig config = Config();
  config.poll_interval_seconds = 3600;
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  WaitConverged(daemon);
  const std::map<std::string, std::string> auth = {{"x-bonewatch-secret", "e2e-secret"}};
  EXPECT_EQ(daemon.Notify("POST", "/fhir/notify", "{not json", auth).status, 400);
  EXPECT_EQ(daemon
                .Notify("POST", "/fhir/notify", TScoreJson("x", "p1", 1, "-1"),
                        {{"x-bonewatch-secret", "wrong"}})
                .status,
            401);
  auto oversized = auth;
  oversized["Content-Length"] = std::to_string(10 * 1024 * 1024);
  EXPECT_EQ(daemon.Notify("POST", "/fhir/notify", "", oversized).status, 413);
  // Unmappable: a T-score in a unit the mappings do not accept.
  const std::string bad = TScoreJson("p1-bad", "p1", 2, "0.82", "g/cm2");
  Put("Observation", "p1-bad", bad);
  auto stored = server().Raw("GET", "/fhir/Observation/p1-bad");
  ASSERT_EQ(daemon.Notify("POST", "/fhir/notify", stored.body, auth).status, 200);
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("bonewatch_dead_letters") >= 1; }, seconds(15)))
      << daemon.Log();
  EXPECT_GE(daemon.Metric("bonewatch_dead_lettered_total"), 1);
  int status = -1;
  const std::string table = daemon.RunCommand({"dead-letters", "list"}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(table.find("Observation/p1-bad"), std::string::npos) << table;
  // Replay puts it back in the inbox; still unmappable, it becomes a dead letter again.
  const std::string replayed = daemon.RunCommand({"dead-letters", "replay", "--all"}, &status);
  EXPECT_EQ(status, 0) << replayed;
  EXPECT_NE(replayed.find("1 replayed, 0 failed"), std::string::npos) << replayed;
  EXPECT_TRUE(WaitFor(
      [&] {
        return daemon.RunCommand({"dead-letters", "list"}, &status).find("Observation/p1-bad") !=
                   std::string::npos &&
               daemon.Metric("bonewatch_dead_lettered_total") >= 2;
      },
      seconds(15)))
      << daemon.Log();
  EXPECT_TRUE(daemon.running());
  EXPECT_EQ(daemon.Ops("/healthz").status, 200);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

TEST_F(RunE2eTest, BackfillLoadsInScopePatientsAndASecondRunWritesNothing) {
  LoadCohort();
  DaemonProcess daemon(Config());  // not started: backfill uses its config and store
  int status = -1;
  const std::string first = daemon.RunCommand({"backfill"}, &status);
  ASSERT_EQ(status, 0) << first;
  EXPECT_NE(first.find("backfill: 3 patient(s) loaded, 0 failed"), std::string::npos) << first;
  EXPECT_EQ(ActiveFlagRules("p1").count("baseline-dxa-missing"), 1u);
  EXPECT_EQ(ActiveFlagRules("p2").count("osteoporosis"), 1u);
  int duplicates = -1;
  const auto state = WrittenState(&duplicates);
  const int posts = server().RequestCount("POST") + server().RequestCount("PUT");
  const std::string second = daemon.RunCommand({"backfill"}, &status);
  ASSERT_EQ(status, 0) << second;
  EXPECT_EQ(server().RequestCount("POST") + server().RequestCount("PUT"), posts) << second;
  EXPECT_EQ(WrittenState(&duplicates), state);
  EXPECT_EQ(duplicates, 0);
}

// --as-of (test hook): time alone changes the result, with no new data.
TEST_F(RunE2eTest, TimePassingRaisesAndResolvesFlagsWithoutNewData) {
  LoadCohort();
  DaemonProcess daemon(Config());
  // p3: AI course started 20 days ago, no CTX. In 100 days the 3-month marker is due.
  daemon.set_as_of(DaysAgo(-100));
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p3").count("btm-3-month-due") == 1; }, seconds(30)))
      << daemon.Log();
  EXPECT_EQ(ActiveFlagRules("p3").count("dxa-follow-up-due"), 0u);
  ASSERT_EQ(daemon.Stop(SIGTERM), 0);
  // In 800 days the marker window has closed and the 24-month DXA follow-up is due.
  daemon.set_as_of(DaysAgo(-800));
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto rules = ActiveFlagRules("p3");
        return rules.count("dxa-follow-up-due") == 1 && rules.count("btm-3-month-due") == 0;
      },
      seconds(30)))
      << daemon.Log();
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

TEST_F(RunE2eTest, ServerOutageConvergesWithoutARetryStorm) {
  LoadCohort();
  DaemonProcess daemon(Config());
  // The next 40 FHIR requests answer 503 (Retry-After 1): start-up, polls and fetches fail.
  FaultSpec outage;
  outage.count = 40;
  outage.status = 503;
  outage.retry_after_seconds = 1;
  server().InjectFault(outage);
  const int before = server().RequestCount();
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p2").count("osteoporosis") == 1; }, seconds(90)))
      << daemon.Log();
  WaitConverged(daemon, seconds(60));
  EXPECT_EQ(ActiveFlagRules("p1").count("baseline-dxa-missing"), 1u);
  int duplicates = -1;
  WrittenState(&duplicates);
  EXPECT_EQ(duplicates, 0);
  // 40 refused + the real work of 3 patients + polls and readiness probes: no storm.
  const int requests = server().RequestCount() - before;
  EXPECT_LT(requests, 250) << requests;
  EXPECT_GE(daemon.Metric("bonewatch_fhir_requests_total", "status=\"503\""), 1);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

TEST_F(RunE2eTest, AConfigurationErrorExits78NamingTheFileAndField) {
  DaemonProcess daemon(Config());
  {
    std::ofstream out(daemon.config_path());
    out << R"({"fhir": {"baseUrl": ")" << server().base_url()
        << R"("}, "poller": {"intervalSeconds": "often"}})";
  }
  const std::string command =
      std::string(BONEWATCH_BINARY) + " run --config '" + daemon.config_path() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[1024];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int rc = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 78) << output;
  EXPECT_NE(output.find(daemon.config_path()), std::string::npos) << output;
  EXPECT_NE(output.find("poller.intervalSeconds"), std::string::npos) << output;
}

}  // namespace
}  // namespace bonewatch::testing
