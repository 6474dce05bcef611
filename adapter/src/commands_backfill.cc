#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>

#include "bonewatch/fhir/datetime.h"
#include "commands.h"
#include "ingest_history.h"
#include "run_services.h"

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kUsage = "usage: bonewatch backfill --config FILE [--batch N]\n";

using Steady = std::chrono::steady_clock;

// "system|code,..." of every aromatase-inhibitor code in the mappings for `type`.
std::string AromataseInhibitorCodes(const mappings::MappingSet& mappings, const std::string& type) {
  std::string list;
  for (const mappings::Criteria& criteria : mappings.CriteriaLists()) {
    if (criteria.resource_type != type) continue;
    for (const mappings::CriteriaCode& code : criteria.codes) {
      const mappings::MedicationMapping* m = mappings.FindMedication(code.system, code.code);
      if (m == nullptr || m->medication_class != rules::MedicationClass::kAromataseInhibitor) {
        continue;
      }
      if (!list.empty()) list += ",";
      list += code.system + "|" + code.code;
    }
  }
  return list;
}

std::string PatientIdOf(const fhir::Json& resource) {
  const fhir::Json* ref = resource.At({"subject", "reference"});
  if (ref == nullptr || !ref->is_string()) return "";
  const std::string& text = ref->AsString();
  const size_t at = text.rfind("Patient/");
  if (at == std::string::npos) return "";
  std::string id = text.substr(at + 8);
  if (auto slash = id.find('/'); slash != std::string::npos) id.resize(slash);
  return id;
}

StatusOr<std::set<std::string>> InScopePatients(DaemonServices& s) {
  std::set<std::string> ids;
  std::vector<std::string> types = {"MedicationStatement"};
  if (s.config->inputs.medication_request) types.push_back("MedicationRequest");
  for (const std::string& type : types) {
    const std::string codes = AromataseInhibitorCodes(s.mapper->mappings(), type);
    if (codes.empty()) continue;
    // Page by page, keeping only the patient ids: the resources of 100k
    // patients held at once would cost ~200 MB.
    Status searched = s.client->SearchEach(type, {{"code", codes}, {"_count", "1000"}},
                                           [&ids](std::vector<fhir::Json>& page) {
                                             for (const fhir::Json& resource : page) {
                                               std::string id = PatientIdOf(resource);
                                               if (!id.empty()) ids.insert(std::move(id));
                                             }
                                             return Status::Ok();
                                           });
    if (!searched.ok()) return searched;
  }
  return ids;
}

// The patient's relevant history (FetchPatientHistory) as one collection Bundle.
StatusOr<fhir::Json> FetchHistory(DaemonServices& s, const std::string& patient_id) {
  auto resources = FetchPatientHistory(*s.client, patient_id, s.config->inputs,
                                       s.mapper->mappings().CriteriaLists());
  if (!resources.ok()) return resources.status();
  fhir::Json entries = fhir::Json::Array();
  for (fhir::Json& resource : *resources) {
    entries.Push(fhir::Json::Object().Set("resource", std::move(resource)));
  }
  return fhir::Json::Object()
      .Set("resourceType", "Bundle")
      .Set("type", "collection")
      .Set("entry", std::move(entries));
}

void Progress(size_t done, size_t total, Steady::time_point started, bool final_line) {
  const double seconds = std::chrono::duration<double>(Steady::now() - started).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  std::fprintf(stderr, "\rbackfill: %zu/%zu patients, %.1f/s, ETA %.0f s   %s", done, total, rate,
               eta, final_line ? "\n" : "");
  std::fflush(stderr);
}

// Processes the inbox and evaluates until both are empty.
Status Drain(DaemonServices& s) {
  for (;;) {
    auto processed = s.pipeline->ProcessInbox(100);
    if (!processed.ok()) return processed.status();
    if (*processed == 0) break;
  }
  for (;;) {
    auto evaluated = s.pipeline->EvaluateDirty(50);
    if (!evaluated.ok()) return evaluated.status();
    if (*evaluated == 0) break;
  }
  return Status();
}

}  // namespace

int BackfillCommand(const std::vector<std::string_view>& args) {
  std::string config_path;
  size_t batch = 20;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--batch" && i + 1 < args.size()) {
      batch = std::max<size_t>(1, std::stoul(std::string(args[++i])));
    } else {
      std::cerr << "bonewatch backfill: unexpected argument '" << args[i] << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  ServicesOptions options;
  options.config_path = config_path;
  options.log_level = LogLevel::kWarning;
  auto opened = OpenServices(options);
  if (!opened.ok()) {
    std::cerr << "bonewatch backfill: " << opened.status().message() << "\n";
    return opened.status().code() == StatusCode::kInvalidArgument ? kExitConfig : 1;
  }
  DaemonServices& s = **opened;
  const Config& c = *s.config;
  // History comes from this command (FetchHistory), not from the pipeline's first-seen hook.
  s.pipeline = std::make_unique<Pipeline>(PipelineDeps{c,
                                                       *s.store,
                                                       *s.client,
                                                       *s.mapper,
                                                       s.ruleset,
                                                       s.metrics,
                                                       *s.logger,
                                                       s.eval_clock(),
                                                       HistoryFetch(),
                                                       {}});
  auto patients = InScopePatients(s);
  if (!patients.ok()) {
    std::cerr << "bonewatch backfill: finding in-scope patients: " << patients.status().message()
              << "\n";
    return 1;
  }
  const size_t total = patients->size();
  const auto started = Steady::now();
  size_t done = 0;
  size_t failed = 0;
  std::vector<std::string> pending;
  auto flush = [&]() -> bool {
    if (Status drained = Drain(s); !drained.ok()) {
      std::cerr << "\nbonewatch backfill: " << drained.message() << "\n";
      return false;
    }
    for (const std::string& id : pending) (void)s.store->SetHistoryFetched(id);
    done += pending.size();
    pending.clear();
    Progress(done, total, started, false);
    return true;
  };
  Progress(0, total, started, false);
  for (const std::string& id : *patients) {
    auto history = FetchHistory(s, id);
    if (!history.ok()) {
      std::cerr << "\nbonewatch backfill: Patient/" << id << ": " << history.status().message()
                << "\n";
      ++failed;
      continue;
    }
    InboxItem item;
    item.received_at = fhir::FormatInstant(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               s.system_clock.Now().time_since_epoch())
                                               .count());
    item.origin = "backfill";
    item.headers_json = "{}";
    item.body = history->Serialize();
    item.hint = "Patient/" + id;
    if (auto queued = s.store->Enqueue(item); !queued.ok()) {
      std::cerr << "\nbonewatch backfill: " << queued.status().message() << "\n";
      return 1;
    }
    pending.push_back(id);
    if (pending.size() >= batch && !flush()) return 1;
  }
  if (!flush()) return 1;
  Progress(done, total, started, true);
  std::cout << "backfill: " << done << " patient(s) loaded, " << failed << " failed; "
            << s.metrics.Total("bonewatch_evaluations_total")
            << " evaluation(s), writes: " << s.metrics.Total("bonewatch_writes_total") << "\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace bonewatch::adapter
