// End to end, with the test server in medplum mode (a `requested` Subscription stays requested and
// never delivers there, as on Medplum 5.0.2): the daemon's Subscriptions are created active and
// deliver; one forced to `requested` or `off` on the server is noticed, shown in /status and
// /metrics, polled around faster while it does not deliver, and repaired with a warning.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

using fhir::Json;
using std::chrono::seconds;

class SubscriptionHealthE2eTest : public DaemonE2eTest {
 protected:
  void SetUp() override {
    DaemonE2eTest::SetUp();
    server().SetMode(ServerMode::kMedplum);
  }

  // The daemon's /status "subscriptions" block (null when absent).
  Json SubscriptionStatus(DaemonProcess& daemon) {
    auto status = Json::Parse(daemon.Ops("/status").body);
    if (!status.ok() || status->Find("subscriptions") == nullptr) return Json();
    return *status->Find("subscriptions");
  }
  bool Delivering(DaemonProcess& daemon) {
    const Json s = SubscriptionStatus(daemon);
    return s.is_object() && s.GetBool("delivering").value_or(false);
  }
  // The /status item of Subscription `id` (null when absent).
  Json StatusItem(DaemonProcess& daemon, const std::string& id) {
    const Json s = SubscriptionStatus(daemon);
    const Json* items = s.is_object() ? s.Find("items") : nullptr;
    if (items == nullptr) return Json();
    for (const Json& item : items->elements()) {
      if (item.GetString("id") == id) return item;
    }
    return Json();
  }
  // Sets Subscription `id`'s status on the server, as an operator (or the server) might.
  void ForceStatus(const std::string& id, const std::string& status) {
    auto read = server().Raw("GET", "/fhir/Subscription/" + id);
    ASSERT_EQ(read.status, 200) << read.body;
    auto json = Json::Parse(read.body);
    ASSERT_TRUE(json.ok());
    json->Set("status", status);
    Put("Subscription", id, json->Serialize());
  }
  std::string StatusOnServer(const std::string& id) {
    auto json = Json::Parse(server().Raw("GET", "/fhir/Subscription/" + id).body);
    return json.ok() ? json->GetString("status").value_or("") : "";
  }
  DaemonConfig HealthConfig() {
    DaemonConfig config = Config(/*subscriptions=*/true);
    config.poll_interval_seconds = 3600;  // only the start-up poll, unless degraded
    config.degraded_poll_interval_seconds = 1;
    config.subscription_check_seconds = 1;
    config.subscription_activation_timeout_seconds = 6;
    return config;
  }
};

TEST_F(SubscriptionHealthE2eTest, ARequestedSubscriptionIsSeenPolledAroundAndRepaired) {
  LoadCohort();
  DaemonProcess daemon(HealthConfig());
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(WaitFor([&] { return Delivering(daemon); }, seconds(30)))
      << daemon.Ops("/status").body << daemon.Log();
  WaitConverged(daemon);
  std::vector<Json> ours = Search("Subscription?status=active");
  ASSERT_GE(ours.size(), 2u);
  const std::string id = ours[0].GetString("id").value_or("");
  EXPECT_EQ(daemon.Metric("bonewatch_poll_degraded"), 0);

  // Requested on Medplum: it would never deliver. The daemon notices at its next check.
  ForceStatus(id, "requested");
  ASSERT_TRUE(WaitFor([&] { return StatusItem(daemon, id).GetString("status") == "requested"; },
                      seconds(10)))
      << daemon.Ops("/status").body;
  const double polls_when_seen = daemon.Metric("bonewatch_polls_total");
  EXPECT_FALSE(Delivering(daemon));
  EXPECT_TRUE(StatusItem(daemon, id).GetString("notActiveSince").has_value());
  EXPECT_TRUE(StatusItem(daemon, id).GetString("lastCheck").has_value());
  EXPECT_EQ(daemon.Metric("bonewatch_subscriptions", "status=\"requested\""), 1);
  EXPECT_EQ(daemon.Metric("bonewatch_poll_degraded"), 1);

  // After the activation time limit (6 s) it is re-activated, with a warning naming it.
  ASSERT_TRUE(WaitFor([&] { return StatusOnServer(id) == "active"; }, seconds(20))) << daemon.Log();
  ASSERT_TRUE(WaitFor([&] { return Delivering(daemon); }, seconds(10)))
      << daemon.Ops("/status").body;
  // Meanwhile the poller ran at the degraded interval (1 s) instead of every hour.
  EXPECT_GE(daemon.Metric("bonewatch_polls_total") - polls_when_seen, 3);
  EXPECT_EQ(daemon.Metric("bonewatch_subscription_repairs_total", "status=\"requested\""), 1);
  EXPECT_EQ(StatusItem(daemon, id).Find("repairs")->AsDouble(), 1);
  EXPECT_EQ(daemon.Metric("bonewatch_poll_degraded"), 0);
  const std::string log = daemon.Log();
  EXPECT_NE(log.find("subscription.repair"), std::string::npos);
  EXPECT_NE(log.find(id), std::string::npos);

  // Back to the normal interval: no more polls.
  const double polls_after = daemon.Metric("bonewatch_polls_total");
  std::this_thread::sleep_for(seconds(3));
  EXPECT_LE(daemon.Metric("bonewatch_polls_total") - polls_after, 1);

  // And it delivers: a new DXA reaches the daemon by rest-hook.
  const double received = daemon.Metric("bonewatch_notifications_received_total");
  Put("Observation", "p3-dxa2", TScoreJson("p3-dxa2", "p3", 1, "-3.1"));
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p3").count("osteoporosis") == 1; }, seconds(10)))
      << daemon.Log();
  EXPECT_GT(daemon.Metric("bonewatch_notifications_received_total"), received);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

TEST_F(SubscriptionHealthE2eTest, AnOffSubscriptionIsRepairedAtOnce) {
  DaemonProcess daemon(HealthConfig());
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(WaitFor([&] { return Delivering(daemon); }, seconds(30)))
      << daemon.Ops("/status").body << daemon.Log();
  std::vector<Json> ours = Search("Subscription?status=active");
  ASSERT_GE(ours.size(), 2u);
  const std::string id = ours[0].GetString("id").value_or("");
  ForceStatus(id, "off");
  ASSERT_TRUE(WaitFor(
      [&] { return daemon.Metric("bonewatch_subscription_repairs_total", "status=\"off\"") == 1; },
      seconds(10)))
      << daemon.Log();
  EXPECT_EQ(StatusOnServer(id), "active");
  ASSERT_TRUE(WaitFor([&] { return Delivering(daemon); }, seconds(10)))
      << daemon.Ops("/status").body;
  EXPECT_EQ(daemon.Metric("bonewatch_subscriptions", "status=\"active\""), ours.size());
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

}  // namespace
}  // namespace bonewatch::testing
