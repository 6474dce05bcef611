// DaemonProcess: the built `bonewatch run` binary as a child process, for the
// daemon's end-to-end tests. Writes a config into a fresh temp directory
// (store, ports), starts the child with its stderr in <dir>/daemon.log, and
// offers small HTTP helpers for the ops and notification ports.
//
// Header-only: the test suite globs *_test.cc only.
//
// Ownership: owns the child; the destructor SIGKILLs it if still running and
// removes the temp directory. Thread-safety: one test thread.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "prometheus_text.h"

namespace bonewatch::testing {

struct DaemonConfig {
  std::string fhir_base_url;
  bool subscriptions = false;
  bool poller = true;
  int poll_interval_seconds = 1;
  int reconcile_interval_seconds = 300;  // the reconciliation pass (runs with the polls)
  std::string shared_secret = "e2e-secret";
  size_t max_body_bytes = 64 * 1024;
  int shutdown_grace_seconds = 10;
  std::string as_of;                // TEST-ONLY `--as-of YYYY-MM-DD` ("" = real today)
  std::string canonical_base;       // "" = the default base
  std::string mappings_dir;         // "" = the shipped mappings only
  int transaction_max_entries = 0;  // 0 = the default (1 = single requests only)
  int worker_threads = 0;           // 0 = the default (write-back threads)
  // More members of the config's "fhir" object, e.g. R"(, "auth": "client-credentials")".
  std::string fhir_extra;
  // More environment variables of the child (secrets such as BONEWATCH_OAUTH_CLIENT_SECRET).
  std::map<std::string, std::string> env;
  // 0 = the defaults: subscriptions.checkIntervalSeconds, .activationTimeoutSeconds,
  // poller.degradedIntervalSeconds.
  int subscription_check_seconds = 0;
  int subscription_activation_timeout_seconds = 0;
  int degraded_poll_interval_seconds = 0;
};

struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
};

class DaemonProcess {
 public:
  explicit DaemonProcess(DaemonConfig config);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts the child (again, after a kill: same config, same store) and waits
  // until /healthz answers (false after `timeout` or if it exited).
  bool Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends `signal` and waits up to `timeout` for the exit; returns the exit
  // status (WEXITSTATUS, 128+signal when killed), -1 on timeout.
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  bool running();

  const std::string& config_path() const { return config_path_; }
  const std::string& dir() const { return dir_; }
  int ops_port() const { return ops_port_; }
  int notify_port() const { return notify_port_; }
  std::string Log() const;

  HttpAnswer Ops(const std::string& path) const;
  HttpAnswer Notify(const std::string& method, const std::string& path, const std::string& body,
                    const std::map<std::string, std::string>& headers) const;
  // Runs `bonewatch <args...> --config <config>` and returns its stdout; *status gets the exit.
  std::string RunCommand(const std::vector<std::string>& args, int* status) const;
  // A metric's value from /metrics (sum over series whose text contains `label_filter`).
  double Metric(const std::string& name, const std::string& label_filter = "") const;

 private:
  DaemonConfig config_;

 public:
  // Changes the TEST-ONLY date for the next Start() (same store, same ports).
  void set_as_of(std::string as_of) { config_.as_of = std::move(as_of); }

 private:
  std::string dir_;
  std::string config_path_;
  int ops_port_ = 0;
  int notify_port_ = 0;
  pid_t pid_ = -1;
};

int FreePort();

namespace internal {

inline HttpAnswer Request(int port, const std::string& method, const std::string& path,
                          const std::string& body,
                          const std::map<std::string, std::string>& headers) {
  HttpAnswer answer;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : headers) request.set(k, v);
    if (headers.count("Content-Length") != 0) {
      // Announced but not sent: lets a test see the 413 the server answers from the header alone.
      request.setContentType("application/fhir+json");
    } else if (!body.empty() || method == "POST" || method == "PUT") {
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      if (!request.has("Content-Type")) request.setContentType("application/fhir+json");
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    answer.status = response.getStatus();
    Poco::StreamCopier::copyToString(in, answer.body);
  } catch (const std::exception& e) {
    answer.status = 0;
    answer.body = e.what();
  }
  return answer;
}

}  // namespace internal

inline int FreePort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  return socket.address().port();
}

