// Config parsing (adapter/src/config.h), the example config and the docs table.
#include "config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Env = std::map<std::string, std::string>;

constexpr const char* kMinimal =
    R"({"fhir":{"baseUrl":"http://fhir.test/R4"},"subscriptions":{"enabled":false}})";

std::shared_ptr<const Config> MustParse(const std::string& text, const Env& env = {}) {
  auto c = ParseConfig(text, "bw.json", env);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : nullptr;
}

std::string ErrorOf(const std::string& text, const Env& env = {}) {
  auto c = ParseConfig(text, "bw.json", env);
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.status().message();
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("bonewatch-config-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name) << content;
    return (path_ / name).string();
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(Config, MinimalFileGivesDefaults) {
  auto c = MustParse(kMinimal);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->fhir.base_url, "http://fhir.test/R4");
  EXPECT_EQ(c->fhir.auth, "none");
  EXPECT_EQ(c->canonical_base, "http://bonewatch.example/fhir");
  EXPECT_EQ(c->notifications.port, 8090);
  EXPECT_EQ(c->ops.port, 9090);
  EXPECT_EQ(c->worker_threads, 2);
  EXPECT_EQ(c->source_path, "bw.json");
}

TEST(Config, CanonicalBaseLosesTrailingSlashes) {
  // The Writer, the ingest decoder and the Subscription manager all append
  // "/CodeSystem/..." to it: they must agree on one spelling.
  auto c = MustParse(
      R"({"fhir":{"baseUrl":"http://fhir.test/R4"},"subscriptions":{"enabled":false},)"
      R"("canonicalBase":"https://bw.example/fhir//"})");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->canonical_base, "https://bw.example/fhir");
}

TEST(Config, EveryFieldIsParsed) {
  auto c = MustParse(R"({
    "fhir": {"baseUrl": "https://f.example/fhir", "auth": "basic", "basicUsername": "bw",
             "connectTimeoutMs": 100, "transactionMaxEntries": 1},
    "timeZoneOffset": "-05:30", "inputs": {"procedure": false},
    "notifications": {"port": 0, "maxBodyBytes": 4096, "publicEndpoint": "http://bw:1/fhir/notify"},
    "ops": {"port": 0}, "poller": {"overlapSeconds": 0}, "logging": {"format": "json"},
    "workerThreads": 8, "store": {"path": "/tmp/x.db"}, "_comment": "ignored"})",
                     {{"BONEWATCH_FHIR_BASIC_PASSWORD", "pw"}});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->fhir.basic_password, "pw");
  EXPECT_EQ(c->fhir.connect_timeout_ms, 100);
  EXPECT_EQ(c->fhir.transaction_max_entries, 1);
  EXPECT_EQ(c->utc_offset_minutes, -330);
  EXPECT_FALSE(c->inputs.procedure);
  EXPECT_EQ(c->notifications.port, 0);
  EXPECT_EQ(c->notifications.max_body_bytes, 4096u);
  EXPECT_EQ(c->poller.overlap_seconds, 0);
  EXPECT_EQ(c->logging.format, "json");
  EXPECT_EQ(c->worker_threads, 8);
  EXPECT_EQ(c->store.path, "/tmp/x.db");
}

TEST(Config, ErrorsAreCollectedAndNameFileAndField) {
  const std::string error = ErrorOf(R"({
    "fhir": {"baseUrl": "ftp://x", "auth": "kerberos", "maxAttempts": "4"},
    "notifications": {"port": 70000}, "poller": {"pageSize": 0}, "logging": "json",
    "timeZoneOffset": "+15:00", "storee": {}, "inputs": {"condition": 1}})");
  EXPECT_THAT(error, HasSubstr("bw.json: fhir.baseUrl: must be an absolute http(s) URL"));
  EXPECT_THAT(error,
              HasSubstr("bw.json: fhir.auth: must be one of none|bearer|basic|smart-backend"));
  EXPECT_THAT(error, HasSubstr("bw.json: fhir.maxAttempts: must be an integer from 1 to 20"));
  EXPECT_THAT(error, HasSubstr("bw.json: notifications.port: must be an integer from 0 to 65535"));
  EXPECT_THAT(error, HasSubstr("bw.json: poller.pageSize:"));
  EXPECT_THAT(error, HasSubstr("bw.json: logging: must be an object"));
  EXPECT_THAT(error, HasSubstr("bw.json: timeZoneOffset:"));
  EXPECT_THAT(error, HasSubstr("bw.json: storee: unknown key"));
  EXPECT_THAT(error, HasSubstr("bw.json: inputs.condition: must be true or false"));
}

TEST(Config, TimeZoneDefaultsToUtc) {
  auto c = MustParse(kMinimal);
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->time_zone.is_named());
  EXPECT_EQ(c->time_zone.Name(), "+00:00");
}

