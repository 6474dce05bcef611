// `bonewatch evaluate`: exit codes, error messages, input forms and NDJSON streaming.
#include "evaluate_command.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapper.h"
#include "bonewatch/mappings/mapping_set.h"
#include "bonewatch/rules/evaluator.h"
#include "evaluate_command_cohort.h"
#include "evaluate_command_input.h"
#include "evaluate_command_ndjson.h"
#include "evaluate_command_parallel.h"
#include "ruleset_file.h"
#include "writeback_render.h"
#include "writeback_transaction.h"

namespace bonewatch::adapter {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("bonewatch-evaluate-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct RunResult {
  int code = 0;
  std::string out;
  std::string err;
};

// threads 0: one per hardware thread, as without --threads.
RunResult Evaluate(std::vector<std::string> files, EvaluateFormat format = EvaluateFormat::kSummary,
                   unsigned threads = 0) {
  EvaluateOptions options;
  options.as_of = *rules::Date::Parse("2026-03-01");
  options.format = format;
  options.files = std::move(files);
  options.threads = threads;
  std::ostringstream out;
  std::ostringstream err;
  RunResult run;
  run.code = RunEvaluate(options, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

std::string AiStatement(const std::string& id, const std::string& patient) {
  return R"({"resourceType":"MedicationStatement","id":")" + id +
         R"(","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},"subject":{"reference":"Patient/)" +
         patient + R"("},"effectiveDateTime":"2025-10-01"})";
}

TEST(EvaluateCommand, UnreadableFileFailsNamingIt) {
  const RunResult run = Evaluate({"/nonexistent/dir/cohort.json"});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("/nonexistent/dir/cohort.json: cannot open"), std::string::npos)
      << run.err;
}

TEST(EvaluateCommand, InvalidJsonFailsNamingFileAndOffset) {
  TempDir dir;
  const std::string path = dir.Write("broken.json", R"({"resourceType":"Bundle","entry":[)");
  const RunResult run = Evaluate({path});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("broken.json: invalid JSON at offset"), std::string::npos) << run.err;
}

TEST(EvaluateCommand, NotAResourceFails) {
  TempDir dir;
  const RunResult run = Evaluate({dir.Write("array.json", "[1,2]")});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("array.json: not a FHIR resource"), std::string::npos) << run.err;
}

TEST(EvaluateCommand, BadNdjsonLineFailsNamingTheLine) {
  TempDir dir;
  const std::string path = dir.Write(
      "cohort.ndjson", AiStatement("m1", "p1") + "\n{not json\n" + AiStatement("m2", "p2") + "\n");
  const RunResult run = Evaluate({path});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("cohort.ndjson:2: "), std::string::npos) << run.err;
}

TEST(EvaluateCommand, UnrelatedTypesAreSkippedSilentlyAndRejectionsDoNotFail) {
  TempDir dir;
  const std::string path = dir.Write(
      "cohort.ndjson",
      R"({"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"}})"
      "\n"
      R"({"resourceType":"Claim","id":"c1"})"
      "\n" +
          AiStatement("m1", "p1") + "\n" +
          R"({"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},"effectiveDateTime":"2025-10-01","valueQuantity":{"value":-2.0,"unit":"{T-score}"}})"
          "\n");
  const RunResult run = Evaluate({path});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err.find("Encounter"), std::string::npos);
  EXPECT_EQ(run.err.find("Claim"), std::string::npos);
  EXPECT_NE(run.err.find("cohort.ndjson:4: rejected: Observation/o1: subject"), std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("p1       baseline-dxa-missing"), std::string::npos) << run.out;
}

TEST(EvaluateCommand, NdjsonMedicationReferenceResolvesToALaterMedicationFile) {
  TempDir dir;
  const std::string requests = dir.Write(
      "MedicationRequest.ndjson",
      R"({"resourceType":"MedicationRequest","id":"r1","status":"active","intent":"order","medicationReference":{"reference":"Medication/letrozole"},"subject":{"reference":"Patient/p1"},"authoredOn":"2025-10-01"})"
      "\n");
  const std::string medications = dir.Write(
      "Medication.ndjson",
      R"({"resourceType":"Medication","id":"letrozole","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"72965"}]}})"
      "\n");
  const RunResult run = Evaluate({requests, medications});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_NE(run.out.find("course started 2025-10-01"), std::string::npos) << run.out;
}

