// Config parsing and validation (config.h); the key table is in config_fields.cc.
#include "config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "bonewatch/fhir/json.h"
#include "config_fields.h"
#include "ingest_server_access.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX

namespace bonewatch::adapter {
namespace {

using config_internal::FieldSpec;
using config_internal::FieldType;
using fhir::Json;

bool IsHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://"))
    rest = url.substr(7);
  else if (url.starts_with("https://"))
    rest = url.substr(8);
  else
    return false;
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  for (char c : url) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

bool ParseUtcOffset(std::string_view text, int* minutes) {
  if (text == "Z") {
    *minutes = 0;
    return true;
  }
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return false;
  for (size_t i : {1, 2, 4, 5}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const int hh = (text[1] - '0') * 10 + (text[2] - '0');
  const int mm = (text[4] - '0') * 10 + (text[5] - '0');
  if (mm > 59 || hh * 60 + mm > 14 * 60) return false;
  *minutes = (text[0] == '-' ? -1 : 1) * (hh * 60 + mm);
  return true;
}

StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return UnavailableError("error reading '" + path + "'");
  return text.str();
}

class Parser {
 public:
  Parser(std::string file_name, const std::map<std::string, std::string>& env)
      : file_(std::move(file_name)), env_(env) {
    base_dir_ = std::filesystem::path(file_).parent_path();
  }

  void Walk(const Json& object, const std::string& prefix) {
    for (const Json::Member& m : object.members()) {
      if (m.key.starts_with("_")) continue;  // "_comment" keys
      const std::string path = prefix.empty() ? m.key : prefix + "." + m.key;
      if (const FieldSpec* field = FindField(path)) {
        given_.insert(path);
        Apply(*field, m.value);
      } else if (IsSection(path)) {
        if (m.value.is_object())
          Walk(m.value, path);
        else
          Error(path, "must be an object");
      } else {
        Error(path, "unknown key");
      }
    }
  }

  void ApplyEnvironment() {
    for (const ConfigEnvOverride& o : ConfigEnvOverrides()) {
      const std::string* value = EnvValue(o.variable);
      if (value == nullptr) continue;
      const FieldSpec* field = FindField(o.key);
      const std::string where = "environment " + std::string(o.variable);
      if ((field->type == FieldType::kUrl || field->type == FieldType::kOptionalUrl) &&
          !IsHttpUrl(*value)) {
        errors_.push_back(where + " (" + std::string(o.key) + "): must be an absolute http(s) URL");
        continue;
      }
      if (field->type == FieldType::kInt) {
        const bool digits =
            value->size() <= 9 && value->find_first_not_of("0123456789") == std::string::npos;
        const int64_t n = digits ? std::stoll(*value) : -1;
        if (!digits || n < field->min || n > field->max) {
          errors_.push_back(where + " (" + std::string(o.key) + "): must be an integer from " +
                            std::to_string(field->min) + " to " + std::to_string(field->max));
          continue;
        }
        std::get<config_internal::IntRef>(field->target)(config_) = static_cast<int>(n);
        continue;
      }
      // Paths from the environment are taken as given (relative to the working directory).
      std::get<config_internal::StringRef>(field->target)(config_) = *value;
    }
  }

  // One spelling for values that are compared or concatenated later: the
  // canonical base without trailing '/' ("{base}/CodeSystem/tag" must be the
  // same string in the Writer, the decoder and the Subscription manager).
  void Normalize() {
    std::string& base = config_.canonical_base;
    while (base.ends_with('/')) base.pop_back();
  }

  // Config::time_zone from timeZone or timeZoneOffset (at most one).
  void ResolveTimeZone() {
    if (config_.time_zone_name.empty()) {
      config_.time_zone = fhir::TimeZone::FixedOffset(config_.utc_offset_minutes);
      return;
    }
    if (given_.count("timeZoneOffset") != 0) {
      return Error("timeZone",
                   "set either timeZone (an IANA name) or timeZoneOffset (a fixed offset), "
                   "not both");
    }
    StatusOr<fhir::TimeZone> zone = fhir::TimeZone::Named(config_.time_zone_name);
    if (!zone.ok()) return Error("timeZone", zone.status().message());
    config_.time_zone = *zone;
  }

