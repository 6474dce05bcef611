// Crash safety end to end: kill -9 of the real `bonewatch run` at many points,
// then a restart on the same store. The server must end exactly as after a
// clean run: the same Flags and CarePlans by identifier with the same status
// and period, no identifier twice, one Device, nothing lost.
//
// Besides points in time after the start, the kill points are provably in
// the middle of something, using the test server's faults:
//  - ingest: the first-seen patient's history read is held while the polled
//    pages wait in the inbox (/status inbox > 0 when the daemon is killed);
//  - write-back: the Device create, the first transaction, or the first
//    single conditional PUT is held by the server until after the kill. The
//    server then executes it anyway (as a real server may do with a request
//    whose client died), which the test checks: the resources appear while
//    the daemon is dead. One variant restarts before the held write lands.
// Each test prints its counts on one line: "[crash-e2e] <name>: kill points N,
// restarts N, duplicates 0, resources compared N".
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

struct KillPoint {
  std::string name;
  int transaction_max_entries = 0;  // 1: single requests (no transactions)
  int worker_threads = 0;           // 0: the default (several patients written at once)
  // Before the start: faults that hold the daemon at the point.
  std::function<void()> arm;
  // True once the daemon is at the point (polled with a deadline).
  std::function<bool(DaemonProcess&)> reached;
  // Between the kill and the restart (e.g. proof that the held write landed).
  std::function<void()> after_kill;
  // After the restarted daemon converged, before the comparison.
  std::function<void()> before_compare;
};

class CrashE2eTest : public DaemonE2eTest {
 protected:
  void AddFault(const std::string& json) {
    auto answer =
        server().Raw("POST", "/admin/faults", json, {{"Content-Type", "application/json"}});
    ASSERT_EQ(answer.status, 200) << answer.body;
  }
  // Holds the next transaction (POST to the base URL, the only FHIR request
  // whose path does not contain "/fhir/") for `hang_ms`; everything else passes.
  void HoldNextTransaction(int hang_ms) {
    AddFault(R"({"count":1000000,"hangMs":0,"path":"/fhir/"})");
    AddFault(R"({"count":1,"hangMs":)" + std::to_string(hang_ms) + "}");
  }
  size_t WrittenCount() {
    return Search("Flag?_count=1000").size() + Search("CarePlan?_count=1000").size();
  }
  size_t DeviceCount() { return Search("Device?_count=100").size(); }

  // A clean run of the cohort: the reference state.
  WrittenMap CleanRun() {
    server().Reset();
    LoadCohort();
    DaemonProcess daemon(Config());
    EXPECT_TRUE(daemon.Start()) << daemon.Log();
    WaitConverged(daemon);
    int duplicates = -1;
    WrittenMap clean = WrittenResources(&duplicates);
    EXPECT_EQ(duplicates, 0);
    EXPECT_EQ(daemon.Stop(SIGTERM), 0);
    return clean;
  }

  // Runs every kill point against a fresh server and store; prints the counts.
  void RunKillPoints(const std::string& suite, const std::vector<KillPoint>& points) {
    const WrittenMap clean = CleanRun();
    ASSERT_FALSE(clean.empty());
    int kills = 0, restarts = 0, duplicates_found = 0;
    size_t compared = 0;
    for (const KillPoint& point : points) {
      SCOPED_TRACE("kill point: " + point.name);
      server().Reset();
      LoadCohort();
      DaemonConfig config = Config();
      config.transaction_max_entries = point.transaction_max_entries;
      config.worker_threads = point.worker_threads;
      DaemonProcess daemon(config);
      if (point.arm) point.arm();
      ASSERT_TRUE(daemon.Start()) << daemon.Log();
      ASSERT_TRUE(WaitFor([&] { return point.reached(daemon); }, seconds(60))) << daemon.Log();
      ASSERT_EQ(daemon.Stop(SIGKILL, seconds(5)), 128 + SIGKILL);
      ++kills;
      if (point.after_kill) point.after_kill();
      server().ClearFaults();
      ASSERT_TRUE(daemon.Start()) << daemon.Log();
      ++restarts;
      WaitConverged(daemon);
      if (point.before_compare) point.before_compare();
      int duplicates = -1;
      const WrittenMap state = WrittenResources(&duplicates);
      duplicates_found += duplicates;
      EXPECT_EQ(duplicates, 0);
      EXPECT_EQ(DeviceCount(), 1u);
      EXPECT_EQ(state, clean) << daemon.Log();
      compared += std::max(state.size(), clean.size());
      EXPECT_EQ(daemon.Stop(SIGTERM), 0);
    }
    std::cout << "[crash-e2e] " << suite << ": kill points " << kills << ", restarts " << restarts
              << ", duplicates " << duplicates_found << ", resources compared " << compared
              << std::endl;
    RecordProperty("kill_points", kills);  // also in --gtest_output=xml/json
    RecordProperty("restarts", restarts);
    RecordProperty("duplicates", duplicates_found);
    RecordProperty("resources_compared", static_cast<int>(compared));
    EXPECT_EQ(kills, static_cast<int>(points.size()));
  }
};

