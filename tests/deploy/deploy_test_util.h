// Helpers of the deployment tests: files, temp directories, child commands, a self-signed
// certificate made with the openssl CLI at test time, YAML read with a real YAML parser
// (Debian's python3-yaml through /usr/bin/python3, installed by scripts/setup.sh), and HTTP(S)
// requests through libcurl (certificate and host name verified against our test CA).
//
// Header-only: the suite globs *_test.cc only. Thread-safety: one test thread.
#pragma once

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "prometheus_text.h"

namespace bonewatch::deploy_testing {

inline std::string SourcePath(const std::string& relative) {
  return std::string(BONEWATCH_SOURCE_DIR) + "/" + relative;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// A fresh directory under /tmp, removed by the destructor (kept with BONEWATCH_E2E_KEEP).
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/bonewatch-deploy.XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    if (std::getenv("BONEWATCH_E2E_KEEP") == nullptr) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int status = -1;     // the exit status; -1 when it did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs `command` through /bin/sh with `env` added to the environment.
inline CommandResult RunShell(const std::string& command,
                              const std::map<std::string, std::string>& env = {}) {
  std::string line;
  for (const auto& [name, value] : env) line += "export " + name + "=" + Quote(value) + "; ";
  line += "{ " + command + "; } 2>&1";
  CommandResult result;
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int rc = ::pclose(pipe);
  result.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return result;
}

struct TlsFiles {
  std::string cert;  // self-signed, CN=localhost, SAN DNS:localhost IP:127.0.0.1 IP:::1
  std::string key;
};

// Makes a throw-away certificate and key in `dir` with the openssl CLI.
inline TlsFiles MakeSelfSignedCertificate(const std::string& dir) {
  TlsFiles files{dir + "/tls.crt", dir + "/tls.key"};
  const CommandResult made = RunShell(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
      " -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'"
      " -keyout " +
      Quote(files.key) + " -out " + Quote(files.cert));
  EXPECT_EQ(made.status, 0) << made.output;
  return files;
}

// Every YAML document of `path` as JSON (PyYAML safe_load_all; nulls dropped).
inline std::vector<fhir::Json> YamlDocuments(const std::string& path) {
  const CommandResult converted = RunShell(
      "/usr/bin/python3 -c 'import sys, json, yaml; "
      "print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))' " +
      Quote(path));
  EXPECT_EQ(converted.status, 0) << path << ": " << converted.output;
  std::vector<fhir::Json> documents;
  auto parsed = fhir::Json::Parse(converted.output);
  EXPECT_TRUE(parsed.ok()) << path << ": " << converted.output;
  if (parsed.ok() && parsed->is_array()) {
    for (const fhir::Json& d : parsed->elements()) documents.push_back(d);
  }
  return documents;
}

struct HttpAnswer {
  long status = 0;  // 0: no HTTP answer (connection, TLS or protocol failure); see error
  std::string body;
  std::string error;
  std::map<std::string, std::string> headers;  // names lower-cased
};

inline size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}
inline size_t AppendHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

// One request with libcurl. `ca_file` (for https) is the only trusted CA.
inline HttpAnswer Http(const std::string& method, const std::string& url, const std::string& body,
                       const std::vector<std::string>& headers, const std::string& ca_file = "") {
  HttpAnswer answer;
  CURL* curl = curl_easy_init();
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answer.headers);
  if (!ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  } else {
    answer.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return answer;
}

using bonewatch::testing::MetricValue;

}  // namespace bonewatch::deploy_testing