inline DaemonProcess::DaemonProcess(DaemonConfig config) : config_(std::move(config)) {
  char pattern[] = "/tmp/bonewatch-e2e.XXXXXX";
  dir_ = ::mkdtemp(pattern);
  ops_port_ = FreePort();
  notify_port_ = FreePort();
  config_path_ = dir_ + "/bonewatch.json";
  std::ofstream out(config_path_);
  out << "{\n"
      << "  \"fhir\": {\"baseUrl\": \"" << config_.fhir_base_url << "\", \"maxAttempts\": 3"
      << (config_.transaction_max_entries > 0
              ? ", \"transactionMaxEntries\": " + std::to_string(config_.transaction_max_entries)
              : std::string())
      << config_.fhir_extra << "},\n"
      << (config_.worker_threads > 0
              ? "  \"workerThreads\": " + std::to_string(config_.worker_threads) + ",\n"
              : std::string())
      << "  \"notifications\": {\"enabled\": true, \"listenAddress\": \"127.0.0.1\", \"port\": "
      << notify_port_ << ", \"publicEndpoint\": \"http://127.0.0.1:" << notify_port_
      << "/fhir/notify\", \"maxBodyBytes\": " << config_.max_body_bytes << "},\n"
      << "  \"subscriptions\": {\"enabled\": " << (config_.subscriptions ? "true" : "false")
      << (config_.subscription_check_seconds > 0
              ? ", \"checkIntervalSeconds\": " + std::to_string(config_.subscription_check_seconds)
              : std::string())
      << (config_.subscription_activation_timeout_seconds > 0
              ? ", \"activationTimeoutSeconds\": " +
                    std::to_string(config_.subscription_activation_timeout_seconds)
              : std::string())
      << "},\n"
      << "  \"poller\": {\"enabled\": " << (config_.poller ? "true" : "false")
      << ", \"intervalSeconds\": " << config_.poll_interval_seconds
      << (config_.degraded_poll_interval_seconds > 0
              ? ", \"degradedIntervalSeconds\": " +
                    std::to_string(config_.degraded_poll_interval_seconds)
              : std::string())
      << "},\n"
      << "  \"reconcile\": {\"intervalSeconds\": " << config_.reconcile_interval_seconds << "},\n"
      << "  \"store\": {\"path\": \"" << dir_ << "/bonewatch.db\"},\n"
      << "  \"ops\": {\"listenAddress\": \"127.0.0.1\", \"port\": " << ops_port_ << "},\n"
      << "  \"logging\": {\"format\": \"text\", \"level\": \"debug\"},\n"
      << (config_.canonical_base.empty()
              ? ""
              : "  \"canonicalBase\": \"" + config_.canonical_base + "\",\n")
      << (config_.mappings_dir.empty() ? ""
                                       : "  \"mappingsDir\": \"" + config_.mappings_dir + "\",\n")
      << "  \"maxInboxAttempts\": 3,\n"
      << "  \"shutdownGraceSeconds\": " << config_.shutdown_grace_seconds << "\n"
      << "}\n";
}

inline DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Stop(SIGKILL, std::chrono::seconds(5));
  std::error_code ignored;
  if (std::getenv("BONEWATCH_E2E_KEEP") == nullptr) std::filesystem::remove_all(dir_, ignored);
}

inline bool DaemonProcess::Start(std::chrono::milliseconds timeout) {
  const std::string log = dir_ + "/daemon.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 2);
      ::dup2(fd, 1);
    }
    ::setenv("BONEWATCH_NOTIFY_SECRET", config_.shared_secret.c_str(), 1);
    for (const auto& [name, value] : config_.env) ::setenv(name.c_str(), value.c_str(), 1);
    if (config_.as_of.empty()) {
      ::execl(BONEWATCH_BINARY, BONEWATCH_BINARY, "run", "--config", config_path_.c_str(),
              static_cast<char*>(nullptr));
    } else {
      ::execl(BONEWATCH_BINARY, BONEWATCH_BINARY, "run", "--config", config_path_.c_str(),
              "--as-of", config_.as_of.c_str(), static_cast<char*>(nullptr));
    }
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;
    if (Ops("/healthz").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

inline bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

inline int DaemonProcess::Stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

inline std::string DaemonProcess::Log() const {
  std::ifstream in(dir_ + "/daemon.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline HttpAnswer DaemonProcess::Ops(const std::string& path) const {
  return internal::Request(ops_port_, "GET", path, "", {});
}

inline HttpAnswer DaemonProcess::Notify(const std::string& method, const std::string& path,
                                        const std::string& body,
                                        const std::map<std::string, std::string>& headers) const {
  return internal::Request(notify_port_, method, path, body, headers);
}

inline std::string DaemonProcess::RunCommand(const std::vector<std::string>& args,
                                             int* status) const {
  std::string command = std::string(BONEWATCH_BINARY);
  for (const std::string& a : args) command += " '" + a + "'";
  command += " --config '" + config_path_ + "' 2>>'" + dir_ + "/commands.log'";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return output;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int rc = ::pclose(pipe);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return output;
}

inline double DaemonProcess::Metric(const std::string& name,
                                    const std::string& label_filter) const {
  return MetricValue(Ops("/metrics").body, name, label_filter);
}

}  // namespace bonewatch::testing
