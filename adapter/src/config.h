// Config: the daemon's one JSON configuration file, parsed once into typed,
// validated values and shared read-only (std::shared_ptr<const Config>).
//
// Environment overrides (BONEWATCH_*) replace file values for URLs and
// secrets, so that secrets need not be in the file: see kEnvOverrides in
// config.cc and docs/configuration.md. Secrets may also be read from files
// (`*File` keys). Unknown keys are errors (a typo must not silently fall back
// to a default). Every error names the file and the field path, e.g.
// "bonewatch.json: fhir.baseUrl: must be an absolute http(s) URL".
//
// Thread-safety: a Config is immutable after LoadConfig.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/status.h"
#include "bonewatch/fhir/time_zone.h"

namespace bonewatch::adapter {

struct Config {
  std::string source_path;  // the file it was read from ("" for defaults)

  struct Fhir {
    std::string base_url;         // REQUIRED. BONEWATCH_FHIR_BASE_URL
    std::string auth = "none";    // none | bearer | basic | smart-backend | client-credentials
    std::string bearer_token;     // BONEWATCH_FHIR_BEARER_TOKEN (secret)
    std::string basic_username;   // BONEWATCH_FHIR_BASIC_USERNAME
    std::string basic_password;   // BONEWATCH_FHIR_BASIC_PASSWORD (secret)
    std::string smart_client_id;  // BONEWATCH_SMART_CLIENT_ID
    std::string
        smart_private_key_pem;  // from smartPrivateKeyFile or BONEWATCH_SMART_PRIVATE_KEY (secret)
    std::string smart_algorithm = "RS384";  // RS384 | ES384
    std::string smart_key_id;
    std::string smart_token_endpoint;  // "" = discover from .well-known/smart-configuration
    std::string smart_scope =
        "system/Observation.rs system/MedicationStatement.rs system/MedicationRequest.rs "
        "system/Condition.rs system/Procedure.rs system/Patient.rs system/Flag.cru "
        "system/CarePlan.cru system/Provenance.c system/Device.cr system/Subscription.cruds";
    // "client-credentials": OAuth2 client_credentials with a client secret. The id is
    // BONEWATCH_OAUTH_CLIENT_ID; the secret comes from oauthClientSecretFile or
    // BONEWATCH_OAUTH_CLIENT_SECRET. An empty token endpoint is discovered from
    // .well-known/smart-configuration; an empty scope sends none.
    std::string oauth_client_id;
    std::string oauth_client_secret;
    std::string oauth_token_endpoint;
    std::string oauth_client_auth_method = "client_secret_basic";
    std::string oauth_scope;

    std::string ca_file;  // BONEWATCH_FHIR_CA_FILE
    std::string client_cert_file;
    std::string client_key_file;
    int connect_timeout_ms = 5000;
    int request_timeout_ms = 30000;
    int max_attempts = 4;
    int transaction_max_entries = 8;  // entries per write transaction (1 = single requests)
  } fhir;

  // Canonical base of everything BoneWatch writes ({base} in the spec).
  std::string canonical_base = "http://bonewatch.example/fhir";
  // The configured time zone: `timeZone` (an IANA name, with daylight saving
  // time, from the system's tzdata) or `timeZoneOffset` (a fixed "+HH:MM" /
  // "-HH:MM"), at most one of them; UTC when neither is set. `time_zone` is
  // the one to use; the other two are the file's values as written.
  fhir::TimeZone time_zone;
  std::string time_zone_name;  // "timeZone", "" = not set
  int utc_offset_minutes = 0;  // "timeZoneOffset"

  struct Inputs {  // spec §1 "where enabled"
    bool medication_request = true;
    bool condition = true;
    bool procedure = true;
  } inputs;

