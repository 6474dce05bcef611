// FakeFhir: an in-memory FHIR server behind fhir::HttpTransport, for the
// writer and pipeline unit tests. It records every request and implements just
// what the Writer and Pipeline use: read, create (with If-None-Exist on
// identifier), update by id (with If-Match), conditional update by identifier,
// and transactions (atomic, or failing as configured). versionIds are opaque
// strings ("v-N"), like the UUIDs of real servers.
//
// Faults: `fail_next` answers the next N requests with `fail_status`, and so
// does `fail_body_containing` every request whose body contains it;
// `transaction_status` != 0 answers every transaction with that HTTP status;
// `non_atomic_fail_entry` >= 0 answers a transaction 200 with that entry failed
// (the others applied), as a server without atomic transactions does.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/http.h"
#include "bonewatch/fhir/json.h"

namespace bonewatch::adapter::testing {

inline std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

class FakeFhir final : public fhir::HttpTransport {
 public:
  static constexpr const char* kBase = "http://fake/fhir";

  struct Answer {
    int status = 200;
    fhir::Json body;
    std::string location;
    std::string etag;
  };

  std::vector<fhir::HttpRequest> requests;
  std::map<std::string, fhir::Json> resources;  // "Type/id" -> resource
  std::recursive_mutex send_mutex_;
  int fail_next = 0;
  int fail_status = 503;
  // Non-empty: every request whose body contains it is answered fail_status.
  std::string fail_body_containing;
  int transaction_status = 0;
  int non_atomic_fail_entry = -1;
  // Called with every request before it is answered (e.g. to let other work
  // happen "while the request is in flight").
  std::function<void(const fhir::HttpRequest&)> on_request;

  size_t Count(const std::string& method) const {
    size_t n = 0;
    for (const auto& r : requests) n += r.method == method ? 1 : 0;
    return n;
  }
  size_t Writes() const { return Count("PUT") + Count("POST"); }

  // Stores a resource as "another client" would (new version).
  std::string Put(const std::string& type, const std::string& id, fhir::Json resource) {
    resource.Set("id", fhir::Json(id));
    return Store(type, id, std::move(resource));
  }

  const fhir::Json* FindByIdentifier(const std::string& type, const std::string& system,
                                     const std::string& value) const {
    for (const auto& [key, resource] : resources) {
      if (key.rfind(type + "/", 0) != 0) continue;
      const fhir::Json* ids = resource.Find("identifier");
      if (ids == nullptr || !ids->is_array()) continue;
      for (const fhir::Json& id : ids->elements()) {
        if (id.GetString("system") == system && id.GetString("value") == value) return &resource;
      }
    }
    return nullptr;
  }
  size_t CountType(const std::string& type) const {
    size_t n = 0;
    for (const auto& [key, resource] : resources) n += key.rfind(type + "/", 0) == 0 ? 1 : 0;
    return n;
  }

  StatusOr<fhir::HttpResponse> Send(const fhir::HttpRequest& request,
                                    fhir::SendFailure* /*failure*/) override {
    // The pipeline writes back on several threads: one request at a time here.
    std::lock_guard<std::recursive_mutex> lock(send_mutex_);
    requests.push_back(request);
    if (on_request) on_request(request);
    fhir::HttpResponse response;
    response.headers.Set("Content-Type", "application/fhir+json");
    const bool fail_by_body = !fail_body_containing.empty() &&
                              request.body.find(fail_body_containing) != std::string::npos;
    if (fail_next > 0 || fail_by_body) {
      if (!fail_by_body) --fail_next;
      response.status = fail_status;
      response.body = Outcome("injected fault").Serialize();
      return response;
    }
    std::string path = request.url.substr(std::string(kBase).size());
    if (!path.empty() && path[0] == '/') path.erase(0, 1);
    fhir::Json body;
    if (!request.body.empty()) body = *fhir::Json::Parse(request.body);
    Answer answer;
    if (path.empty() && request.method == "POST") {
      answer = Transaction(body);
    } else {
      answer = Handle(request.method, path, request.headers.Get("If-Match").value_or(""),
                      request.headers.Get("If-None-Exist").value_or(""), body);
    }
    response.status = answer.status;
    if (!answer.location.empty()) response.headers.Set("Location", answer.location);
    if (!answer.etag.empty()) response.headers.Set("ETag", answer.etag);
    response.body = answer.body.is_null() ? "" : answer.body.Serialize();
    return response;
  }