  void CheckCombinations() {
    const Config& c = config_;
    if (c.fhir.base_url.empty()) {
      Error("fhir.baseUrl", "is required (or set BONEWATCH_FHIR_BASE_URL)");
    }
    if (c.fhir.auth == "bearer" && c.fhir.bearer_token.empty()) {
      Error("fhir.bearerTokenFile",
            "auth 'bearer' needs a token (fhir.bearerTokenFile or BONEWATCH_FHIR_BEARER_TOKEN)");
    }
    if (c.fhir.auth == "basic") {
      if (c.fhir.basic_username.empty()) {
        Error("fhir.basicUsername", "auth 'basic' needs a user name");
      }
      if (c.fhir.basic_password.empty()) {
        Error("fhir.basicPasswordFile",
              "auth 'basic' needs a password (fhir.basicPasswordFile or "
              "BONEWATCH_FHIR_BASIC_PASSWORD)");
      }
    }
    if (c.fhir.auth == "smart-backend") {
      if (c.fhir.smart_client_id.empty()) {
        Error("fhir.smartClientId", "auth 'smart-backend' needs a client id");
      }
      if (c.fhir.smart_private_key_pem.empty()) {
        Error("fhir.smartPrivateKeyFile",
              "auth 'smart-backend' needs a private key (fhir.smartPrivateKeyFile or "
              "BONEWATCH_SMART_PRIVATE_KEY)");
      }
    }
    if (c.fhir.auth == "client-credentials") {
      if (c.fhir.oauth_client_id.empty()) {
        Error("fhir.oauthClientId", "auth 'client-credentials' needs a client id");
      }
      if (c.fhir.oauth_client_secret.empty()) {
        Error("fhir.oauthClientSecretFile",
              "auth 'client-credentials' needs a client secret (fhir.oauthClientSecretFile or "
              "BONEWATCH_OAUTH_CLIENT_SECRET)");
      }
    }
    if (c.fhir.client_cert_file.empty() != c.fhir.client_key_file.empty()) {
      Error(c.fhir.client_cert_file.empty() ? "fhir.clientCertFile" : "fhir.clientKeyFile",
            "mutual TLS needs both fhir.clientCertFile and fhir.clientKeyFile");
    }
    if (c.subscriptions.enabled && !c.notifications.enabled) {
      Error("subscriptions.enabled",
            "rest-hook subscriptions need notifications.enabled (nothing would receive them)");
    }
    if (c.subscriptions.enabled && c.notifications.enabled &&
        c.notifications.public_endpoint.empty()) {
      Error("notifications.publicEndpoint",
            "is required when subscriptions are enabled: the URL the FHIR server calls "
            "(or set BONEWATCH_NOTIFY_ENDPOINT)");
    }
    if (!c.notifications.enabled && !c.poller.enabled) {
      Error("poller.enabled", "with notifications disabled too, nothing would ever be ingested");
    }
    if (!c.notifications.shared_secret.empty() && c.notifications.secret_header.empty()) {
      Error("notifications.secretHeader", "must name a header when a shared secret is set");
    }
    if (c.notifications.enabled && c.notifications.port != 0 &&
        c.notifications.port == c.ops.port &&
        c.notifications.listen_address == c.ops.listen_address) {
      Error("ops.port", "must differ from notifications.port");
    }
    if (c.store.path.empty()) Error("store.path", "must not be empty");
    if (c.notifications.enabled) CheckNotificationSecurity();
  }

