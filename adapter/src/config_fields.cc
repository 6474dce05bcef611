#include "config_fields.h"

namespace bonewatch::adapter {
namespace config_internal {
namespace {

// Lambdas without captures convert to the Ref function pointers.
#define BW_STR(member) StringRef([](Config& c) -> std::string& { return c.member; })
#define BW_INT(member) IntRef([](Config& c) -> int& { return c.member; })
#define BW_BOOL(member) BoolRef([](Config& c) -> bool& { return c.member; })
#define BW_SIZE(member) SizeRef([](Config& c) -> size_t& { return c.member; })
#define BW_LIST(member) \
  StringListRef([](Config& c) -> std::vector<std::string>& { return c.member; })

constexpr int64_t kMaxPort = 65535;

}  // namespace

const std::vector<FieldSpec>& Fields() {
  using T = FieldType;
  static const std::vector<FieldSpec> kFields = {
      {"fhir.baseUrl", T::kUrl, BW_STR(fhir.base_url)},
      {"fhir.auth", T::kEnum, BW_STR(fhir.auth), 0, 0,
       "none|bearer|basic|smart-backend|client-credentials"},
      {"fhir.bearerTokenFile", T::kSecretFile, BW_STR(fhir.bearer_token)},
      {"fhir.basicUsername", T::kString, BW_STR(fhir.basic_username)},
      {"fhir.basicPasswordFile", T::kSecretFile, BW_STR(fhir.basic_password)},
      {"fhir.smartClientId", T::kString, BW_STR(fhir.smart_client_id)},
      {"fhir.smartPrivateKeyFile", T::kSecretFile, BW_STR(fhir.smart_private_key_pem)},
      {"fhir.smartAlgorithm", T::kEnum, BW_STR(fhir.smart_algorithm), 0, 0, "RS384|ES384"},
      {"fhir.smartKeyId", T::kString, BW_STR(fhir.smart_key_id)},
      {"fhir.smartTokenEndpoint", T::kOptionalUrl, BW_STR(fhir.smart_token_endpoint)},
      {"fhir.smartScope", T::kString, BW_STR(fhir.smart_scope)},
      {"fhir.oauthClientId", T::kString, BW_STR(fhir.oauth_client_id)},
      {"fhir.oauthClientSecretFile", T::kSecretFile, BW_STR(fhir.oauth_client_secret)},
      {"fhir.oauthTokenEndpoint", T::kOptionalUrl, BW_STR(fhir.oauth_token_endpoint)},
      {"fhir.oauthClientAuthMethod", T::kEnum, BW_STR(fhir.oauth_client_auth_method), 0, 0,
       "client_secret_basic|client_secret_post"},
      {"fhir.oauthScope", T::kString, BW_STR(fhir.oauth_scope)},
      {"fhir.caFile", T::kPath, BW_STR(fhir.ca_file)},
      {"fhir.clientCertFile", T::kPath, BW_STR(fhir.client_cert_file)},
      {"fhir.clientKeyFile", T::kPath, BW_STR(fhir.client_key_file)},
      {"fhir.connectTimeoutMs", T::kInt, BW_INT(fhir.connect_timeout_ms), 1, 600000},
      {"fhir.requestTimeoutMs", T::kInt, BW_INT(fhir.request_timeout_ms), 1, 3600000},
      {"fhir.maxAttempts", T::kInt, BW_INT(fhir.max_attempts), 1, 20},
      {"fhir.transactionMaxEntries", T::kInt, BW_INT(fhir.transaction_max_entries), 1, 1000},
      {"canonicalBase", T::kUrl, BW_STR(canonical_base)},
      {"timeZone", T::kString, BW_STR(time_zone_name)},
      {"timeZoneOffset", T::kUtcOffset, BW_INT(utc_offset_minutes)},
      {"inputs.medicationRequest", T::kBool, BW_BOOL(inputs.medication_request)},
      {"inputs.condition", T::kBool, BW_BOOL(inputs.condition)},
      {"inputs.procedure", T::kBool, BW_BOOL(inputs.procedure)},
      {"notifications.enabled", T::kBool, BW_BOOL(notifications.enabled)},
      {"notifications.listenAddress", T::kString, BW_STR(notifications.listen_address)},
      {"notifications.port", T::kInt, BW_INT(notifications.port), 0, kMaxPort},
      {"notifications.publicEndpoint", T::kOptionalUrl, BW_STR(notifications.public_endpoint)},
      {"notifications.secretHeader", T::kString, BW_STR(notifications.secret_header)},
      {"notifications.sharedSecretFile", T::kSecretFile, BW_STR(notifications.shared_secret)},
      {"notifications.hmacSecretFile", T::kSecretFile, BW_STR(notifications.hmac_secret)},
      {"notifications.bearerTokenFile", T::kSecretFile, BW_STR(notifications.bearer_token)},
      {"notifications.allowedClients", T::kCidrList, BW_LIST(notifications.allowed_clients)},
      {"notifications.tlsCertFile", T::kPath, BW_STR(notifications.tls_cert_file)},
      {"notifications.tlsKeyFile", T::kPath, BW_STR(notifications.tls_key_file)},
      {"notifications.allowPlainHttp", T::kBool, BW_BOOL(notifications.allow_plain_http)},
      {"notifications.maxBodyBytes", T::kSize, BW_SIZE(notifications.max_body_bytes), 1,
       int64_t{256} * 1024 * 1024},
      {"notifications.headerTimeoutSeconds", T::kInt, BW_INT(notifications.header_timeout_seconds),
       1, 300},
      {"notifications.maxConnections", T::kInt, BW_INT(notifications.max_connections), 1, 1000000},
      {"notifications.maxQueuedRequests", T::kInt, BW_INT(notifications.max_queued_requests), 1,
       100000},
      {"subscriptions.enabled", T::kBool, BW_BOOL(subscriptions.enabled)},
      {"subscriptions.checkIntervalSeconds", T::kInt, BW_INT(subscriptions.check_interval_seconds),
       1, 86400},
      {"subscriptions.activationTimeoutSeconds", T::kInt,
       BW_INT(subscriptions.activation_timeout_seconds), 1, 86400},
      {"poller.enabled", T::kBool, BW_BOOL(poller.enabled)},
      {"poller.intervalSeconds", T::kInt, BW_INT(poller.interval_seconds), 1, 86400},
      {"poller.degradedIntervalSeconds", T::kInt, BW_INT(poller.degraded_interval_seconds), 1,
       86400},
      {"poller.overlapSeconds", T::kInt, BW_INT(poller.overlap_seconds), 0, 86400},
      {"poller.pageSize", T::kInt, BW_INT(poller.page_size), 1, 1000},
      {"reconcile.enabled", T::kBool, BW_BOOL(reconcile.enabled)},
      {"reconcile.intervalSeconds", T::kInt, BW_INT(reconcile.interval_seconds), 1, 86400 * 7},
      {"reconcile.batchSize", T::kInt, BW_INT(reconcile.batch_size), 1, 500},
      {"reconcile.maxBatchesPerRun", T::kInt, BW_INT(reconcile.max_batches_per_run), 1, 10000},
      {"store.path", T::kPath, BW_STR(store.path)},
      {"ops.listenAddress", T::kString, BW_STR(ops.listen_address)},
      {"ops.port", T::kInt, BW_INT(ops.port), 0, kMaxPort},
      {"logging.format", T::kEnum, BW_STR(logging.format), 0, 0, "text|json"},
      {"logging.level", T::kEnum, BW_STR(logging.level), 0, 0, "debug|info|warning|error"},
      {"mappingsDir", T::kPath, BW_STR(mappings_dir)},
      {"rulesFile", T::kPath, BW_STR(rules_file)},
      {"workerThreads", T::kInt, BW_INT(worker_threads), 1, 64},
      {"workerNiceness", T::kInt, BW_INT(worker_niceness), 0, 19},
      {"shutdownGraceSeconds", T::kInt, BW_INT(shutdown_grace_seconds), 1, 3600},
      {"maxInboxAttempts", T::kInt, BW_INT(max_inbox_attempts), 1, 1000},
  };
  return kFields;
}

const std::vector<ConfigEnvOverride>& EnvOverrides() {
  static const std::vector<ConfigEnvOverride> kEnvOverrides = {
      {"BONEWATCH_FHIR_BASE_URL", "fhir.baseUrl", false},
      {"BONEWATCH_FHIR_CA_FILE", "fhir.caFile", false},
      {"BONEWATCH_FHIR_BEARER_TOKEN", "fhir.bearerTokenFile", true},
      {"BONEWATCH_FHIR_BASIC_USERNAME", "fhir.basicUsername", false},
      {"BONEWATCH_FHIR_BASIC_PASSWORD", "fhir.basicPasswordFile", true},
      {"BONEWATCH_SMART_CLIENT_ID", "fhir.smartClientId", false},
      {"BONEWATCH_SMART_PRIVATE_KEY", "fhir.smartPrivateKeyFile", true},
      {"BONEWATCH_OAUTH_CLIENT_ID", "fhir.oauthClientId", false},
      {"BONEWATCH_OAUTH_CLIENT_SECRET", "fhir.oauthClientSecretFile", true},
      {"BONEWATCH_NOTIFY_ENDPOINT", "notifications.publicEndpoint", false},
      {"BONEWATCH_NOTIFY_SECRET", "notifications.sharedSecretFile", true},
      {"BONEWATCH_NOTIFY_HMAC_SECRET", "notifications.hmacSecretFile", true},
      {"BONEWATCH_NOTIFY_BEARER_TOKEN", "notifications.bearerTokenFile", true},
      {"BONEWATCH_NOTIFY_PORT", "notifications.port", false},
      {"BONEWATCH_NOTIFY_TLS_CERT_FILE", "notifications.tlsCertFile", false},
      {"BONEWATCH_NOTIFY_TLS_KEY_FILE", "notifications.tlsKeyFile", false},
      {"BONEWATCH_STORE_PATH", "store.path", false},
      {"BONEWATCH_OPS_PORT", "ops.port", false},
  };
  return kEnvOverrides;
}

#undef BW_STR
#undef BW_INT
#undef BW_BOOL
#undef BW_SIZE
#undef BW_LIST

}  // namespace config_internal

const std::vector<ConfigEnvOverride>& ConfigEnvOverrides() {
  return config_internal::EnvOverrides();
}

std::vector<std::string> ConfigKeyPaths() {
  std::vector<std::string> paths;
  for (const config_internal::FieldSpec& f : config_internal::Fields()) {
    paths.emplace_back(f.path);
  }
  return paths;
}

}  // namespace bonewatch::adapter