TEST(Config, TimeZoneOffsetGivesAFixedZone) {
  auto c = MustParse(
      R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
          "timeZoneOffset":"+01:00"})");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->time_zone.Name(), "+01:00");
  // 2026-06-30T22:30:00Z: 23:30 at +01:00, still June 30th.
  EXPECT_EQ(c->time_zone.LocalDateAt(int64_t{1782858600000}).ToString(), "2026-06-30");
}

TEST(Config, TimeZoneNameGivesTheIanaZoneWithSummerTime) {
  auto c = MustParse(
      R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
          "timeZone":"Europe/Berlin"})");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->time_zone.is_named());
  EXPECT_EQ(c->time_zone.Name(), "Europe/Berlin");
  EXPECT_EQ(c->time_zone_name, "Europe/Berlin");
  // 2026-06-30T22:30:00Z is 00:30 CEST on July 1st.
  EXPECT_EQ(c->time_zone.LocalDateAt(int64_t{1782858600000}).ToString(), "2026-07-01");
}

TEST(Config, UnknownTimeZoneNameIsAnErrorNamingTheField) {
  const std::string error = ErrorOf(
      R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
          "timeZone":"Europe/Atlantis"})");
  EXPECT_THAT(error, HasSubstr("bw.json: timeZone: unknown IANA time zone 'Europe/Atlantis'"));
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
                          "timeZone":"+01:00"})"),
              HasSubstr("bw.json: timeZone: unknown IANA time zone '+01:00'"));
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
                          "timeZone":60})"),
              HasSubstr("bw.json: timeZone: must be a string"));
}

TEST(Config, TimeZoneAndTimeZoneOffsetTogetherAreAnError) {
  // Even an offset that agrees with the zone: one key says which rules apply.
  const std::string error = ErrorOf(
      R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
          "timeZone":"Europe/Berlin","timeZoneOffset":"+01:00"})");
  EXPECT_THAT(error, HasSubstr("bw.json: timeZone: set either timeZone"));
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
                          "timeZone":"UTC","timeZoneOffset":"Z"})"),
              HasSubstr("not both"));
}

TEST(Config, UnknownNestedKeyIsRejected) {
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/","baseURL":"http://g/"},
                         "subscriptions":{"enabled":false}})"),
              HasSubstr("bw.json: fhir.baseURL: unknown key"));
}

TEST(Config, MalformedJsonNamesTheFile) {
  EXPECT_THAT(ErrorOf("{\"fhir\": "), HasSubstr("bw.json: invalid JSON"));
  EXPECT_THAT(ErrorOf("[]"), HasSubstr("bw.json: the configuration must be a JSON object"));
}

TEST(Config, BaseUrlIsRequiredUnlessFromEnvironment) {
  EXPECT_THAT(ErrorOf(R"({"subscriptions":{"enabled":false}})"),
              HasSubstr("fhir.baseUrl: is required"));
  auto c = MustParse(R"({"subscriptions":{"enabled":false}})",
                     {{"BONEWATCH_FHIR_BASE_URL", "https://env.example/fhir"}});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->fhir.base_url, "https://env.example/fhir");
  EXPECT_THAT(ErrorOf(kMinimal, {{"BONEWATCH_FHIR_BASE_URL", "not a url"}}),
              HasSubstr("environment BONEWATCH_FHIR_BASE_URL (fhir.baseUrl): must be an absolute"));
}

TEST(Config, EnvironmentOverridesFileValues) {
  auto c = MustParse(R"({"fhir":{"baseUrl":"http://file/"},"store":{"path":"/file.db"},
                        "notifications":{"publicEndpoint":"http://file:8090/fhir/notify"}})",
                     {{"BONEWATCH_FHIR_BASE_URL", "http://env/"},
                      {"BONEWATCH_STORE_PATH", "/env.db"},
                      {"BONEWATCH_NOTIFY_ENDPOINT", "http://env:8090/fhir/notify"},
                      {"BONEWATCH_NOTIFY_SECRET", "s3cret"},
                      {"BONEWATCH_NOTIFY_HMAC_SECRET", "hm4c"},
                      {"BONEWATCH_UNRELATED", "ignored"}});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->fhir.base_url, "http://env/");
  EXPECT_EQ(c->store.path, "/env.db");
  EXPECT_EQ(c->notifications.public_endpoint, "http://env:8090/fhir/notify");
  EXPECT_EQ(c->notifications.shared_secret, "s3cret");
  EXPECT_EQ(c->notifications.hmac_secret, "hm4c");
}

