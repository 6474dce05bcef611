#include "cli.h"

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapping_set.h"
#include "commands.h"
#include "config.h"
#include "evaluate_command.h"
#include "healthcheck_command.h"
#include "ruleset_file.h"
#include "run_command.h"

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kUsage =
    "usage: bonewatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  check-config [--config FILE] [--rules FILE] [--mappings DIR]\n"
    "                 validate the shipped rule thresholds (rules/default-rules.json)\n"
    "                 and, with --rules, an operator's override file over them;\n"
    "                 with --config, the daemon configuration (with the BONEWATCH_*\n"
    "                 environment) and the rules file and mappings dir it names\n"
    "  evaluate [--as-of YYYY-MM-DD] [--format bundle|summary] FILE...\n"
    "                 offline dry run over Bundles/NDJSON (evaluate --help)\n"
    "  run --config FILE [--daemon]\n"
    "                 the daemon: notifications, poller, evaluation, write-back\n"
    "  backfill --config FILE\n"
    "                 load every in-scope patient from the server (progress on stderr)\n"
    "  dead-letters list|replay --config FILE [ID...|--all]\n"
    "                 inspect inputs that could not be processed; put them back in the inbox\n"
    "  healthcheck --config FILE [--path /healthz]\n"
    "                 exit 0 when the running daemon's ops port answers 200 (containers)\n"
    "  version        print the version\n"
    "  help           print this help\n";

int CheckConfig(const std::vector<std::string_view>& args) {
  std::string config_path;
  std::string override_path;
  std::string mappings_dir;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--rules" && i + 1 < args.size()) {
      override_path = args[++i];
    } else if (args[i] == "--mappings" && i + 1 < args.size()) {
      mappings_dir = args[++i];
    } else {
      std::cerr << "bonewatch check-config: unexpected argument '" << args[i] << "'\n"
                << "  check-config [--config FILE] [--rules FILE] [--mappings DIR]\n"
                << "                 --mappings DIR: local mapping files merged over the shipped "
                   "mappings/default\n"
                << kUsage;
      return 2;
    }
  }
  // With --config every part is checked and reported; any error gives exit 1.
  bool failed = false;
  if (!config_path.empty()) {
    auto config = LoadConfig(config_path, CurrentEnvironment());
    if (!config.ok()) {
      failed = true;
      std::cerr << "bonewatch check-config: config: " << config.status().message() << "\n";
    } else {
      std::cout << "config: " << config_path << ": OK\n";
      if (override_path.empty()) override_path = (*config)->rules_file;
      if (mappings_dir.empty()) mappings_dir = (*config)->mappings_dir;
    }
  }
  const std::string defaults_path = DefaultRuleSetPath();
  auto rules = LoadRuleSetFile(defaults_path, rules::RuleSet::Defaults());
  if (!rules.ok()) {
    std::cerr << "bonewatch check-config: " << rules.status().message() << "\n";
    return 1;
  }
  std::cout << "rules: " << defaults_path << ": OK (" << rules->ToEntries().size()
            << " thresholds)\n";
  if (!override_path.empty()) {
    auto overridden = LoadRuleSetFile(override_path, *rules);
    if (!overridden.ok()) {
      std::cerr << "bonewatch check-config: " << overridden.status().message() << "\n";
      if (config_path.empty()) return 1;
      failed = true;
    } else {
      std::cout << "rules: " << override_path << ": OK\n";
    }
  }
  // The shipped mappings, and the local ones over them: a bad file fails the whole load.
  const mappings::LoadReport report = mappings::LoadMappingsReport(
      mappings::LoadOptions{std::string(mappings::kDefaultBase),
                            mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR), mappings_dir});
  if (!report.mappings) {
    for (const mappings::LoadError& error : report.errors) {
      std::cerr << "bonewatch check-config: mappings: " << error.ToString() << "\n";
    }
    std::cerr << "bonewatch check-config: " << report.errors.size()
              << " mapping error(s); nothing was loaded\n";
    return 1;
  }
  for (const mappings::FileSummary& file : report.mappings->files()) {
    std::cout << "mappings: " << file.file << ": OK (" << file.kind
              << (file.id.empty() ? "" : " " + file.id) << ", " << file.entries
              << (file.kind == "ConceptMap" ? " codes" : " units") << ")\n";
  }
  return failed ? 1 : 0;
}

}  // namespace

int RunCli(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string_view command = argv[1];
  const std::vector<std::string_view> rest(argv + 2, argv + argc);
  if (command == "check-config") return CheckConfig(rest);
  if (command == "evaluate") return EvaluateCommand(rest);
  if (command == "run") return RunCommand(rest);
  if (command == "backfill") return BackfillCommand(rest);
  if (command == "dead-letters") return DeadLettersCommand(rest);
  if (command == "healthcheck") return HealthcheckCommand(rest);
  if (command == "version" || command == "--version") {
    std::cout << "bonewatch " << BONEWATCH_VERSION << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "bonewatch: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

}  // namespace bonewatch::adapter