std::function<bool(DaemonProcess&)> After(milliseconds delay) {
  auto start = std::make_shared<std::optional<steady_clock::time_point>>();
  return [start, delay](DaemonProcess&) {
    if (!start->has_value()) *start = steady_clock::now();
    return steady_clock::now() - **start >= delay;
  };
}

TEST_F(CrashE2eTest, KillNineAtTimedPointsAndMidIngestConvergesLikeACleanRun) {
  std::vector<KillPoint> points;
  for (int ms : {150, 400, 900}) {
    KillPoint point;
    point.name = std::to_string(ms) + " ms after the start";
    point.reached = After(milliseconds(ms));
    points.push_back(point);
  }
  KillPoint ingest;
  ingest.name = "mid-ingest: history read held, inbox not empty";
  // Only the history fetch reads Patient/{id}; the poller searches the other types.
  ingest.arm = [this] { AddFault(R"({"count":1,"hangMs":4000,"path":"/fhir/Patient/"})"); };
  ingest.reached = [this](DaemonProcess& daemon) { return InboxDepth(daemon) > 0; };
  points.push_back(ingest);
  RunKillPoints("timed and mid-ingest", points);
}

TEST_F(CrashE2eTest, KillNineMidWriteConvergesLikeACleanRun) {
  std::vector<KillPoint> points;

  KillPoint device;
  device.name = "mid-write: Device conditional create held";
  device.arm = [this] { AddFault(R"({"count":1,"hangMs":2500,"path":"/fhir/Device"})"); };
  device.reached = [this](DaemonProcess&) { return server().RequestCount("POST") >= 1; };
  device.after_kill = [this] {
    EXPECT_TRUE(WaitFor([this] { return DeviceCount() == 1; }, seconds(20)))
        << "the held Device create never landed";
  };
  points.push_back(device);

  // Device create, then the first transaction: the second POST.
  KillPoint landed;
  landed.name = "mid-write: transaction held, lands while the daemon is dead";
  // One write-back thread: the held transaction is then the only write when
  // the daemon dies (with two, another patient's transaction lands beside it).
  landed.worker_threads = 1;
  landed.arm = [this] { HoldNextTransaction(2500); };
  landed.reached = [this](DaemonProcess&) { return server().RequestCount("POST") >= 2; };
  landed.after_kill = [this] {
    ASSERT_EQ(WrittenCount(), 0u);
    EXPECT_TRUE(WaitFor([this] { return WrittenCount() > 0; }, seconds(20)))
        << "the held transaction never landed: the kill was not mid-write";
  };
  points.push_back(landed);

  KillPoint racing;
  racing.name = "mid-write: transaction held, lands after the restart";
  auto killed_at = std::make_shared<steady_clock::time_point>();
  racing.arm = [this] { HoldNextTransaction(5000); };
  racing.reached = [this, killed_at](DaemonProcess&) {
    *killed_at = steady_clock::now();
    return server().RequestCount("POST") >= 2;
  };
  racing.before_compare = [killed_at] {
    // Let the old process's held transaction land (same content: no change).
    std::this_thread::sleep_until(*killed_at + milliseconds(5500));
  };
  points.push_back(racing);

  KillPoint single;
  single.name = "mid-write: single conditional PUT held (transactionMaxEntries 1)";
  single.transaction_max_entries = 1;
  single.arm = [this] {
    AddFault(R"({"count":1,"hangMs":2500,"path":"Flag?identifier="})");
    AddFault(R"({"count":1,"hangMs":2500,"path":"CarePlan?identifier="})");
  };
  single.reached = [this](DaemonProcess&) { return server().RequestCount("PUT") > kCohortPuts; };
  single.after_kill = [this] {
    const size_t at_kill = WrittenCount();
    EXPECT_TRUE(WaitFor([&] { return WrittenCount() > at_kill; }, seconds(20)))
        << "the held PUT never landed: the kill was not mid-write";
  };
  points.push_back(single);

  RunKillPoints("mid-write", points);
}

}  // namespace
}  // namespace bonewatch::testing