TEST(EvaluateCommand, LaterVersionReplacesAndEnteredInErrorRetracts) {
  TempDir dir;
  const std::string obs_v1 =
      R"({"resourceType":"Observation","id":"v","meta":{"versionId":"1"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"62292-8"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-10","valueQuantity":{"value":12,"unit":"ng/mL"}})";
  std::string obs_v2 = obs_v1;
  obs_v2.replace(obs_v2.find("\"1\""), 3, "\"2\"");
  obs_v2.replace(obs_v2.find("\"value\":12"), 10, "\"value\":25");
  // Version 2 (insufficient) wins over version 1 (deficient), whatever the order.
  const RunResult run = Evaluate(
      {dir.Write("a.ndjson", AiStatement("m1", "p1") + "\n" + obs_v2 + "\n" + obs_v1 + "\n")});
  EXPECT_NE(run.out.find("vitamin-d-insufficient"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("vitamin-d-deficient"), std::string::npos) << run.out;
  std::string retracted = AiStatement("m1", "p1");
  retracted.replace(retracted.find("\"active\""), 8, "\"entered-in-error\"");
  const RunResult gone =
      Evaluate({dir.Write("b.ndjson", AiStatement("m1", "p1") + "\n" + retracted + "\n")},
               EvaluateFormat::kBundle);
  EXPECT_EQ(gone.out, "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\"\n}\n");
}

// Spec v1.1: a DXA report whose values fall on both sides of midnight once
// their offsets are applied (the time zone is UTC by default) is one
// session, dated by its latest value, and is never evaluated half read: the
// osteoporosis run from the course start goes on, with no osteopenia day in
// between, exactly as when the whole report is on one day.
TEST(EvaluateCommand, ADxaReportAcrossMidnightWithOffsetsIsOneSession) {
  const auto observation = [](const std::string& id, const std::string& loinc,
                              const std::string& when, const std::string& value) {
    return R"({"resourceType":"Observation","id":")" + id +
           R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" + loinc +
           R"("}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":")" + when +
           R"(","valueQuantity":{"value":)" + value +
           R"(,"unit":"{T-score}","system":"http://unitsofmeasure.org","code":"{T-score}"}})";
  };
  const auto run_with = [&](const std::string& hip_time, const std::string& spine_time) {
    TempDir dir;
    return Evaluate(
        {dir.Write("report.ndjson", AiStatement("m1", "p1") + "\n" +
                                        observation("o0", "38267-1", "2025-09-20", "-2.8") + "\n" +
                                        observation("o1", "38264-8", hip_time, "-1.8") + "\n" +
                                        observation("o2", "38267-1", spine_time, "-2.9") + "\n")},
        EvaluateFormat::kBundle);
  };
  // 00:30+02:00 is 22:30 UTC the day before; 05:00+02:00 is 03:00 UTC.
  const RunResult across = run_with("2026-02-02T00:30:00+02:00", "2026-02-02T05:00:00+02:00");
  ASSERT_EQ(across.code, 0) << across.err;
  EXPECT_NE(across.out.find("p1.osteoporosis.2025-10-01"), std::string::npos) << across.out;
  EXPECT_EQ(across.out.find("p1.osteoporosis.2026-02-02"), std::string::npos) << across.out;
  EXPECT_EQ(across.out.find("osteopenia"), std::string::npos) << across.out;
  EXPECT_NE(across.out.find("\u22122.9"), std::string::npos) << "the report's lowest value";
  const RunResult same_day = run_with("2026-02-02T01:30:00Z", "2026-02-02T03:00:00Z");
  ASSERT_EQ(same_day.code, 0) << same_day.err;
  EXPECT_EQ(same_day.out.find("osteopenia"), std::string::npos) << same_day.out;
  EXPECT_NE(same_day.out.find("p1.osteoporosis.2025-10-01"), std::string::npos) << same_day.out;
}

