// The offline write-back output of `bonewatch evaluate` alone: RenderOfflineEntries over the
// evaluations of a cohort (made once, before timing), and the same followed by
// TransactionWriter::AddRendered into a stream that discards the bytes.
//
// Cohorts: the bench cohort of evaluate_bench ($TMPDIR/bonewatch-bench/cohort-N.ndjson, made
// by evaluate_bench; BONEWATCH_BENCH_RENDER_PATIENTS picks N, default 2000) and the varied
// tests/data/sample-cohort.ndjson. Run from a Release build:
//   cmake --build build-release --target render_bench evaluate_bench
//   build-release/tests/bench/render_bench
// Each benchmark reports patients/s (items_per_second) and the output bytes per patient. Its
// argument is how many of the cohort's patients are rendered, over and over: 256 (evaluate's
// batch per thread, whose evaluations are fresh in the caches when rendered) or all.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <streambuf>
#include <string>
#include <vector>

#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapper.h"
#include "bonewatch/mappings/mapping_set.h"
#include "bonewatch/rules/evaluator.h"
#include "evaluate_command_cohort.h"
#include "evaluate_command_input.h"
#include "ruleset_file.h"
#include "writeback_render.h"
#include "writeback_transaction.h"

namespace {

namespace fs = std::filesystem;
using namespace bonewatch;  // NOLINT(google-build-using-namespace): a benchmark file

const char kAsOf[] = "2026-03-01";

std::string BenchCohort() {
  const char* env = std::getenv("BONEWATCH_BENCH_RENDER_PATIENTS");
  const char* tmp = std::getenv("TMPDIR");
  return (fs::path(tmp != nullptr ? tmp : "/tmp") / "bonewatch-bench" /
          ("cohort-" + std::string(env != nullptr ? env : "2000") + ".ndjson"))
      .string();
}

std::string SampleCohort() {
  return std::string(BONEWATCH_SOURCE_DIR) + "/tests/data/sample-cohort.ndjson";
}

// The evaluations of every patient of `path`, as RunEvaluate makes them.
std::vector<rules::Evaluation> Evaluations(const std::string& path) {
  std::vector<rules::Evaluation> evaluations;
  const adapter::WritebackOptions writeback;
  auto rule_set =
      adapter::LoadRuleSetFile(adapter::DefaultRuleSetPath(), rules::RuleSet::Defaults());
  auto mapping_set = mappings::LoadMappings(mappings::LoadOptions{
      writeback.base, mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR), ""});
  if (!rule_set.ok() || !mapping_set.ok() || !fs::exists(path)) return evaluations;
  const mappings::Mapper mapper(std::move(*mapping_set), mappings::MapperOptions());
  adapter::CohortStore store;
  adapter::InputReader reader(mapper, store, std::cerr, writeback.TagSystem());
  reader.ReadFile(path);
  reader.Finish();
  for (std::string_view id : store.SortedPatientIds()) {
    evaluations.push_back(rules::Evaluate(store.Record(id), *rules::Date::Parse(kAsOf), *rule_set));
  }
  return evaluations;
}

class DiscardingBuffer : public std::streambuf {
 protected:
  int_type overflow(int_type c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

void Render(benchmark::State& state, const std::string& path, bool write) {
  std::vector<rules::Evaluation> evaluations = Evaluations(path);
  if (state.range(0) > 0 && evaluations.size() > static_cast<size_t>(state.range(0))) {
    evaluations.resize(static_cast<size_t>(state.range(0)));
  }
  if (evaluations.empty()) {
    state.SkipWithError(("no patients in " + path + " (run evaluate_bench first)").c_str());
    return;
  }
  const adapter::WritebackOptions writeback;
  const std::string recorded = std::string(kAsOf) + "T00:00:00Z";
  DiscardingBuffer sink;
  std::ostream out(&sink);
  size_t bytes = 0;
  for (auto _ : state) {
    adapter::TransactionWriter bundle(out, writeback);
    bytes = 0;
    for (const rules::Evaluation& evaluation : evaluations) {
      auto rendered = adapter::RenderOfflineEntries(evaluation, recorded, writeback);
      if (!rendered.ok()) {
        state.SkipWithError(rendered.status().message().c_str());
        return;
      }
      bytes += rendered->text.size();
      if (write) bundle.AddRendered(*rendered);
      benchmark::DoNotOptimize(rendered->text.data());
    }
    if (write) bundle.Finish();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(evaluations.size()));
  state.counters["bytes_per_patient"] =
      static_cast<double>(bytes) / static_cast<double>(evaluations.size());
}

void BM_RenderBenchCohort(benchmark::State& state) { Render(state, BenchCohort(), false); }
void BM_RenderAndWriteBenchCohort(benchmark::State& state) { Render(state, BenchCohort(), true); }
void BM_RenderSampleCohort(benchmark::State& state) { Render(state, SampleCohort(), false); }

BENCHMARK(BM_RenderBenchCohort)->Arg(256)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderAndWriteBenchCohort)->Arg(256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderSampleCohort)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
