// fhir::Json::Parse over the lines of the evaluate bench cohort, against a plain RapidJSON
// DOM parse of the same lines (the floor), in resources/s (items_per_second);
// destroying the parsed trees alone; and mappings::Mapper::Map alone over the
// same lines, parsed beforehand.
//
// Reads the first BONEWATCH_BENCH_LINES lines (default 100000) of
// $TMPDIR/bonewatch-bench/cohort-<BONEWATCH_BENCH_PATIENTS, default 100000>.ndjson, which
// evaluate_bench generates; run that once first. From a Release build:
//   cmake --build build-release --target json_parse_bench evaluate_bench
//   build-release/tests/bench/json_parse_bench
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapper.h"

namespace {

const std::vector<std::string>& Lines() {
  static const std::vector<std::string>* const lines = [] {
    const char* env_lines = std::getenv("BONEWATCH_BENCH_LINES");
    const char* env_patients = std::getenv("BONEWATCH_BENCH_PATIENTS");
    const char* tmp = std::getenv("TMPDIR");
    const std::size_t wanted = env_lines != nullptr ? std::strtoul(env_lines, nullptr, 10) : 100000;
    const std::string path = std::string(tmp != nullptr ? tmp : "/tmp") +
                             "/bonewatch-bench/cohort-" +
                             (env_patients != nullptr ? env_patients : "100000") + ".ndjson";
    auto* out = new std::vector<std::string>();
    std::ifstream in(path);
    std::string line;
    while (out->size() < wanted && std::getline(in, line)) out->push_back(line);
    if (out->empty()) std::cerr << "no lines in " << path << " (run evaluate_bench first)\n";
    return out;
  }();
  return *lines;
}

void BM_JsonParse(benchmark::State& state) {
  const auto& lines = Lines();
  for (auto _ : state) {
    for (const std::string& line : lines) {
      auto parsed = bonewatch::fhir::Json::Parse(line);
      if (!parsed.ok()) state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(parsed);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}
BENCHMARK(BM_JsonParse)->Unit(benchmark::kMillisecond);

// Destroying the parsed trees alone (parsing them is not timed).
void BM_JsonDestroy(benchmark::State& state) {
  const auto& lines = Lines();
  std::vector<bonewatch::fhir::Json> trees;
  trees.reserve(lines.size());
  for (auto _ : state) {
    state.PauseTiming();
    for (const std::string& line : lines) trees.push_back(*bonewatch::fhir::Json::Parse(line));
    state.ResumeTiming();
    trees.clear();
    benchmark::DoNotOptimize(trees.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}
BENCHMARK(BM_JsonDestroy)->Unit(benchmark::kMillisecond);

void BM_RapidJsonDocument(benchmark::State& state) {
  const auto& lines = Lines();
  for (auto _ : state) {
    for (const std::string& line : lines) {
      rapidjson::Document doc;
      doc.Parse(line.data(), line.size());
      if (doc.HasParseError()) state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(doc);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}
BENCHMARK(BM_RapidJsonDocument)->Unit(benchmark::kMillisecond);

void BM_MapperMap(benchmark::State& state) {
  using namespace bonewatch::mappings;  // NOLINT(google-build-using-namespace)
  auto set = LoadMappings(
      LoadOptions{std::string(kDefaultBase), DefaultMappingsDir(BONEWATCH_SOURCE_DIR), ""});
  if (!set.ok()) {
    state.SkipWithError(set.status().message().c_str());
    return;
  }
  Mapper mapper(*set, MapperOptions{});
  std::vector<bonewatch::fhir::Json> resources;
  for (const std::string& line : Lines()) resources.push_back(*bonewatch::fhir::Json::Parse(line));
  for (auto _ : state) {
    for (const bonewatch::fhir::Json& resource : resources) {
      MapResult result = mapper.Map(resource);
      benchmark::DoNotOptimize(result);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(resources.size()));
}
BENCHMARK(BM_MapperMap)->Unit(benchmark::kMillisecond);

}  // namespace