TEST(EvaluateCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(EvaluateCommand({}), 2);
  EXPECT_EQ(EvaluateCommand({"--as-of", "2026-02-30", "x.json"}), 2);
  EXPECT_EQ(EvaluateCommand({"--format", "xml", "x.json"}), 2);
  EXPECT_EQ(EvaluateCommand({"--bogus", "x.json"}), 2);
  EXPECT_EQ(EvaluateCommand({"--threads", "0", "x.json"}), 2);
  EXPECT_EQ(EvaluateCommand({"--threads", "two", "x.json"}), 2);
  EXPECT_EQ(EvaluateCommand({"--threads", "65", "x.json"}), 2);
}

// --time-zone dates the instants as the daemon's timeZone does: a vitamin D
// result taken at 22:30Z on June 30th is on July 1st in Berlin (00:30 CEST),
// after an evaluation as of June 30th, so it is not seen there; in UTC and at
// a fixed +01:00 (23:30) it is on June 30th and is.
TEST(EvaluateCommand, TimeZoneDatesInstantsWithSummerTime) {
  TempDir dir;
  const std::string vitamin_d =
      R"({"resourceType":"Observation","id":"vd","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"62292-8"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-06-30T22:30:00Z","valueQuantity":{"value":12,"unit":"ng/mL"}})";
  const std::string path =
      dir.Write("cohort.ndjson", AiStatement("m1", "p1") + "\n" + vitamin_d + "\n");
  const auto deficient_as_of_june_30 = [&](const char* zone) {
    EvaluateOptions options;
    options.as_of = *rules::Date::Parse("2026-06-30");
    options.format = EvaluateFormat::kSummary;
    options.files = {path};
    StatusOr<fhir::TimeZone> parsed = fhir::TimeZone::Parse(zone);
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    options.time_zone = parsed.value_or(fhir::TimeZone());
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(RunEvaluate(options, out, err), 0) << err.str();
    return out.str().find("vitamin-d-deficient") != std::string::npos;
  };
  EXPECT_TRUE(deficient_as_of_june_30("Z"));
  EXPECT_TRUE(deficient_as_of_june_30("+01:00"));
  EXPECT_FALSE(deficient_as_of_june_30("Europe/Berlin"));
  EXPECT_TRUE(deficient_as_of_june_30("America/New_York"));
}

TEST(EvaluateCommand, UnknownTimeZoneIsAUsageError) {
  EXPECT_EQ(EvaluateCommand({"--time-zone", "Europe/Atlantis", "x.json"}), 2);
  EXPECT_EQ(EvaluateCommand({"--time-zone", "+15:00", "x.json"}), 2);
}

