#include "evaluate_command.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>

#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapper.h"
#include "bonewatch/mappings/mapping_set.h"
#include "bonewatch/rules/evaluator.h"
#include "evaluate_command_cohort.h"
#include "evaluate_command_input.h"
#include "evaluate_command_summary.h"
#include "ruleset_file.h"
#include "writeback_transaction.h"

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kEvaluateUsage =
    "usage: bonewatch evaluate [--as-of YYYY-MM-DD] [--format bundle|summary]\n"
    "                          [--rules FILE] [--mappings DIR] [--base URL] FILE...\n"
    "  FILE: a FHIR Bundle (.json, any type) or NDJSON (.ndjson)\n"
    "  --as-of     evaluation date (default: today, UTC)\n"
    "  --format    bundle: the transaction Bundle BoneWatch would write (default)\n"
    "              summary: a table of active findings per patient\n"
    "  --rules     rule thresholds over rules/default-rules.json\n"
    "  --mappings  local mapping files over mappings/default\n"
    "  --base      canonical base of written identifiers and codes\n"
    "              (default http://bonewatch.example/fhir)\n";

StatusOr<rules::RuleSet> LoadRules(const EvaluateOptions& options) {
  ASSIGN_OR_RETURN(rules::RuleSet rules,
                   LoadRuleSetFile(DefaultRuleSetPath(), rules::RuleSet::Defaults()));
  if (!options.rules_file.empty()) {
    ASSIGN_OR_RETURN(rules, LoadRuleSetFile(options.rules_file, rules));
  }
  return rules;
}

rules::Date TodayUtc() {
  const auto now = std::chrono::system_clock::now();
  const auto days = std::chrono::floor<std::chrono::days>(now).time_since_epoch().count();
  return rules::Date::FromDays(days);
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
  const mappings::Mapper mapper(std::move(*mapping_set), mappings::MapperOptions());

  CohortStore store;
  InputReader reader(mapper, store, err, options.writeback.TagSystem());
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

  const std::vector<std::string_view> patients = store.SortedPatientIds();
  const std::string recorded = options.as_of.ToString() + "T00:00:00Z";
  EvaluateStats local;
  local.resources = counts.resources;
  local.rejected = counts.rejected;
  local.patients = patients.size();
  std::optional<TransactionWriter> bundle;
  std::optional<SummaryWriter> summary;
  if (options.format == EvaluateFormat::kBundle) {
    bundle.emplace(out, options.writeback);
  } else {
    size_t width = 0;
    for (std::string_view id : patients) width = std::max(width, id.size());
    summary.emplace(out, width);
  }
  for (std::string_view patient_id : patients) {
    const rules::Evaluation evaluation =
        rules::Evaluate(store.Record(patient_id), options.as_of, *rule_set);
    store.Release(patient_id);
    if (evaluation.disposition != rules::Disposition::kOutOfScope) ++local.in_scope;
    local.active_findings += evaluation.ActiveFindings().size();
    if (bundle) {
      const Status written = bundle->Add(
          BuildPatientEntries(WritebackInput{&evaluation, {}}, recorded, options.writeback));
      if (!written.ok()) {
        err << "bonewatch evaluate: patient " << patient_id << ": " << written.message() << "\n";
        return 1;
      }
    } else {
      summary->Add(evaluation);
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
  options.as_of = as_of ? *as_of : TodayUtc();  // the only clock read
  return RunEvaluate(options, std::cout, std::cerr);
}

}  // namespace bonewatch::adapter
