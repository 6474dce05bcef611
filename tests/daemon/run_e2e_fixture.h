// DaemonE2eTest: the fixture of the end-to-end tests that run the built
// `bonewatch run` binary (DaemonProcess) against the shared test FHIR server.
//
// It resets the server before each test and offers: a small cohort, resource
// JSON builders dated relative to today, searches, the written state (every
// Flag and CarePlan by identifier, with status and period; duplicates
// counted), and polling waits with generous deadlines (never fixed sleeps as
// assertions). With BONEWATCH_E2E_SERVER_MODE=medplum the server runs in its medplum mode.
//
// Header-only: the test suite globs *_test.cc only. One test thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "run_daemon_process.h"
#include "test_fhir_server.h"

namespace bonewatch::testing {

// "YYYY-MM-DD" `days` before today (negative: after).
inline std::string DaysAgo(int days) {
  const auto t = std::chrono::system_clock::now() - std::chrono::hours(24 * int64_t{days});
  const auto d = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

inline std::string PatientJson(const std::string& id, int age) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","gender":"female","birthDate":")" +
         DaysAgo(age * 366) + R"("})";
}
inline std::string AiStatementJson(const std::string& id, const std::string& patient,
                                   int days_ago) {
  return R"({"resourceType":"MedicationStatement","id":")" + id +
         R"(","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},"subject":{"reference":"Patient/)" +
         patient + R"("},"effectiveDateTime":")" + DaysAgo(days_ago) + R"("})";
}
// An AI statement with a period; `status` "completed"/"stopped" with an end ends the course.
inline std::string AiPeriodStatementJson(const std::string& id, const std::string& patient,
                                         const std::string& status, int start_days_ago,
                                         int end_days_ago) {
  return R"({"resourceType":"MedicationStatement","id":")" + id + R"(","status":")" + status +
         R"(","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},"subject":{"reference":"Patient/)" +
         patient + R"("},"effectivePeriod":{"start":")" + DaysAgo(start_days_ago) + R"(","end":")" +
         DaysAgo(end_days_ago) + R"("}})";
}
inline std::string TScoreJson(const std::string& id, const std::string& patient, int days_ago,
                              const std::string& value, const std::string& unit = "{T-score}") {
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},"subject":{"reference":"Patient/)" +
         patient + R"("},"effectiveDateTime":")" + DaysAgo(days_ago) +
         R"(","valueQuantity":{"value":)" + value + R"(,"unit":")" + unit +
         R"(","system":"http://unitsofmeasure.org","code":")" + unit + R"("}})";
}

class DaemonE2eTest : public ::testing::Test {
 protected:
  using Json = fhir::Json;
  using seconds = std::chrono::seconds;

  // A written Flag or CarePlan as the server holds it.
  struct Written {
    std::string status;
    std::string period_start;
    std::string period_end;
    bool operator==(const Written&) const = default;
  };
  // "Type|system|value" -> what the server holds.
  using WrittenMap = std::map<std::string, Written>;

  // BONEWATCH_E2E_SERVER_MODE=medplum runs every daemon e2e test against the test server's
  // medplum mode (ctest: daemon_e2e_medplum_mode); tests that set a mode themselves still do.
  void SetUp() override {
    server().Reset();
    const char* mode = std::getenv("BONEWATCH_E2E_SERVER_MODE");
    if (mode != nullptr && std::string(mode) == "medplum") server().SetMode(ServerMode::kMedplum);
  }
  TestFhirServer& server() { return SharedTestFhirServer(); }

  void Put(const std::string& type, const std::string& id, const std::string& json) {
    auto answer = server().Raw("PUT", "/fhir/" + type + "/" + id, json,
                               {{"Content-Type", "application/fhir+json"}});
    ASSERT_TRUE(answer.status == 200 || answer.status == 201) << answer.status << answer.body;
  }
  // Three AI patients: no DXA (baseline-dxa-missing), osteoporosis, and normal.
  void LoadCohort() {
    Put("Patient", "p1", PatientJson("p1", 64));
    Put("MedicationStatement", "p1-ai", AiStatementJson("p1-ai", "p1", 40));
    Put("Patient", "p2", PatientJson("p2", 70));
    Put("MedicationStatement", "p2-ai", AiStatementJson("p2-ai", "p2", 100));
    Put("Observation", "p2-dxa", TScoreJson("p2-dxa", "p2", 95, "-2.8"));
    Put("Patient", "p3", PatientJson("p3", 58));
    Put("MedicationStatement", "p3-ai", AiStatementJson("p3-ai", "p3", 20));
    Put("Observation", "p3-dxa", TScoreJson("p3-dxa", "p3", 25, "-0.4"));
  }
  static constexpr int kCohortPuts = 8;

