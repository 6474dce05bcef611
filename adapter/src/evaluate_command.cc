#include "evaluate_command.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <iostream>
#include <optional>

#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapper.h"
#include "bonewatch/mappings/mapping_set.h"
#include "bonewatch/rules/evaluator.h"
#include "evaluate_command_cohort.h"
#include "evaluate_command_input.h"
#include "evaluate_command_parallel.h"
#include "evaluate_command_summary.h"
#include "ruleset_file.h"
#include "writeback_render.h"
#include "writeback_transaction.h"

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kEvaluateUsage =
    "usage: bonewatch evaluate [--as-of YYYY-MM-DD] [--format bundle|summary]\n"
    "                          [--rules FILE] [--mappings DIR] [--base URL]\n"
    "                          [--threads N] [--time-zone ZONE] FILE...\n"
    "  FILE: a FHIR Bundle (.json, any type) or NDJSON (.ndjson)\n"
    "  --as-of     evaluation date (default: today in --time-zone)\n"
    "  --format    bundle: the transaction Bundle BoneWatch would write (default)\n"
    "              summary: a table of active findings per patient\n"
    "  --rules     rule thresholds over rules/default-rules.json\n"
    "  --mappings  local mapping files over mappings/default\n"
    "  --base      canonical base of written identifiers and codes\n"
    "              (default http://bonewatch.example/fhir)\n"
    "  --threads   worker threads (default: one per CPU); the output is the same\n"
    "  --time-zone the zone of calendar dates: an IANA name (Europe/Berlin) or\n"
    "              a fixed offset (+01:00); default UTC, as the daemon's timeZone\n";

// Patients per worker thread in one batch: enough to keep the threads busy,
// few enough that a batch's rendered output stays a few tens of MB.
constexpr size_t kPatientsPerThreadBatch = 256;
// Batches evaluated ahead of the one written: enough that the workers keep
// busy while the writing thread is slow for a while (a full pipe).
constexpr size_t kBatchesAhead = 2;

StatusOr<rules::RuleSet> LoadRules(const EvaluateOptions& options) {
  ASSIGN_OR_RETURN(rules::RuleSet rules,
                   LoadRuleSetFile(DefaultRuleSetPath(), rules::RuleSet::Defaults()));
  if (!options.rules_file.empty()) {
    ASSIGN_OR_RETURN(rules, LoadRuleSetFile(options.rules_file, rules));
  }
  return rules;
}

rules::Date Today(const fhir::TimeZone& zone) {
  const fhir::LocalDate d = zone.LocalDateAt(std::chrono::system_clock::now());
  return rules::Date::FromYmd(d.year, d.month, d.day);
}

}  // namespace