// A varied multi-patient NDJSON cohort: several batches of lines and of
// patients, Medications referenced before and after they are read, later
// versions, retractions, rejected resources, blank lines and CRLF ends.
std::string VariedCohort(int patients) {
  std::ostringstream out;
  out << R"({"resourceType":"Medication","id":"ana","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]}})"
      << "\n\n";
  for (int p = 0; p < patients; ++p) {
    const std::string id = "pt-" + std::to_string(p * 7919 % patients);  // not in id order
    out << R"({"resourceType":"Patient","id":")" << id << R"(","gender":"female","birthDate":")"
        << 1940 + p % 40 << "-0" << 1 + p % 9 << R"(-1)" << p % 10 << R"("})"
        << (p % 5 == 0 ? "\r\n" : "\n");
    if (p % 11 != 0) {
      out << R"({"resourceType":"MedicationStatement","id":"ms-)" << p
          << R"(","meta":{"versionId":"1"},"status":")" << (p % 13 == 0 ? "completed" : "active")
          << R"(",)"
          << (p % 3 == 0
                  ? R"("medicationReference":{"reference":"Medication/)" +
                        std::string(p % 2 == 0 ? "ana" : "late") + R"("})"
                  : R"("medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]})")
          << R"(,"subject":{"reference":"Patient/)" << id << R"("},"effectivePeriod":{"start":"202)"
          << 3 + p % 3 << "-0" << 1 + p % 9 << R"(-01")"
          << (p % 13 == 0 ? R"(,"end":"2025-06-30")" : "") << "}}\n";
    }
    if (p % 17 == 0) {  // a retraction of the statement
      out << R"({"resourceType":"MedicationStatement","id":"ms-)" << p
          << R"(","meta":{"versionId":"2"},"status":"entered-in-error","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},"subject":{"reference":"Patient/)"
          << id << R"("},"effectiveDateTime":"2024-01-01"})"
          << "\n";
    }
    const char* codes[] = {"38267-1", "38264-8", "24966-4", "41171-0", "62292-8"};
    const char* units[] = {"{T-score}", "{T-score}", "g/cm2", "ng/L", "ng/mL"};
    for (int k = 0; k < 5; ++k) {
      if ((p + k) % 4 == 0) continue;
      const std::string value = k < 2 ? "-" + std::to_string(p % 4) + "." + std::to_string(p % 10)
                                : k == 2 ? "0.8" + std::to_string(p % 10)
                                : k == 3 ? std::to_string(200 + p * 37 % 300)
                                         : std::to_string(8 + p % 40);
      out << R"({"resourceType":"Observation","id":"o)" << k << "-" << p
          << R"(","meta":{"versionId":"1"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":")"
          << codes[k] << R"("}]},"subject":{"reference":"Patient/)" << id
          << R"("},"effectiveDateTime":"202)" << 3 + (p + k) % 3 << "-" << 10 + k % 3 << "-0"
          << 1 + p % 9 << R"(","valueQuantity":{"value":)" << value << R"(,"unit":")" << units[k]
          << R"(","system":"http://unitsofmeasure.org","code":")" << units[k] << R"("}})"
          << "\n";
    }
    if (p % 29 == 0) {  // rejected: no subject
      out << R"({"resourceType":"Observation","id":"bad-)" << p
          << R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"62292-8"}]},"valueQuantity":{"value":20,"unit":"ng/mL"}})"
          << "\n";
    }
    if (p % 31 == 0) {  // a type BoneWatch does not read
      out << R"({"resourceType":"Encounter","id":"enc-)" << p
          << R"(","status":"finished","subject":{"reference":"Patient/)" << id << R"("}})"
          << "\n";
    }
    // Rejected: not a FHIR resource.
    if (p % 97 == 0) out << R"({"id":"typeless-)" << p << "\"}\n";
    if (p % 7 == 0) out << "  \n";
  }
  out << R"({"resourceType":"Medication","id":"late","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]}})"
      << "\n";
  return out.str();
}

// Worker threads change nothing in what evaluate prints, on stdout or stderr.
TEST(EvaluateCommand, OutputDoesNotDependOnTheThreadCount) {
  TempDir dir;
  const std::string path = dir.Write("cohort.ndjson", VariedCohort(1500));
  for (const EvaluateFormat format : {EvaluateFormat::kBundle, EvaluateFormat::kSummary}) {
    std::string reference_out;
    std::string reference_err;
    EvaluateStats reference_stats;
    for (const unsigned threads : {1u, 2u, 3u, 8u}) {
      EvaluateOptions options;
      options.as_of = *rules::Date::Parse("2026-03-01");
      options.format = format;
      options.files = {path};
      options.threads = threads;
      std::ostringstream out;
      std::ostringstream err;
      EvaluateStats stats;
      ASSERT_EQ(RunEvaluate(options, out, err, &stats), 0) << err.str();
      EXPECT_EQ(stats.threads, threads);
      if (threads == 1) {
        reference_out = out.str();
        reference_err = err.str();
        reference_stats = stats;
        EXPECT_GT(stats.patients, 1000u);
        EXPECT_GT(stats.active_findings, 1000u);
        EXPECT_GT(stats.rejected, 0u);
        EXPECT_NE(reference_err, "");
        continue;
      }
      EXPECT_TRUE(out.str() == reference_out) << threads << " threads: stdout differs";
      EXPECT_EQ(err.str(), reference_err) << threads << " threads";
      EXPECT_EQ(stats.resources, reference_stats.resources);
      EXPECT_EQ(stats.in_scope, reference_stats.in_scope);
      EXPECT_EQ(stats.active_findings, reference_stats.active_findings);
      EXPECT_EQ(stats.entries_written, reference_stats.entries_written);
    }
  }
}

