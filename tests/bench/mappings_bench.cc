// Mapping throughput: NDJSON of >= 100k mixed resources (generated once into
// a temp file), streamed through fhir::NdjsonReader and mappings::Mapper.
// Counters: resources/s and bytes/s (MB/s), parse included.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bonewatch/fhir/ndjson.h"
#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapper.h"

namespace bonewatch::mappings {
namespace {

constexpr int kResources = 120000;

std::string Resource(int i) {
  const std::string id = std::to_string(i);
  const std::string subject =
      R"("subject":{"reference":"Patient/p)" + std::to_string(i % 5000) + R"("})";
  switch (i % 8) {
    case 0:
      return R"({"resourceType":"Observation","id":"o)" + id +
             R"(","meta":{"versionId":"1"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"41171-0"}]},)" +
             subject +
             R"(,"effectiveDateTime":"2024-03-05T08:15:00+01:00","valueQuantity":{"value":0.412,"unit":"ng/mL","system":"http://unitsofmeasure.org","code":"ng/mL"}})";
    case 1:
      return R"({"resourceType":"Observation","id":"p)" + id +
             R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"83311-1"}]},)" +
             subject +
             R"(,"effectiveDateTime":"2024-03-05","bodySite":{"coding":[{"system":"http://snomed.info/sct","code":"24136001"}]},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"38263-0"}]},"valueQuantity":{"value":-2.1,"unit":"{T-score}","system":"http://unitsofmeasure.org","code":"{T-score}"}},{"code":{"coding":[{"system":"http://loinc.org","code":"24701-5"}]},"valueQuantity":{"value":0.73,"unit":"g/cm2","system":"http://unitsofmeasure.org","code":"g/cm2"}}]})";
    case 2:
      return R"({"resourceType":"Observation","id":"u)" + id +
             R"(","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},)" +
             subject +
             R"(,"effectiveDateTime":"2024-03-05T08:15:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}})";
    case 3:
      return R"({"resourceType":"MedicationRequest","id":"m)" + id +
             R"(","status":"completed","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"199224"}]},)" +
             subject +
             R"(,"authoredOn":"2023-11-02T10:00:00-05:00","dispenseRequest":{"numberOfRepeatsAllowed":2,"expectedSupplyDuration":{"value":30,"unit":"days","system":"http://unitsofmeasure.org","code":"d"}}})";
    case 4:
      return R"({"resourceType":"MedicationStatement","id":"s)" + id +
             R"(","status":"active","contained":[{"resourceType":"Medication","id":"med","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"8640"}]}}],"medicationReference":{"reference":"#med"},)" +
             subject +
             R"(,"effectivePeriod":{"start":"2024-01-01"},"dosage":[{"route":{"coding":[{"system":"http://snomed.info/sct","code":"26643006"}]}}]})";
    case 5:
      return R"({"resourceType":"Condition","id":"c)" + id +
             R"(","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"M80.08XA"}]},)" +
             subject + R"(,"onsetDateTime":"2019-06-01"})";
    case 6:
      return R"({"resourceType":"Procedure","id":"d)" + id +
             R"(","status":"completed","code":{"coding":[{"system":"http://snomed.info/sct","code":"312681000"}]},)" +
             subject +
             R"(,"performedPeriod":{"start":"2024-02-20T10:00:00Z","end":"2024-02-20T10:20:00Z"}})";
    default:
      return R"({"resourceType":"Encounter","id":"e)" + id +
             R"(","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},)" +
             subject +
             R"(,"period":{"start":"2024-03-05T08:00:00Z","end":"2024-03-05T08:30:00Z"}})";
  }
}

const std::filesystem::path& NdjsonFile() {
  static const std::filesystem::path path = [] {
    auto p = std::filesystem::temp_directory_path() / "bonewatch_mappings_bench.ndjson";
    std::ofstream out(p, std::ios::binary);
    for (int i = 0; i < kResources; ++i) out << Resource(i) << '\n';
    return p;
  }();
  return path;
}

void BM_MapNdjson(benchmark::State& state) {
  auto set = LoadMappings(
      LoadOptions{std::string(kDefaultBase), DefaultMappingsDir(BONEWATCH_SOURCE_DIR), ""});
  if (!set.ok()) {
    state.SkipWithError(set.status().message().c_str());
    return;
  }
  Mapper mapper(*set, MapperOptions{});
  const auto& path = NdjsonFile();
  const auto bytes = static_cast<int64_t>(std::filesystem::file_size(path));
  int64_t resources = 0;
  int64_t facts = 0;
  for (auto _ : state) {
    std::ifstream in(path, std::ios::binary);
    fhir::NdjsonReader reader(in);
    fhir::NdjsonRecord record;
    while (reader.Next(&record)) {
      if (!record.ok()) continue;
      MapResult result = mapper.Map(record.value);
      facts += static_cast<int64_t>(result.facts.size() + result.medications.size() +
                                    result.risk_factors.size());
      ++resources;
    }
  }
  state.SetBytesProcessed(bytes * state.iterations());
  state.counters["resources_per_s"] =
      benchmark::Counter(static_cast<double>(resources), benchmark::Counter::kIsRate);
  state.counters["MB_per_s"] =
      benchmark::Counter(static_cast<double>(bytes) * static_cast<double>(state.iterations()) / 1e6,
                         benchmark::Counter::kIsRate);
  state.counters["resources_per_iter"] =
      static_cast<double>(resources) / static_cast<double>(state.iterations());
  state.counters["outputs_per_iter"] =
      static_cast<double>(facts) / static_cast<double>(state.iterations());
  state.counters["file_MB"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_MapNdjson)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace
}  // namespace bonewatch::mappings