 private:
  static fhir::Json Outcome(const std::string& text) {
    return fhir::Json::Object()
        .Set("resourceType", "OperationOutcome")
        .Set("issue", fhir::Json::Array().Push(fhir::Json::Object()
                                                   .Set("severity", "error")
                                                   .Set("code", "processing")
                                                   .Set("diagnostics", text)));
  }

  std::string Store(const std::string& type, const std::string& id, fhir::Json resource) {
    const std::string version = "v-" + std::to_string(++version_counter_);
    // Like real servers: meta.tag (and the rest of meta) is kept, versionId and
    // lastUpdated are the server's.
    fhir::Json meta = resource.Find("meta") != nullptr && resource.Find("meta")->is_object()
                          ? *resource.Find("meta")
                          : fhir::Json::Object();
    meta.Set("versionId", version).Set("lastUpdated", "2026-01-01T00:00:00.000Z");
    resource.Set("meta", std::move(meta));
    resources[type + "/" + id] = std::move(resource);
    return version;
  }

  Answer Written(int status, const std::string& type, const std::string& id) {
    const fhir::Json& stored = resources[type + "/" + id];
    const std::string version = stored.At({"meta", "versionId"})->AsString();
    return {status, stored, std::string(kBase) + "/" + type + "/" + id + "/_history/" + version,
            "W/\"" + version + "\""};
  }

  static std::pair<std::string, std::string> IdentifierParam(const std::string& query) {
    const std::string value = PercentDecode(query.substr(query.find('=') + 1));
    const size_t bar = value.find('|');
    return {value.substr(0, bar), value.substr(bar + 1)};
  }

  Answer Handle(const std::string& method, const std::string& path, const std::string& if_match,
                const std::string& if_none_exist, fhir::Json body) {
    const size_t q = path.find('?');
    const std::string type_and_id = path.substr(0, q);
    const size_t slash = type_and_id.find('/');
    const std::string type = type_and_id.substr(0, slash);
    const std::string id = slash == std::string::npos ? "" : type_and_id.substr(slash + 1);
    if (method == "GET") {
      if (!resources.count(type + "/" + id)) return {404, Outcome("not found"), "", ""};
      return Written(200, type, id);
    }
    if (method == "POST") {
      if (!if_none_exist.empty()) {
        auto [system, value] = IdentifierParam(if_none_exist);
        if (const fhir::Json* found = FindByIdentifier(type, system, value)) {
          return Written(200, type, *found->GetString("id"));
        }
      }
      const std::string new_id = NewId(type);
      body.Set("id", fhir::Json(new_id));
      Store(type, new_id, std::move(body));
      return Written(201, type, new_id);
    }
    if (method == "PUT" && q != std::string::npos) {
      auto [system, value] = IdentifierParam(path.substr(q + 1));
      const fhir::Json* found = FindByIdentifier(type, system, value);
      const std::string target = found ? *found->GetString("id") : NewId(type);
      body.Set("id", fhir::Json(target));
      Store(type, target, std::move(body));
      return Written(found ? 200 : 201, type, target);
    }
    if (method == "PUT") {
      auto it = resources.find(type + "/" + id);
      if (!if_match.empty()) {
        if (it == resources.end()) return {404, Outcome("not found"), "", ""};
        if (if_match != "W/\"" + it->second.At({"meta", "versionId"})->AsString() + "\"") {
          return {412, Outcome("version conflict"), "", ""};
        }
      }
      const bool created = it == resources.end();
      Store(type, id, std::move(body));
      return Written(created ? 201 : 200, type, id);
    }
    return {400, Outcome("unsupported " + method), "", ""};
  }

