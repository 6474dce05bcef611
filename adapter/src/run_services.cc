#include "run_services.h"

#include <cstdlib>
#include <utility>

#include "bonewatch/fhir/auth_registry.h"
#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapping_set.h"
#include "ops_metric_names.h"
#include "ruleset_file.h"
#include "run_clock.h"

namespace bonewatch::adapter {
namespace {

StatusOr<rules::RuleSet> LoadRules(const Config& config) {
  auto defaults = LoadRuleSetFile(DefaultRuleSetPath(), rules::RuleSet::Defaults());
  if (!defaults.ok()) return InvalidArgumentError(defaults.status().message());
  if (config.rules_file.empty()) return defaults;
  auto overridden = LoadRuleSetFile(config.rules_file, *defaults);
  if (!overridden.ok()) {
    return InvalidArgumentError(config.source_path +
                                ": rulesFile: " + overridden.status().message());
  }
  return overridden;
}

StatusOr<std::unique_ptr<mappings::Mapper>> LoadMapper(const Config& config) {
  const mappings::LoadReport report = mappings::LoadMappingsReport(mappings::LoadOptions{
      config.canonical_base, mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR),
      config.mappings_dir});
  if (!report.mappings) {
    std::string message = config.source_path + ": mappingsDir: ";
    for (size_t i = 0; i < report.errors.size(); ++i) {
      if (i) message += "; ";
      message += report.errors[i].ToString();
    }
    return InvalidArgumentError(message);
  }
  mappings::MapperOptions options;
  options.time_zone = config.time_zone;
  options.medication_request_enabled = config.inputs.medication_request;
  options.condition_enabled = config.inputs.condition;
  options.procedure_enabled = config.inputs.procedure;
  return std::make_unique<mappings::Mapper>(*report.mappings, options);
}

Status OpenFhir(DaemonServices& s) {
  const Config::Fhir& f = s.config->fhir;
  fhir::CurlTransportOptions transport_options;
  transport_options.connect_timeout = std::chrono::milliseconds(f.connect_timeout_ms);
  transport_options.total_timeout = std::chrono::milliseconds(f.request_timeout_ms);
  transport_options.tls.ca_bundle_path = f.ca_file;
  transport_options.tls.client_cert_path = f.client_cert_file;
  transport_options.tls.client_key_path = f.client_key_file;
  transport_options.user_agent = std::string("bonewatch/") + BONEWATCH_VERSION;
  auto transport = fhir::NewCurlTransport(transport_options);
  if (!transport.ok()) {
    return InvalidArgumentError(s.config->source_path + ": fhir: " + transport.status().message());
  }
  s.transport = std::move(transport).value();

  fhir::AuthConfig auth;
  auth.type = f.auth;
  auth.bearer_token = f.bearer_token;
  auth.basic_user = f.basic_username;
  auth.basic_password = f.basic_password;
  auth.smart.fhir_base_url = f.base_url;
  auth.smart.token_endpoint = f.smart_token_endpoint;
  auth.smart.client_id = f.smart_client_id;
  auth.smart.private_key_pem = f.smart_private_key_pem;
  auth.smart.algorithm = f.smart_algorithm;
  auth.smart.key_id = f.smart_key_id;
  auth.smart.scope = f.smart_scope;
  auth.client_credentials.fhir_base_url = f.base_url;
  auth.client_credentials.token_endpoint = f.oauth_token_endpoint;
  auth.client_credentials.client_id = f.oauth_client_id;
  auth.client_credentials.client_secret = f.oauth_client_secret;
  auth.client_credentials.auth_method = f.oauth_client_auth_method;
  auth.client_credentials.scope = f.oauth_scope;
  fhir::AuthDependencies deps;
  deps.transport = s.transport.get();
  auto provider = fhir::AuthRegistry::WithBuiltins().Create(auth, deps);
  if (!provider.ok()) {
    return InvalidArgumentError(s.config->source_path +
                                ": fhir.auth: " + provider.status().message());
  }
  s.auth = std::move(provider).value();

  fhir::ClientOptions client_options;
  client_options.base_url = f.base_url;
  client_options.retry.max_attempts = f.max_attempts;
  client_options.on_request = metric::FhirRequestObserver(s.metrics);
  s.client = std::make_unique<fhir::Client>(client_options, *s.transport, *s.auth);
  return Status();
}

}  // namespace

StatusOr<std::optional<rules::Date>> ResolveAsOf(const std::string& flag_value) {
  std::string text = flag_value;
  if (text.empty()) {
    const char* env = std::getenv("BONEWATCH_TEST_TODAY");
    if (env == nullptr || *env == '\0') return std::optional<rules::Date>();
    text = env;
  }
  auto date = rules::Date::Parse(text);
  if (!date)
    return InvalidArgumentError("--as-of / BONEWATCH_TEST_TODAY: '" + text +
                                "' is not a date YYYY-MM-DD");
  return std::optional<rules::Date>(*date);
}

StatusOr<std::unique_ptr<DaemonServices>> OpenServices(const ServicesOptions& options) {
  auto s = std::make_unique<DaemonServices>();
  auto config = LoadConfig(options.config_path, CurrentEnvironment());
  if (!config.ok()) return InvalidArgumentError(config.status().message());
  s->config = *config;
  const Config& c = *s->config;

  LogLevel level = LogLevel::kInfo;
  if (options.log_level) {
    level = *options.log_level;
  } else if (!ParseLogLevel(c.logging.level, &level)) {
    return InvalidArgumentError(c.source_path + ": logging.level: unknown level '" +
                                c.logging.level + "'");
  }
  s->logger =
      std::make_unique<Logger>(c.logging.format == "json" ? LogFormat::kJson : LogFormat::kText,
                               level, s->system_clock, options.log_out);
  if (options.as_of) {
    s->evaluation_clock =
        std::make_unique<ShiftedClock>(s->system_clock, *options.as_of, c.time_zone);
    s->logger->Warn("test_hook.as_of", {{"today", options.as_of->ToString()}});
  } else {
    s->evaluation_clock = std::make_unique<SystemClock>();
  }
  metric::DescribeDaemonMetrics(s->metrics);

  auto store = OpenSqliteStore(c.store.path);
  if (!store.ok()) {
    return Status(store.status().code() == StatusCode::kInvalidArgument ? StatusCode::kInternal
                                                                        : store.status().code(),
                  c.source_path + ": store.path: " + store.status().message());
  }
  s->store = std::move(store).value();

  auto ruleset = LoadRules(c);
  if (!ruleset.ok()) return ruleset.status();
  s->ruleset = *ruleset;
  auto mapper = LoadMapper(c);
  if (!mapper.ok()) return mapper.status();
  s->mapper = std::move(mapper).value();
  if (!options.with_pipeline) return s;

  RETURN_IF_ERROR(OpenFhir(*s));
  s->scheduler = std::make_unique<Scheduler>(
      SchedulerDeps{c, *s->store, s->metrics, *s->logger, *s->evaluation_clock});
  return s;
}

}  // namespace bonewatch::adapter