int RunEvaluate(const EvaluateOptions& options, std::ostream& out, std::ostream& err,
                EvaluateStats* stats) {
  auto rule_set = LoadRules(options);
  if (!rule_set.ok()) {
    err << "bonewatch evaluate: " << rule_set.status().message() << "\n";
    return 1;
  }
  auto mapping_set = mappings::LoadMappings(mappings::LoadOptions{
      options.writeback.base, mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR),
      options.mappings_dir});
  if (!mapping_set.ok()) {
    err << "bonewatch evaluate: mappings: " << mapping_set.status().message() << "\n";
    return 1;
  }
  mappings::MapperOptions mapper_options;
  mapper_options.time_zone = options.time_zone;
  const mappings::Mapper mapper(std::move(*mapping_set), mapper_options);

  CohortStore store;
  const unsigned threads = ResolveThreadCount(options.threads);
  InputReader reader(mapper, store, err, options.writeback.TagSystem(), threads);
  for (const std::string& file : options.files) reader.ReadFile(file);
  reader.Finish();
  const InputCounts& counts = reader.counts();
  if (counts.rejected > 0) {
    err << "bonewatch evaluate: " << counts.rejected << " resource(s) rejected\n";
  }
  if (counts.unusable > 0) {
    err << "bonewatch evaluate: " << counts.unusable
        << " unusable input(s); nothing was evaluated\n";
    return 1;
  }

  const std::vector<CohortStore::PatientEntry> patients = store.SortedPatients();
  const std::string recorded = options.as_of.ToString() + "T00:00:00Z";
  EvaluateStats local;
  local.resources = counts.resources;
  local.rejected = counts.rejected;
  local.patients = patients.size();
  local.threads = threads;
  std::optional<TransactionWriter> bundle;
  std::optional<SummaryWriter> summary;
  if (options.format == EvaluateFormat::kBundle) {
    bundle.emplace(out, options.writeback);
  } else {
    size_t width = 0;
    for (const CohortStore::PatientEntry& patient : patients) {
      width = std::max(width, patient.id().size());
    }
    summary.emplace(out, width);
  }
  // Patients are evaluated and rendered in parallel a batch at a time, then
  // written in order: the output does not depend on the thread count, and
  // memory holds kBatchesAhead + 1 batches of output. While this thread
  // writes batch k, the workers evaluate the next kBatchesAhead batches.
  struct Outcome {
    bool in_scope = false;
    size_t active_findings = 0;
    Status status;
    RenderedEntries rendered;               // bundle format
    std::optional<rules::Evaluation> kept;  // summary format
  };
  const size_t batch = kPatientsPerThreadBatch * threads;
  std::array<std::vector<Outcome>, kBatchesAhead + 1> outcomes;
  auto slot_of = [&](size_t first) -> std::vector<Outcome>& {
    return outcomes[(first / batch) % outcomes.size()];
  };
  // Fills slot_of(first)[i] for the patient first + i. A worker overwrites
  // every member, so what the slot held (written already) is freed there,
  // not on the writing thread.
  auto evaluate = [&](std::vector<Outcome>& slot, size_t first, size_t i) {
    Outcome& outcome = slot[i];
    // Into the record this thread took last: its lists and strings keep
    // their capacity.
    thread_local rules::PatientRecord record;
    store.TakeRecord(patients[first + i], record);
    rules::Evaluation evaluation = rules::Evaluate(record, options.as_of, *rule_set);
    outcome.in_scope = evaluation.disposition != rules::Disposition::kOutOfScope;
    outcome.active_findings = static_cast<size_t>(std::count_if(
        evaluation.findings.begin(), evaluation.findings.end(),
        [](const rules::Finding& f) { return f.status == rules::FindingStatus::kActive; }));
    outcome.status = Status::Ok();
    if (bundle) {
      // Into the text of the patient this slot held before: its capacity is
      // reused, instead of allocating (and freeing on another thread) some
      // ten KB per patient.
      outcome.status =
          RenderOfflineEntries(evaluation, recorded, options.writeback, outcome.rendered);
    } else {
      outcome.kept = std::move(evaluation);
    }
  };
  WorkerPool pool(threads);  // after what its batches use: destroyed (finished) first
  // Starts the batch of patients from `first`, if there is one.
  auto start = [&](size_t first) {
    if (first >= patients.size()) return;
    std::vector<Outcome>& slot = slot_of(first);
    slot.resize(std::min(batch, patients.size() - first));
    pool.Start(slot.size(), [&evaluate, &slot, first](size_t i) { evaluate(slot, first, i); });
  };
  for (size_t k = 0; k < kBatchesAhead; ++k) start(k * batch);
  for (size_t first = 0; first < patients.size(); first += batch) {
    const Status parallel = pool.Wait();
    if (!parallel.ok()) {
      err << "bonewatch evaluate: " << parallel.message() << "\n";
      return 1;
    }
    start(first + kBatchesAhead * batch);  // into the slot written before this one
    const size_t count = std::min(batch, patients.size() - first);
    const std::vector<Outcome>& written = slot_of(first);
    for (size_t i = 0; i < count; ++i) {
      const Outcome& outcome = written[i];
      if (outcome.in_scope) ++local.in_scope;
      local.active_findings += outcome.active_findings;
      if (!outcome.status.ok()) {
        err << "bonewatch evaluate: patient " << patients[first + i].id() << ": "
            << outcome.status.message() << "\n";
        return 1;
      }
      if (bundle) {
        bundle->AddRendered(outcome.rendered);
      } else {
        summary->Add(*outcome.kept);
      }
    }
  }
  if (bundle) {
    bundle->Finish();
    local.entries_written = bundle->entries_written();
  } else {
    summary->Finish(patients.size());
  }
  out.flush();
  if (stats != nullptr) *stats = local;
  return 0;
}

int EvaluateCommand(const std::vector<std::string_view>& args) {
  EvaluateOptions options;
  std::optional<rules::Date> as_of;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool has_value = i + 1 < args.size();
    if (arg == "--as-of" && has_value) {
      as_of = rules::Date::Parse(args[++i]);
      if (!as_of) {
        std::cerr << "bonewatch evaluate: --as-of '" << args[i] << "' is not a YYYY-MM-DD date\n";
        return 2;
      }
    } else if (arg == "--format" && has_value) {
      const std::string_view format = args[++i];
      if (format == "bundle") {
        options.format = EvaluateFormat::kBundle;
      } else if (format == "summary") {
        options.format = EvaluateFormat::kSummary;
      } else {
        std::cerr << "bonewatch evaluate: --format must be bundle or summary\n" << kEvaluateUsage;
        return 2;
      }
    } else if (arg == "--rules" && has_value) {
      options.rules_file = args[++i];
    } else if (arg == "--mappings" && has_value) {
      options.mappings_dir = args[++i];
    } else if (arg == "--base" && has_value) {
      options.writeback.base = args[++i];
      while (options.writeback.base.ends_with('/')) options.writeback.base.pop_back();
    } else if (arg == "--threads" && has_value) {
      const std::string_view text = args[++i];
      unsigned threads = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), threads);
      if (ec != std::errc() || end != text.data() + text.size() || threads == 0 || threads > 64) {
        std::cerr << "bonewatch evaluate: --threads must be a number from 1 to 64\n";
        return 2;
      }
      options.threads = threads;
    } else if (arg == "--time-zone" && has_value) {
      StatusOr<fhir::TimeZone> zone = fhir::TimeZone::Parse(args[++i]);
      if (!zone.ok()) {
        std::cerr << "bonewatch evaluate: --time-zone: " << zone.status().message() << "\n";
        return 2;
      }
      options.time_zone = *zone;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kEvaluateUsage;
      return 0;
    } else if (arg.starts_with("--")) {
      std::cerr << "bonewatch evaluate: unexpected argument '" << arg << "'\n" << kEvaluateUsage;
      return 2;
    } else {
      options.files.emplace_back(arg);
    }
  }
  if (options.files.empty()) {
    std::cerr << "bonewatch evaluate: no input FILE\n" << kEvaluateUsage;
    return 2;
  }
  options.as_of = as_of ? *as_of : Today(options.time_zone);  // the only clock read
  return RunEvaluate(options, std::cout, std::cerr);
}

}  // namespace bonewatch::adapter