// Unusable lines in several batches of lines: every one is reported, in file
// order, whatever the thread count (batches are parsed while the previous one
// is applied), and nothing is printed on stdout.
TEST(EvaluateCommand, BadLinesInSeveralBatchesAreReportedInOrderWithAnyThreadCount) {
  TempDir dir;
  std::istringstream cohort(VariedCohort(1500));
  std::string text;
  std::vector<size_t> bad_lines;
  size_t line_number = 0;
  for (std::string line; std::getline(cohort, line);) {
    text += line + "\n";
    if (++line_number % 1500 == 0) {
      text += "{\"resourceType\":\"Observation\",\n";
      bad_lines.push_back(++line_number);
    }
  }
  ASSERT_GE(bad_lines.size(), 4u);
  const std::string path = dir.Write("cohort.ndjson", text);
  std::string reference_err;
  for (const unsigned threads : {1u, 2u, 3u}) {
    const RunResult run = Evaluate({path}, EvaluateFormat::kBundle, threads);
    EXPECT_EQ(run.code, 1);
    EXPECT_EQ(run.out, "");
    if (threads == 1) {
      reference_err = run.err;
      size_t at = 0;
      for (const size_t bad : bad_lines) {
        const std::string expected = "cohort.ndjson:" + std::to_string(bad) + ": line " +
                                     std::to_string(bad) + ": invalid JSON";
        const size_t found = reference_err.find(expected, at);
        ASSERT_NE(found, std::string::npos) << expected << "\n" << reference_err;
        at = found;
      }
      EXPECT_NE(reference_err.find("rejected: not a FHIR resource"), std::string::npos);
      EXPECT_NE(reference_err.find(std::to_string(bad_lines.size()) + " unusable input(s)"),
                std::string::npos)
          << reference_err;
    } else {
      EXPECT_EQ(run.err, reference_err) << threads << " threads";
    }
  }
}

// Every index of every batch once, with the caller working too; a batch that
// throws fails as a Status and the pool goes on with the next one.
TEST(WorkerPool, RunsEveryIndexOnceAndReportsAThrowingBatch) {
  for (const unsigned threads : {1u, 2u, 4u}) {
    WorkerPool pool(threads);
    EXPECT_TRUE(pool.Wait().ok());  // no batch running
    for (const size_t count : {0u, 1u, 7u, 5000u}) {
      std::vector<int> calls(count, 0);
      pool.Start(count, [&calls](size_t i) { ++calls[i]; });
      ASSERT_TRUE(pool.Wait().ok());
      EXPECT_EQ(std::count(calls.begin(), calls.end(), 1), static_cast<long>(count));
    }
    pool.Start(1000, [](size_t i) {
      if (i == 500) throw std::runtime_error("boom");
    });
    const Status failed = pool.Wait();
    EXPECT_EQ(failed.code(), StatusCode::kInternal);
    EXPECT_EQ(failed.message(), "worker thread failed: boom");
    std::atomic<size_t> sum{0};
    pool.Start(100, [&sum](size_t i) { sum += i; });
    EXPECT_TRUE(pool.Wait().ok());
    EXPECT_EQ(sum.load(), 4950u);
  }
}