  // The rest-hook endpoint accepts writes into the inbox: anything beyond loopback must be
  // encrypted (or behind a TLS-terminating proxy, stated explicitly) and authenticated.
  void CheckNotificationSecurity() {
    const Config::Notifications& n = config_.notifications;
    const bool tls = !n.tls_cert_file.empty() || !n.tls_key_file.empty();
    if (n.tls_cert_file.empty() != n.tls_key_file.empty()) {
      Error(n.tls_cert_file.empty() ? "notifications.tlsCertFile" : "notifications.tlsKeyFile",
            "TLS needs both notifications.tlsCertFile and notifications.tlsKeyFile");
    }
    for (const auto& [key, file] : {std::pair{"notifications.tlsCertFile", &n.tls_cert_file},
                                    std::pair{"notifications.tlsKeyFile", &n.tls_key_file}}) {
      std::error_code ec;
      if (!file->empty() && !std::filesystem::is_regular_file(*file, ec)) {
        Error(key, "'" + *file + "' is not a readable file");
      }
    }
    if (tls && n.allow_plain_http) {
      Error("notifications.allowPlainHttp", "contradicts the TLS files: choose one");
    }
    if (IsLoopbackListenAddress(n.listen_address)) return;
    if (!tls && !n.allow_plain_http) {
      Error("notifications.listenAddress",
            "'" + n.listen_address +
                "' is reachable from other hosts: set notifications.tlsCertFile and "
                "notifications.tlsKeyFile, or notifications.allowPlainHttp when a "
                "TLS-terminating proxy is in front");
    }
    if (n.shared_secret.empty() && n.hmac_secret.empty() && n.bearer_token.empty() &&
        n.allowed_clients.empty()) {
      Error("notifications.listenAddress",
            "'" + n.listen_address +
                "' is reachable from other hosts: configure at least one check "
                "(sharedSecretFile, hmacSecretFile, bearerTokenFile or allowedClients)");
    }
  }

  StatusOr<std::shared_ptr<const Config>> Finish() {
    if (!errors_.empty()) {
      std::string message;
      for (const std::string& e : errors_) {
        if (!message.empty()) message += "\n";
        message += file_ + ": " + e;
      }
      return InvalidArgumentError(std::move(message));
    }
    config_.source_path = file_;
    return std::shared_ptr<const Config>(std::make_shared<Config>(std::move(config_)));
  }

  void Error(std::string_view path, std::string_view what) {
    errors_.push_back(std::string(path) + ": " + std::string(what));
  }

 private:
  static const FieldSpec* FindField(std::string_view path) {
    for (const FieldSpec& f : config_internal::Fields()) {
      if (f.path == path) return &f;
    }
    return nullptr;
  }
  static bool IsSection(const std::string& path) {
    for (const FieldSpec& f : config_internal::Fields()) {
      if (f.path.size() > path.size() && f.path.starts_with(path) && f.path[path.size()] == '.') {
        return true;
      }
    }
    return false;
  }
  const std::string* EnvValue(std::string_view variable) const {
    auto it = env_.find(std::string(variable));
    if (it == env_.end() || it->second.empty()) return nullptr;  // empty = unset
    return &it->second;
  }
  bool OverriddenByEnv(std::string_view key) const {
    for (const ConfigEnvOverride& o : ConfigEnvOverrides()) {
      if (o.key == key && EnvValue(o.variable) != nullptr) return true;
    }
    return false;
  }
  std::string Resolve(const std::string& path) const {
    if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir_.empty()) {
      return path;
    }
    return (base_dir_ / path).lexically_normal().string();
  }