  std::vector<Json> Search(const std::string& query) {
    auto answer = server().Raw("GET", "/fhir/" + query);
    std::vector<Json> out;
    auto bundle = Json::Parse(answer.body);
    if (!bundle.ok()) return out;
    if (const Json* entries = bundle->Find("entry")) {
      for (const Json& e : entries->elements()) {
        if (const Json* r = e.Find("resource")) out.push_back(*r);
      }
    }
    return out;
  }
  static std::string Key(const std::string& type, const Json& r) {
    const Json* id = r.Find("identifier");
    std::string key = type;
    if (id != nullptr && id->is_array() && !id->elements().empty()) {
      key += "|" + id->elements()[0].GetString("system").value_or("") + "|" +
             id->elements()[0].GetString("value").value_or("");
    }
    return key;
  }
  // Every Flag and CarePlan by identifier; *duplicates counts identifiers seen twice.
  WrittenMap WrittenResources(int* duplicates) {
    WrittenMap state;
    *duplicates = 0;
    for (const char* type : {"Flag", "CarePlan"}) {
      for (const Json& r : Search(std::string(type) + "?_count=1000")) {
        const std::string key = Key(type, r);
        if (state.count(key)) ++*duplicates;
        Written w;
        w.status = r.GetString("status").value_or("");
        if (const Json* period = r.Find("period")) {
          w.period_start = period->GetString("start").value_or("");
          w.period_end = period->GetString("end").value_or("");
        }
        state[key] = w;
      }
    }
    return state;
  }
  // "identifier -> status" of every Flag and CarePlan; counts duplicates.
  std::map<std::string, std::string> WrittenState(int* duplicates) {
    std::map<std::string, std::string> state;
    for (const auto& [key, written] : WrittenResources(duplicates)) state[key] = written.status;
    return state;
  }
  // The Flags of `patient` by rule code -> status (the latest episode wins).
  std::map<std::string, Json> FlagsByRule(const std::string& patient) {
    std::map<std::string, Json> flags;
    for (const Json& flag : Search("Flag?subject=Patient/" + patient + "&_count=100")) {
      const Json* code = flag.At({"code", "coding"});
      if (code != nullptr && code->is_array() && !code->elements().empty()) {
        flags[code->elements()[0].GetString("code").value_or("")] = flag;
      }
    }
    return flags;
  }
  std::set<std::string> ActiveFlagRules(const std::string& patient) {
    std::set<std::string> rules;
    for (const auto& [rule, flag] : FlagsByRule(patient)) {
      if (flag.GetString("status").value_or("") == "active") rules.insert(rule);
    }
    return rules;
  }
  std::vector<Json> CarePlans(const std::string& patient) {
    return Search("CarePlan?subject=Patient/" + patient + "&_count=100");
  }
  bool WaitFor(const std::function<bool()>& done, seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }
  // The daemon's /status "inbox" (-1 when it does not answer).
  int InboxDepth(DaemonProcess& daemon) {
    auto status = Json::Parse(daemon.Ops("/status").body);
    if (!status.ok() || status->Find("inbox") == nullptr) return -1;
    return static_cast<int>(status->Find("inbox")->AsDouble());
  }
  bool Converged(DaemonProcess& daemon) {
    auto status = Json::Parse(daemon.Ops("/status").body);
    return status.ok() && status->GetBool("converged").value_or(false) &&
           status->Find("inbox") != nullptr && status->Find("inbox")->AsDouble() == 0;
  }
  void WaitConverged(DaemonProcess& daemon, seconds timeout = seconds(60)) {
    int stable = 0;
    ASSERT_TRUE(
        WaitFor([&] { return (stable = Converged(daemon) ? stable + 1 : 0) >= 3; }, timeout))
        << daemon.Log();
  }
  DaemonConfig Config(bool subscriptions = false) {
    DaemonConfig c;
    c.fhir_base_url = server().base_url();
    c.subscriptions = subscriptions;
    return c;
  }
};

}  // namespace bonewatch::testing