// Batches started ahead run in the order started and are waited for oldest
// first, while the caller consumes an earlier one.
TEST(WorkerPool, BatchesStartedAheadAreWaitedForInOrder) {
  for (const unsigned threads : {1u, 2u, 3u}) {
    std::array<std::vector<size_t>, 3> slots;
    WorkerPool pool(threads);
    auto start = [&](size_t batch) {
      std::vector<size_t>& slot = slots[batch % slots.size()];
      slot.assign(batch % 5 == 0 ? 1 : 700, 0);
      pool.Start(slot.size(), [&slot, batch](size_t i) {
        if (batch == 9 && i == 3) throw std::runtime_error("batch 9");
        slot[i] = batch * 1000 + i;
      });
    };
    start(0);
    start(1);
    for (size_t batch = 0; batch < 30; ++batch) {
      const Status status = pool.Wait();
      EXPECT_EQ(status.ok(), batch != 9) << batch;
      start(batch + 2);  // into the slot consumed before this one
      if (batch == 9) continue;
      const std::vector<size_t>& slot = slots[batch % slots.size()];
      for (size_t i = 0; i < slot.size(); ++i) ASSERT_EQ(slot[i], batch * 1000 + i);
    }
  }
}

// Destroying a pool with batches running finishes them first.
TEST(WorkerPool, DestructorFinishesTheRunningBatch) {
  std::vector<int> calls(3000, 0);
  std::vector<int> more(500, 0);
  {
    WorkerPool pool(3);
    pool.Start(calls.size(), [&calls](size_t i) { ++calls[i]; });
    pool.Start(more.size(), [&more](size_t i) { ++more[i]; });
  }
  EXPECT_EQ(std::count(calls.begin(), calls.end(), 1), 3000);
  EXPECT_EQ(std::count(more.begin(), more.end(), 1), 500);
}

// The evaluations of every patient of an NDJSON file, as RunEvaluate makes them.
std::vector<rules::Evaluation> EvaluationsOf(const std::string& path, rules::Date as_of,
                                             const WritebackOptions& writeback) {
  auto rule_set = LoadRuleSetFile(DefaultRuleSetPath(), rules::RuleSet::Defaults());
  auto mapping_set = mappings::LoadMappings(mappings::LoadOptions{
      writeback.base, mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR), ""});
  EXPECT_TRUE(rule_set.ok() && mapping_set.ok());
  const mappings::Mapper mapper(std::move(*mapping_set), mappings::MapperOptions());
  CohortStore store;
  std::ostringstream err;
  InputReader reader(mapper, store, err, writeback.TagSystem());
  reader.ReadFile(path);
  reader.Finish();
  std::vector<rules::Evaluation> evaluations;
  for (std::string_view id : store.SortedPatientIds()) {
    evaluations.push_back(rules::Evaluate(store.Record(id), as_of, *rule_set));
  }
  return evaluations;
}

// The direct renderer writes what the Json builders give, patient by patient,
// for active and completed courses, out-of-scope and retracted patients, with
// the default base and another one.
TEST(EvaluateCommand, DirectRenderingEqualsTheBuilders) {
  TempDir dir;
  const std::string path = dir.Write("cohort.ndjson", VariedCohort(1500));
  for (const std::string base : {"http://bonewatch.example/fhir", "https://x.test/r4"}) {
    WritebackOptions writeback;
    writeback.base = base;
    for (const char* as_of : {"2026-03-01", "2025-08-15"}) {
      const std::vector<rules::Evaluation> evaluations =
          EvaluationsOf(path, *rules::Date::Parse(as_of), writeback);
      ASSERT_GT(evaluations.size(), 1000u);
      const std::string recorded = std::string(as_of) + "T00:00:00Z";
      std::set<rules::Disposition> seen;
      RenderedEntries reused;  // what evaluate does: one text rendered into again and again
      for (const rules::Evaluation& evaluation : evaluations) {
        seen.insert(evaluation.disposition);
        const auto direct = RenderOfflineEntries(evaluation, recorded, writeback);
        const auto built = RenderPatientEntries(
            BuildPatientEntries(WritebackInput{&evaluation, {}}, recorded, writeback));
        ASSERT_TRUE(direct.ok() && built.ok()) << evaluation.patient_id;
        ASSERT_EQ(direct->count, built->count) << evaluation.patient_id;
        ASSERT_EQ(direct->text, built->text) << evaluation.patient_id;
        ASSERT_TRUE(RenderOfflineEntries(evaluation, recorded, writeback, reused).ok());
        ASSERT_EQ(reused.count, built->count) << evaluation.patient_id;
        ASSERT_EQ(reused.text, built->text) << evaluation.patient_id;
      }
      EXPECT_EQ(seen.size(), 4u)
          << "every disposition is covered, as of " << as_of << ": "
          << (seen.count(rules::Disposition::kCompleted) ? "" : "no completed ")
          << (seen.count(rules::Disposition::kRetracted) ? "" : "no retracted ")
          << (seen.count(rules::Disposition::kOutOfScope) ? "" : "no out-of-scope");
    }
  }
}