  void Apply(const FieldSpec& f, const Json& v) {
    switch (f.type) {
      case FieldType::kBool:
        if (!v.is_bool()) return Error(f.path, "must be true or false");
        std::get<config_internal::BoolRef>(f.target)(config_) = v.AsBool();
        return;
      case FieldType::kInt:
      case FieldType::kSize: {
        std::optional<int64_t> n = v.is_number() ? v.AsInt64() : std::nullopt;
        if (!n || *n < f.min || *n > f.max) {
          return Error(f.path, "must be an integer from " + std::to_string(f.min) + " to " +
                                   std::to_string(f.max));
        }
        if (f.type == FieldType::kInt) {
          std::get<config_internal::IntRef>(f.target)(config_) = static_cast<int>(*n);
        } else {
          std::get<config_internal::SizeRef>(f.target)(config_) = static_cast<size_t>(*n);
        }
        return;
      }
      case FieldType::kUtcOffset: {
        int minutes = 0;
        if (!v.is_string() || !ParseUtcOffset(v.AsString(), &minutes)) {
          return Error(f.path, "must be a UTC offset \"+HH:MM\", \"-HH:MM\" or \"Z\" within 14:00");
        }
        std::get<config_internal::IntRef>(f.target)(config_) = minutes;
        return;
      }
      case FieldType::kCidrList: {
        std::vector<std::string> entries;
        if (v.is_array()) {
          for (const Json& e : v.elements()) {
            if (!e.is_string()) break;
            entries.push_back(e.AsString());
          }
        }
        if (!v.is_array() || entries.size() != v.elements().size()) {
          return Error(f.path, "must be an array of CIDR strings, e.g. [\"10.0.0.0/8\"]");
        }
        if (StatusOr<ClientAllowList> list = ClientAllowList::Parse(entries); !list.ok()) {
          return Error(f.path, list.status().message());
        }
        std::get<config_internal::StringListRef>(f.target)(config_) = std::move(entries);
        return;
      }
      default:
        break;
    }
    if (!v.is_string()) return Error(f.path, "must be a string");
    const std::string& s = v.AsString();
    std::string& target = std::get<config_internal::StringRef>(f.target)(config_);
    switch (f.type) {
      case FieldType::kUrl:
      case FieldType::kOptionalUrl:
        if ((f.type == FieldType::kUrl || !s.empty()) && !IsHttpUrl(s)) {
          return Error(f.path, "must be an absolute http(s) URL");
        }
        target = s;
        return;
      case FieldType::kEnum: {
        const std::string choices(f.choices);
        if (("|" + choices + "|").find("|" + s + "|") == std::string::npos || s.empty()) {
          return Error(f.path, "must be one of " + choices + ", got '" + s + "'");
        }
        target = s;
        return;
      }
      case FieldType::kPath:
        target = Resolve(s);
        return;
      case FieldType::kSecretFile: {
        if (s.empty() || OverriddenByEnv(f.path)) return;  // the environment wins
        StatusOr<std::string> secret = ReadWholeFile(Resolve(s));
        if (!secret.ok()) return Error(f.path, secret.status().message());
        std::string value = std::move(secret).value();
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
        if (value.empty()) return Error(f.path, "the file '" + Resolve(s) + "' is empty");
        target = std::move(value);
        return;
      }
      default:
        target = s;
        return;
    }
  }

  std::string file_;
  const std::map<std::string, std::string>& env_;
  std::filesystem::path base_dir_;
  Config config_;
  std::set<std::string> given_;  // the keys the file sets, dotted
  std::vector<std::string> errors_;
};

}  // namespace

StatusOr<std::shared_ptr<const Config>> ParseConfig(const std::string& text,
                                                    const std::string& file_name,
                                                    const std::map<std::string, std::string>& env) {
  Parser parser(file_name, env);
  StatusOr<Json> json = Json::Parse(text);
  if (!json.ok()) return InvalidArgumentError(file_name + ": " + json.status().message());
  if (!json->is_object()) {
    return InvalidArgumentError(file_name + ": the configuration must be a JSON object");
  }
  parser.Walk(*json, "");
  parser.ApplyEnvironment();
  parser.Normalize();
  parser.ResolveTimeZone();
  parser.CheckCombinations();
  return parser.Finish();
}

StatusOr<std::shared_ptr<const Config>> LoadConfig(const std::string& path,
                                                   const std::map<std::string, std::string>& env) {
  StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return Status(text.status().code(), path + ": " + text.status().message());
  return ParseConfig(*text, path, env);
}

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with("BONEWATCH_")) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

}  // namespace bonewatch::adapter
