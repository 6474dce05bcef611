// `bonewatch evaluate` end to end over a generated NDJSON cohort, against a plain RapidJSON
// DOM parse of the same file (the floor: reading the JSON at all).
//
// The cohort (BONEWATCH_BENCH_PATIENTS patients, default 100000, 10 resources each: Patient,
// an anastrozole MedicationStatement, 2 DXA sessions with T-scores and a BMD, 2 CTX, a
// vitamin D and an Encounter) is generated once into $TMPDIR/bonewatch-bench/ (default /tmp)
// and reused. Run from a Release build:
//   cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBONEWATCH_BUILD_BENCHMARKS=ON
//   cmake --build build-release --target evaluate_bench
//   build-release/tests/bench/evaluate_bench
// Each benchmark reports resources/s (items_per_second); the evaluate run also reports the
// process's peak RSS (ru_maxrss) after it, in MB, and evaluate's worker thread count
// (BONEWATCH_BENCH_THREADS, default 0: one per CPU). The CPU column is the whole process's
// CPU time, all threads included; on a shared machine compare it with the wall time.
// RapidJSON appears here only, as the baseline.
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <streambuf>
#include <string>

#include "evaluate_command.h"

namespace {

namespace fs = std::filesystem;

constexpr int kResourcesPerPatient = 10;

int Patients() {
  const char* env = std::getenv("BONEWATCH_BENCH_PATIENTS");
  return env != nullptr ? std::max(1, std::atoi(env)) : 100000;
}

std::string Pad(int p) {
  std::string s = std::to_string(p);
  return std::string(s.size() < 7 ? 7 - s.size() : 0, '0') + s;
}

void WriteObservation(std::ofstream& out, const std::string& id, const std::string& patient,
                      const char* code, const std::string& value, const char* unit,
                      const char* date) {
  out << R"({"resourceType":"Observation","id":")" << id
      << R"(","meta":{"versionId":"1"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":")"
      << code << R"("}]},"subject":{"reference":"Patient/)" << patient
      << R"("},"effectiveDateTime":")" << date << R"(T09:30:00Z","valueQuantity":{"value":)"
      << value << R"(,"unit":")" << unit << R"(","system":"http://unitsofmeasure.org","code":")"
      << unit << R"("}})"
      << "\n";
}

// One line per resource, patients interleaved the way a per-type Bulk Data export is not:
// every patient's resources together (the generator is simpler; the reader does not care).
fs::path Cohort() {
  const int patients = Patients();
  const char* tmp = std::getenv("TMPDIR");
  const fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / "bonewatch-bench";
  const fs::path path = dir / ("cohort-" + std::to_string(patients) + ".ndjson");
  if (fs::exists(path)) return path;
  fs::create_directories(dir);
  const fs::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    for (int p = 0; p < patients; ++p) {
      const std::string id = "pt-" + Pad(p);
      out << R"({"resourceType":"Patient","id":")" << id
          << R"(","meta":{"versionId":"1"},"gender":"female","birthDate":")" << 1950 + p % 30
          << "-0" << 1 + p % 9 << R"(-15","name":[{"family":"Bench","given":["P)" << p << R"("]}]})"
          << "\n";
      out << R"({"resourceType":"MedicationStatement","id":"ms-)" << Pad(p)
          << R"(","meta":{"versionId":"1"},"status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"199224","display":"anastrozole 1 MG Oral Tablet"}]},"subject":{"reference":"Patient/)"
          << id << R"("},"effectiveDateTime":"2024-0)" << 1 + p % 9 << R"(-10"})"
          << "\n";
      const std::string t1 = "-" + std::to_string(p % 3) + "." + std::to_string(p % 10);
      const std::string t2 = "-" + std::to_string((p + 1) % 3) + "." + std::to_string(p % 7);
      WriteObservation(out, "t1-" + Pad(p), id, "38267-1", t1, "{T-score}", "2023-12-01");
      WriteObservation(out, "t2-" + Pad(p), id, "38264-8", t1, "{T-score}", "2023-12-01");
      WriteObservation(out, "t3-" + Pad(p), id, "38267-1", t2, "{T-score}", "2025-11-20");
      WriteObservation(out, "b1-" + Pad(p), id, "24966-4", "0.9" + std::to_string(p % 10), "g/cm2",
                       "2025-11-20");
      WriteObservation(out, "c1-" + Pad(p), id, "41171-0", std::to_string(250 + p % 200), "ng/L",
                       "2024-01-02");
      WriteObservation(out, "vd-" + Pad(p), id, "62292-8", std::to_string(12 + p % 30), "ng/mL",
                       "2025-12-01");
      out << R"({"resourceType":"Encounter","id":"en-)" << Pad(p)
          << R"(","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/)"
          << id << R"("},"period":{"start":"2025-11-20T09:00:00Z"}})"
          << "\n";
      // Filler to reach 10 resources: an unrelated lab the mappings ignore.
      WriteObservation(out, "hb-" + Pad(p), id, "718-7", "13.1", "g/dL", "2025-11-20");
    }
  }
  fs::rename(partial, path);
  return path;
}

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

double PeakRssMb() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

void BM_EvaluateEndToEnd(benchmark::State& state) {
  const fs::path path = Cohort();
  bonewatch::adapter::EvaluateOptions options;
  options.as_of = *bonewatch::rules::Date::Parse("2026-03-01");
  options.format = state.range(0) == 0 ? bonewatch::adapter::EvaluateFormat::kBundle
                                       : bonewatch::adapter::EvaluateFormat::kSummary;
  options.files = {path.string()};
  // BONEWATCH_BENCH_THREADS: evaluate's worker threads (default 0: one per CPU).
  if (const char* threads = std::getenv("BONEWATCH_BENCH_THREADS")) {
    options.threads = static_cast<unsigned>(std::max(0, std::atoi(threads)));
  }
  bonewatch::adapter::EvaluateStats stats;
  size_t out_bytes = 0;
  for (auto _ : state) {
    CountingBuffer sink;
    std::ostream out(&sink);
    if (bonewatch::adapter::RunEvaluate(options, out, std::cerr, &stats) != 0) {
      state.SkipWithError("evaluate failed");
      return;
    }
    out_bytes = sink.bytes;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stats.resources));
  state.counters["resources"] = static_cast<double>(stats.resources);
  state.counters["patients"] = static_cast<double>(stats.patients);
  state.counters["findings"] = static_cast<double>(stats.active_findings);
  state.counters["output_MB"] = static_cast<double>(out_bytes) / 1e6;
  state.counters["threads"] = static_cast<double>(stats.threads);
  state.counters["peak_rss_MB"] = PeakRssMb();
}

void BM_RapidJsonDomParse(benchmark::State& state) {
  const fs::path path = Cohort();
  int64_t lines = 0;
  for (auto _ : state) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    lines = 0;
    while (std::getline(in, line)) {
      rapidjson::Document document;
      document.Parse(line.data(), line.size());
      if (document.HasParseError()) {
        state.SkipWithError("parse error");
        return;
      }
      benchmark::DoNotOptimize(document.IsObject());
      ++lines;
    }
  }
  state.SetItemsProcessed(state.iterations() * lines);
  state.counters["resources"] = static_cast<double>(lines);
  state.counters["peak_rss_MB"] = PeakRssMb();
}

// Evaluate first, so that its peak RSS is not inflated by anything run before it.
// The CPU column is the whole process's CPU time (all evaluate threads).
BENCHMARK(BM_EvaluateEndToEnd)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_RapidJsonDomParse)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