  struct Notifications {
    bool enabled = true;
    // Loopback by default; any other address needs TLS (or allow_plain_http) and an
    // authentication check (see CheckCombinations in config.cc).
    std::string listen_address = "127.0.0.1";
    int port = 8090;  // BONEWATCH_NOTIFY_PORT
    // The URL the FHIR server calls (Subscription.channel.endpoint), e.g.
    // "http://bonewatch.internal:8090/fhir/notify". BONEWATCH_NOTIFY_ENDPOINT
    std::string public_endpoint;
    std::string secret_header = "x-bonewatch-secret";
    std::string shared_secret;  // BONEWATCH_NOTIFY_SECRET (secret); "" = no header check
    std::string hmac_secret;    // BONEWATCH_NOTIFY_HMAC_SECRET (secret); x-signature check
    // BONEWATCH_NOTIFY_BEARER_TOKEN (secret); "" = no Authorization check
    std::string bearer_token;
    // CIDRs ("10.0.0.0/8", "fd00::/8", or one address); empty = every address may connect.
    std::vector<std::string> allowed_clients;
    // PEM certificate chain and unencrypted PEM key: both set = HTTPS only (TLS 1.2+).
    std::string tls_cert_file;  // BONEWATCH_NOTIFY_TLS_CERT_FILE
    std::string tls_key_file;   // BONEWATCH_NOTIFY_TLS_KEY_FILE
    // Plain HTTP on an address other than loopback is refused unless this is set (a TLS-
    // terminating proxy or service mesh in front).
    bool allow_plain_http = false;
    size_t max_body_bytes = 1024 * 1024;
    // A connection that has not sent a complete request head this long after accept (or
    // after its previous answer) is closed; the same time bounds the body and TLS handshake.
    int header_timeout_seconds = 10;
    // Open connections; at the limit the oldest one still reading its head is closed.
    int max_connections = 1024;
    // Complete requests waiting for a worker; beyond it the answer is 503 with Retry-After.
    int max_queued_requests = 100;
  } notifications;

  struct Subscriptions {
    bool enabled = true;                  // manage rest-hook Subscriptions on the FHIR server
    int check_interval_seconds = 300;     // read ours back and repair them this often
    int activation_timeout_seconds = 60;  // `requested` longer than this is repaired
  } subscriptions;

  struct Poller {
    bool enabled = true;
    int interval_seconds = 60;
    // Used instead (when shorter) while a managed Subscription does not deliver.
    int degraded_interval_seconds = 15;
    int overlap_seconds = 120;
    int page_size = 100;
  } poller;

  // The pass that finds deletes no notification told (ingest_reconcile.h).
  struct Reconcile {
    bool enabled = true;
    int interval_seconds = 300;
    int batch_size = 100;
    int max_batches_per_run = 20;
  } reconcile;

  struct Store {
    std::string path = "/var/lib/bonewatch/bonewatch.db";  // BONEWATCH_STORE_PATH
  } store;

  struct Ops {
    std::string listen_address = "127.0.0.1";
    int port = 9090;  // BONEWATCH_OPS_PORT
  } ops;

  struct Logging {
    std::string format = "text";  // text | json
    std::string level = "info";   // debug | info | warning | error
  } logging;

  std::string mappings_dir;  // extra mapping files merged over the defaults ("" = none)
  std::string rules_file;    // rule threshold overrides ("" = none)
  int worker_threads = 2;
  // The worker thread (and the write-back threads it starts) runs this much nicer than the
  // process, so that on a busy machine the notification endpoint's answers win the CPU.
  int worker_niceness = 5;
  int shutdown_grace_seconds = 20;
  int max_inbox_attempts = 5;  // then the item becomes a dead letter
};

// One BONEWATCH_* environment override: `variable` replaces the value of
// the file key `key`. For a `*File` key the variable holds the secret
// itself. `secret`: never logged or echoed.
struct ConfigEnvOverride {
  std::string_view variable;
  std::string_view key;
  bool secret;
};
// The override table (one table, in config_fields.cc), for docs and tests.
const std::vector<ConfigEnvOverride>& ConfigEnvOverrides();
// Every key the parser accepts, dotted ("fhir.baseUrl"), in table order.
std::vector<std::string> ConfigKeyPaths();

// Reads, overrides from `env`, and validates. Relative paths (store.path,
// mappingsDir, rulesFile, *File keys, TLS files) are resolved against the
// config file's directory. Errors are collected: the message lists every
// problem, one per line, each "file: field.path: reason". `env` maps BONEWATCH_* names
// to values (pass CurrentEnvironment() in production, a map in tests).
StatusOr<std::shared_ptr<const Config>> LoadConfig(const std::string& path,
                                                   const std::map<std::string, std::string>& env);
// Same, from text (for tests); `file_name` is used in messages.
StatusOr<std::shared_ptr<const Config>> ParseConfig(const std::string& text,
                                                    const std::string& file_name,
                                                    const std::map<std::string, std::string>& env);

// The BONEWATCH_* variables of this process.
std::map<std::string, std::string> CurrentEnvironment();

}  // namespace bonewatch::adapter