// The batch reader gives fhir::NdjsonReader's records (line numbers, blank
// lines, "\r\n", a missing last "\n", too long lines and their messages)
// whatever the block size, the line limit and the batch size.
TEST(NdjsonLineReader, SameRecordsAsTheFhirReader) {
  const std::string long_line =
      "{\"resourceType\":\"Patient\",\"id\":\"" + std::string(40, 'x') + "\"}";
  const std::vector<std::string> inputs = {
      "",
      "\n\n  \n",
      "{\"a\":1}",
      "{\"a\":1}\n",
      "{\"a\":1}\r\n\r\n{\"b\":2}\r\n",
      "{\"a\":1}\n\n \t\r\n{bad\n" + long_line + "\n{\"c\":[1,2]}",
      long_line + "\r\n" + long_line,
      long_line + "\n\n" + long_line + "\n" + long_line + "\r\n{}\n",
      "{\"x\":\"" + std::string(30, ' ') + "\"}\r",
  };
  for (const std::string& input : inputs) {
    for (const size_t max_line_bytes :
         {size_t{10}, size_t{12}, size_t{73}, size_t{74}, size_t{1000}}) {
      fhir::NdjsonReader::Options options;
      options.max_line_bytes = max_line_bytes;
      std::istringstream expected_in(input);
      fhir::NdjsonReader expected_reader(expected_in, options);
      std::vector<std::string> expected;
      fhir::NdjsonRecord record;
      while (expected_reader.Next(&record)) {
        expected.push_back(std::to_string(record.line_number) + " " + record.status.message() +
                           " " + (record.ok() ? record.value.Serialize() : ""));
      }
      for (const size_t block : {size_t{1}, size_t{3}, size_t{16}, size_t{4096}}) {
        for (const size_t min_lines : {size_t{1}, size_t{2}, size_t{100}}) {
          std::istringstream in(input);
          NdjsonLineReader reader(in, max_line_bytes, block);
          NdjsonBatch batch;
          std::vector<std::string> actual;
          while (reader.ReadBatch(min_lines, batch)) {
            ASSERT_GE(batch.lines.size(), 1u);
            for (size_t i = 0; i < batch.lines.size(); ++i) {
              ParseNdjsonLine(batch, i, options, record);
              actual.push_back(std::to_string(record.line_number) + " " + record.status.message() +
                               " " + (record.ok() ? record.value.Serialize() : ""));
            }
          }
          EXPECT_EQ(actual, expected) << "input '" << input << "' max " << max_line_bytes
                                      << " block " << block << " min_lines " << min_lines;
          EXPECT_EQ(reader.lines_read(), expected_reader.lines_read()) << input;
        }
      }
    }
  }
}

// A bad line in a later batch of lines: reported by line number, nothing printed.
TEST(EvaluateCommand, BadNdjsonLineInALaterBatchFailsWithAnyThreadCount) {
  TempDir dir;
  std::string text = VariedCohort(400);
  text += "{not json\n";
  const std::string path = dir.Write("cohort.ndjson", text);
  const auto lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  for (const unsigned threads : {1u, 4u}) {
    const RunResult run = Evaluate({path}, EvaluateFormat::kBundle, threads);
    EXPECT_EQ(run.code, 1);
    EXPECT_EQ(run.out, "");
    EXPECT_NE(run.err.find("cohort.ndjson:" + std::to_string(lines) + ": line " +
                           std::to_string(lines) + ": invalid JSON"),
              std::string::npos)
        << run.err;
  }
}