TEST(Config, AuthRequirements) {
  const std::string bearer =
      R"({"fhir":{"baseUrl":"http://f/","auth":"bearer"},"subscriptions":{"enabled":false}})";
  EXPECT_THAT(ErrorOf(bearer), HasSubstr("fhir.bearerTokenFile: auth 'bearer' needs a token"));
  EXPECT_EQ(MustParse(bearer, {{"BONEWATCH_FHIR_BEARER_TOKEN", "t0k"}})->fhir.bearer_token, "t0k");
  const std::string basic =
      R"({"fhir":{"baseUrl":"http://f/","auth":"basic"},"subscriptions":{"enabled":false}})";
  EXPECT_THAT(ErrorOf(basic), HasSubstr("fhir.basicUsername: auth 'basic' needs a user name"));
  EXPECT_THAT(ErrorOf(basic), HasSubstr("fhir.basicPasswordFile: auth 'basic' needs a password"));
  const std::string smart =
      R"({"fhir":{"baseUrl":"http://f/","auth":"smart-backend"},"subscriptions":{"enabled":false}})";
  EXPECT_THAT(ErrorOf(smart),
              HasSubstr("fhir.smartClientId: auth 'smart-backend' needs a client id"));
  EXPECT_THAT(ErrorOf(smart), HasSubstr("fhir.smartPrivateKeyFile: auth 'smart-backend' needs"));
  auto c = MustParse(smart, {{"BONEWATCH_SMART_CLIENT_ID", "bw"},
                             {"BONEWATCH_SMART_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----"}});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->fhir.smart_client_id, "bw");
}

TEST(Config, CombinationRules) {
  EXPECT_THAT(
      ErrorOf(R"({"fhir":{"baseUrl":"http://f/"}})"),
      HasSubstr("notifications.publicEndpoint: is required when subscriptions are enabled"));
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/"},"notifications":{"enabled":false}})"),
              HasSubstr("subscriptions.enabled: rest-hook subscriptions need notifications"));
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/"},"notifications":{"enabled":false},
                         "subscriptions":{"enabled":false},"poller":{"enabled":false}})"),
              HasSubstr("poller.enabled: with notifications disabled too"));
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/","clientCertFile":"c.pem"},
                         "subscriptions":{"enabled":false}})"),
              HasSubstr("fhir.clientKeyFile: mutual TLS needs both"));
  EXPECT_THAT(ErrorOf(R"({"fhir":{"baseUrl":"http://f/"},"subscriptions":{"enabled":false},
                         "notifications":{"port":9000,"listenAddress":"127.0.0.1"},
                         "ops":{"port":9000}})"),
              HasSubstr("ops.port: must differ from notifications.port"));
}

TEST(Config, SecretFilesAreReadTrimmedAndNeverEchoed) {
  TempDir dir;
  dir.Write("token", "super-secret-token\n");
  dir.Write("empty", "\n");
  const std::string path = dir.Write("bw.json", R"({"fhir":{"baseUrl":"http://f/","auth":"bearer",
      "bearerTokenFile":"token"},"subscriptions":{"enabled":false},"store":{"path":"state/bw.db"}})");
  auto c = LoadConfig(path, {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->fhir.bearer_token, "super-secret-token");
  EXPECT_EQ((*c)->store.path, (dir.path() / "state/bw.db").string());  // relative to the file
  EXPECT_EQ((*c)->source_path, path);

  const std::string bad = dir.Write("bad.json", R"({"fhir":{"baseUrl":"http://f/","auth":"bearer",
      "bearerTokenFile":"empty","basicPasswordFile":"missing"},"subscriptions":{"enabled":false}})");
  auto e = LoadConfig(bad, {});
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr(bad + ": fhir.bearerTokenFile: the file"));
  EXPECT_THAT(e.status().message(), HasSubstr(bad + ": fhir.basicPasswordFile: cannot read"));

  // Secrets from the environment never appear in messages, even when the rest is invalid.
  auto env_error = ParseConfig(R"({"fhir":{"baseUrl":"ftp://x"}})", "bw.json",
                               {{"BONEWATCH_FHIR_BEARER_TOKEN", "env-secret-value"},
                                {"BONEWATCH_NOTIFY_SECRET", "notify-secret-value"}});
  ASSERT_FALSE(env_error.ok());
  EXPECT_THAT(env_error.status().message(), Not(HasSubstr("secret-value")));
}