  static void Rewrite(fhir::Json& value, const std::map<std::string, std::string>& urls) {
    if (value.is_array()) {
      for (fhir::Json& e : value.elements()) Rewrite(e, urls);
    } else if (value.is_object()) {
      for (fhir::Json::Member& m : value.members()) {
        if (m.key == "reference" && m.value.is_string() && urls.count(m.value.AsString())) {
          m.value = fhir::Json(urls.at(m.value.AsString()));
        } else {
          Rewrite(m.value, urls);
        }
      }
    }
  }

  Answer Transaction(fhir::Json bundle) {
    if (transaction_status != 0) {
      return {transaction_status, Outcome("transaction refused"), "", ""};
    }
    const auto snapshot = resources;
    std::map<std::string, std::string> urls;
    std::vector<Answer> answers;
    std::vector<fhir::Json>& entries = bundle.Find("entry")->elements();
    // Resolve targets first (PUT/POST), so urn references can be rewritten.
    for (fhir::Json& entry : entries) {
      const std::string url = entry.At({"request", "url"})->AsString();
      const std::string full = entry.GetString("fullUrl").value_or("");
      const size_t q = url.find('?');
      const std::string type = url.substr(0, std::min(url.find('/'), q));
      std::string id;
      if (url.find('/') != std::string::npos && q == std::string::npos) {
        id = url.substr(url.find('/') + 1);
      } else if (q != std::string::npos) {
        auto [system, value] = IdentifierParam(url.substr(q + 1));
        if (const fhir::Json* found = FindByIdentifier(type, system, value)) {
          id = *found->GetString("id");
        }
      }
      if (!full.empty() && !id.empty()) urls[full] = type + "/" + id;
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      fhir::Json& entry = entries[i];
      fhir::Json resource = *entry.Find("resource");
      Rewrite(resource, urls);
      const std::string url = entry.At({"request", "url"})->AsString();
      const fhir::Json* if_match = entry.At({"request", "ifMatch"});
      const fhir::Json* if_none = entry.At({"request", "ifNoneExist"});
      Answer answer = static_cast<int>(i) == non_atomic_fail_entry
                          ? Answer{422, Outcome("entry refused"), "", ""}
                          : Handle(entry.At({"request", "method"})->AsString(), url,
                                   if_match ? if_match->AsString() : "",
                                   if_none ? if_none->AsString() : "", std::move(resource));
      if (answer.status >= 300 && non_atomic_fail_entry < 0) {
        resources = snapshot;
        return answer;
      }
      if (answer.status < 300) {
        const std::string full = entry.GetString("fullUrl").value_or("");
        if (!full.empty())
          urls[full] = answer.body.GetString("resourceType").value_or("") + "/" +
                       answer.body.GetString("id").value_or("");
      }
      answers.push_back(std::move(answer));
    }
    fhir::Json out_entries = fhir::Json::Array();
    for (const Answer& a : answers) {
      fhir::Json response = fhir::Json::Object().Set(
          "status", std::to_string(a.status) + (a.status < 300 ? " OK" : " Error"));
      if (!a.location.empty()) response.Set("location", a.location);
      if (!a.etag.empty()) response.Set("etag", a.etag);
      fhir::Json e = fhir::Json::Object();
      if (a.status < 300) e.Set("resource", a.body);
      e.Set("response", std::move(response));
      out_entries.Push(std::move(e));
    }
    return {200,
            fhir::Json::Object()
                .Set("resourceType", "Bundle")
                .Set("type", "transaction-response")
                .Set("entry", std::move(out_entries)),
            "", ""};
  }

  std::string NewId(const std::string& type) { return type + "-" + std::to_string(++id_counter_); }

  int version_counter_ = 0;
  int id_counter_ = 0;
};

// A Client over a FakeFhir, no retries.
struct FakeClient {
  explicit FakeClient(FakeFhir& fake) : auth(fhir::NewNoAuth()), client(Options(), fake, *auth) {}
  static fhir::ClientOptions Options() {
    fhir::ClientOptions options;
    options.base_url = FakeFhir::kBase;
    options.retry.max_attempts = 1;
    options.retry_environment.sleep = [](std::chrono::milliseconds) {};
    return options;
  }
  std::unique_ptr<fhir::AuthProvider> auth;
  fhir::Client client;
};

}  // namespace bonewatch::adapter::testing