// Discards output, counting bytes.
class CountingBuffer : public std::streambuf {
 public:
  size_t bytes = 0;

 protected:
  int_type overflow(int_type c) override {
    ++bytes;
    return c;
  }
  std::streamsize xsputn(const char*, std::streamsize n) override {
    bytes += static_cast<size_t>(n);
    return n;
  }
};

long PeakRssKb() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// >= 50k resources in one NDJSON file, grouped by type as a Bulk Data export is (every
// patient's resources far apart): memory must stay far below a DOM of the file.
TEST(EvaluateCommand, LargeNdjsonStreamsWithBoundedMemory) {
  TempDir dir;
  constexpr int kPatients = 15000;
  const fs::path path = dir.path() / "cohort.ndjson";
  {
    std::ofstream out(path, std::ios::binary);
    for (int p = 0; p < kPatients; ++p) {
      out << R"({"resourceType":"Patient","id":"patient-)" << p
          << R"(","gender":"female","birthDate":"1960-01-01"})"
          << "\n";
    }
    for (int p = 0; p < kPatients; ++p) {
      out << AiStatement("ms-" + std::to_string(p), "patient-" + std::to_string(p)) << "\n";
    }
    const char* codes[] = {"38267-1", "38264-8"};
    for (int k = 0; k < 2; ++k) {
      for (int p = 0; p < kPatients; ++p) {
        out << R"({"resourceType":"Observation","id":"t)" << k << "-" << p
            << R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")"
            << codes[k] << R"("}]},"subject":{"reference":"Patient/patient-)" << p
            << R"("},"effectiveDateTime":"2025-09-20","valueQuantity":{"value":-)" << (p % 30) / 10
            << "." << p % 10 << R"(,"unit":"{T-score}","system":"http://unitsofmeasure.org"}})"
            << "\n";
      }
    }
    for (int p = 0; p < kPatients; ++p) {
      out << R"({"resourceType":"Observation","id":"vd-)" << p
          << R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"62292-8"}]},"subject":{"reference":"Patient/patient-)"
          << p << R"("},"effectiveDateTime":"2026-01-15","valueQuantity":{"value":)" << 10 + p % 30
          << R"(,"unit":"ng/mL"}})"
          << "\n";
      out << R"({"resourceType":"Encounter","id":"enc-)" << p
          << R"(","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/patient-)"
          << p << R"("}})"
          << "\n";
    }
  }
  const auto file_bytes = static_cast<long>(fs::file_size(path));
  EvaluateOptions options;
  options.as_of = *rules::Date::Parse("2026-03-01");
  options.format = EvaluateFormat::kBundle;
  options.files = {path.string()};
  CountingBuffer sink;
  std::ostream out(&sink);
  std::ostringstream err;
  EvaluateStats stats;
  const long before_kb = PeakRssKb();
  ASSERT_EQ(RunEvaluate(options, out, err, &stats), 0) << err.str();
  const long growth_kb = PeakRssKb() - before_kb;
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(stats.resources, 6u * kPatients);
  EXPECT_EQ(stats.patients, static_cast<uint64_t>(kPatients));
  EXPECT_EQ(stats.in_scope, static_cast<uint64_t>(kPatients));
  EXPECT_GT(stats.active_findings, static_cast<uint64_t>(kPatients));
  EXPECT_GT(sink.bytes, static_cast<size_t>(file_bytes));  // the whole bundle was printed
  // The input file is ~20 MB; our Json DOM of it would take several times that. The packed
  // cohort (4 facts and one course a patient) takes a few MB. AddressSanitizer's quarantine
  // keeps freed memory resident, so the bound only holds in a normal build.
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(growth_kb, 64 * 1024) << "peak RSS grew by " << growth_kb << " kB for a "
                                  << file_bytes / 1024 << " kB file";
#endif
  RecordProperty("peak_rss_growth_kb", std::to_string(growth_kb));
  RecordProperty("file_kb", std::to_string(file_bytes / 1024));
}

}  // namespace
}  // namespace bonewatch::adapter