TEST(Config, MissingFileNamesIt) {
  auto c = LoadConfig("/nonexistent/bonewatch.json", {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/bonewatch.json"));
}

TEST(Config, ShippedExampleLoads) {
  const std::string path = std::string(BONEWATCH_SOURCE_DIR) + "/deploy/bonewatch.example.json";
  // Secrets and the TLS files come from where the deployment mounts them; here from the
  // environment and a temp dir.
  TempDir dir;
  const std::string cert = dir.Write("tls.crt", "cert");
  const std::string key = dir.Write("tls.key", "key");
  auto c = LoadConfig(path, {{"BONEWATCH_SMART_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----"},
                             {"BONEWATCH_NOTIFY_SECRET", "s"},
                             {"BONEWATCH_NOTIFY_TLS_CERT_FILE", cert},
                             {"BONEWATCH_NOTIFY_TLS_KEY_FILE", key}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->fhir.auth, "smart-backend");
  EXPECT_EQ((*c)->time_zone.Name(), "Europe/Berlin");
  EXPECT_EQ((*c)->notifications.listen_address, "0.0.0.0");
  EXPECT_TRUE((*c)->notifications.public_endpoint.starts_with("https://"));
  // Without the TLS files the example does not start.
  auto missing = LoadConfig(path, {{"BONEWATCH_SMART_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----"},
                                   {"BONEWATCH_NOTIFY_SECRET", "s"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("notifications.tlsCertFile: '/run/secrets/bonewatch-tls/tls.crt'"));
}

std::string ReadDocs() {
  std::ifstream in(std::string(BONEWATCH_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Config, DocsKeyTableMatchesTheParser) {
  // Rows of the "## Keys" table: | `key` | type | default | `ENV` or empty | meaning |
  const std::string docs = ReadDocs();
  const size_t keys_at = docs.find("## Keys");
  ASSERT_NE(keys_at, std::string::npos);
  std::istringstream lines(docs.substr(keys_at));
  // (Split by hand: std::regex trips GCC 12's -Wmaybe-uninitialized in the sanitizer build.)
  auto backticked = [](const std::string& cell) -> std::string {
    const size_t open = cell.find('`');
    const size_t close = open == std::string::npos ? open : cell.find('`', open + 1);
    return close == std::string::npos ? "" : cell.substr(open + 1, close - open - 1);
  };
  std::set<std::string> documented;
  std::map<std::string, std::string> documented_env;
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("| `")) continue;
    std::vector<std::string> cells;
    size_t at = 1;
    // Split on " | " (a "\|" inside a cell is an escaped pipe, not a separator).
    while (at < line.size()) {
      size_t next = at;
      do {
        next = line.find('|', next);
      } while (next != std::string::npos && line[next - 1] == '\\' && ++next);
      if (next == std::string::npos) break;
      cells.push_back(line.substr(at, next - at));
      at = next + 1;
    }
    ASSERT_EQ(cells.size(), 5u) << line;
    const std::string key = backticked(cells[0]);
    documented.insert(key);
    const std::string env = backticked(cells[3]);
    if (!env.empty()) documented_env[key] = env;
  }
  const std::vector<std::string> keys = ConfigKeyPaths();
  EXPECT_EQ(documented, std::set<std::string>(keys.begin(), keys.end()));
  std::map<std::string, std::string> parser_env;
  for (const ConfigEnvOverride& o : ConfigEnvOverrides()) {
    parser_env[std::string(o.key)] = std::string(o.variable);
    EXPECT_THAT(docs, HasSubstr("| `" + std::string(o.variable) + "` | `" + std::string(o.key)))
        << "environment table row";
  }
  EXPECT_EQ(documented_env, parser_env);
}

TEST(Config, ExampleSetsEveryTopLevelSection) {
  // The example is "complete": every key of the table appears in it, except the
  // alternatives it documents elsewhere (other auth kinds' secrets, TLS client keys, the
  // fixed-offset alternative to timeZone).
  std::ifstream in(std::string(BONEWATCH_SOURCE_DIR) + "/deploy/bonewatch.example.json");
  std::stringstream text;
  text << in.rdbuf();
  for (const std::string& key : ConfigKeyPaths()) {
    const std::string leaf = key.substr(key.rfind('.') + 1);
    if (leaf == "bearerTokenFile" || leaf == "basicUsername" || leaf == "basicPasswordFile" ||
        leaf == "clientCertFile" || leaf == "clientKeyFile" || leaf == "hmacSecretFile" ||
        leaf == "smartScope" || leaf.starts_with("oauth") || leaf == "timeZoneOffset") {
      continue;
    }
    EXPECT_THAT(text.str(), HasSubstr("\"" + leaf + "\"")) << key;
  }
}

TEST(Config, CurrentEnvironmentHasOnlyBonewatchVariables) {
  ::setenv("BONEWATCH_CONFIG_TEST_VAR", "1", 1);
  const Env env = CurrentEnvironment();
  ::unsetenv("BONEWATCH_CONFIG_TEST_VAR");
  EXPECT_EQ(env.count("BONEWATCH_CONFIG_TEST_VAR"), 1u);
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with("BONEWATCH_")) << name;
}

}  // namespace
}  // namespace bonewatch::adapter
