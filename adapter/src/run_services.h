// DaemonServices: everything `bonewatch run`, `backfill` and `dead-letters`
// build from one Config, in dependency order: Logger -> Metrics -> Store ->
// rules (shipped defaults + Config::rules_file) -> mappings (shipped defaults
// + Config::mappings_dir) -> Mapper -> FHIR transport/auth/Client (with the
// request metrics observer) -> Pipeline and Scheduler.
//
// OpenServices reads the configuration itself (LoadConfig with the process's
// BONEWATCH_* environment) and passes plain values down; no component reaches
// for a global. Errors:
//   kInvalidArgument  a configuration, rules or mappings problem; the message
//                     names the file and the field (the caller exits 78,
//                     EX_CONFIG);
//   other codes       the store could not be opened, etc. (fatal at start).
//
// Ownership: DaemonServices owns every component; members are declared in
// dependency order so they are destroyed in reverse. Not copyable.
// Thread-safety: the components are thread-safe as documented in their own
// headers; the struct itself is immutable after OpenServices.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/http.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/mappings/mapper.h"
#include "bonewatch/rules/date.h"
#include "bonewatch/rules/ruleset.h"
#include "clock.h"
#include "config.h"
#include "logger.h"
#include "metrics.h"
#include "pipeline.h"
#include "scheduler.h"
#include "store.h"

namespace bonewatch::adapter {

struct ServicesOptions {
  std::string config_path;           // REQUIRED
  std::optional<rules::Date> as_of;  // TEST-ONLY: fixes "today" (run_clock.h)
  std::ostream* log_out = nullptr;   // default std::cerr
  // Overrides Config::logging.level when set (commands run quieter).
  std::optional<LogLevel> log_level;
  bool with_pipeline = true;  // false: no FHIR client/pipeline (dead-letters)
};

struct DaemonServices {
  std::shared_ptr<const Config> config;
  SystemClock system_clock;
  std::unique_ptr<Clock> evaluation_clock;  // the system clock, or shifted by --as-of
  std::unique_ptr<Logger> logger;
  Metrics metrics;
  std::unique_ptr<Store> store;
  rules::RuleSet ruleset;
  std::unique_ptr<mappings::Mapper> mapper;
  std::unique_ptr<fhir::HttpTransport> transport;
  std::unique_ptr<fhir::AuthProvider> auth;
  std::unique_ptr<fhir::Client> client;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<Scheduler> scheduler;

  const Clock& eval_clock() const { return *evaluation_clock; }
};

StatusOr<std::unique_ptr<DaemonServices>> OpenServices(const ServicesOptions& options);

// "--as-of" value, else BONEWATCH_TEST_TODAY, else nullopt. kInvalidArgument
// when a value is given but is not YYYY-MM-DD.
StatusOr<std::optional<rules::Date>> ResolveAsOf(const std::string& flag_value);

// Process exit codes (sysexits.h).
inline constexpr int kExitConfig = 78;    // EX_CONFIG
inline constexpr int kExitSoftware = 70;  // EX_SOFTWARE
inline constexpr int kExitUsage = 64;     // EX_USAGE

}  // namespace bonewatch::adapter
