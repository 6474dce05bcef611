#include "test_fhir_server.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <future>
#include <istream>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

namespace bonewatch::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(5);

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Stringify(const Poco::JSON::Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

}  // namespace

// The child process and the pipes that tie its lifetime to ours: its stdin is a pipe we never
// write to (closing it makes the server exit), its stdout is read by `reader` until EOF.
struct TestFhirServer::Process {
  Poco::Pipe in_pipe;
  Poco::Pipe out_pipe;
  std::unique_ptr<Poco::ProcessHandle> handle;
  std::thread reader;

  ~Process() {
    if (handle) {
      const Poco::ProcessHandle::PID pid = handle->id();
      in_pipe.close(Poco::Pipe::CLOSE_WRITE);
      ::kill(pid, SIGTERM);
      // tryWait() reaps the child once it has exited; it must not be called again after that.
      const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
      try {
        bool exited = handle->tryWait() != -1;
        while (!exited && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          exited = handle->tryWait() != -1;
        }
        if (!exited) {
          ::kill(pid, SIGKILL);
          handle->wait();
        }
      } catch (const Poco::Exception&) {
        // Already reaped: nothing left to wait for.
      }
    }
    if (reader.joinable()) reader.join();
  }
};

std::unique_ptr<TestFhirServer> TestFhirServer::Start(std::string* error) {
  auto set_error = [error](const std::string& message) {
    if (error != nullptr) *error = message;
  };
  const char* node_env = std::getenv("BONEWATCH_NODE");
  const std::string node = node_env != nullptr && *node_env != '\0' ? node_env : "node";
  const std::string script = std::string(BONEWATCH_FHIR_SERVER_DIR) + "/server.js";

  auto process = std::make_unique<Process>();
  try {
    Poco::Process::Args args = {script, "--port", "0"};
    process->handle = std::make_unique<Poco::ProcessHandle>(
        Poco::Process::launch(node, args, std::string(BONEWATCH_FHIR_SERVER_DIR), &process->in_pipe,
                              &process->out_pipe, nullptr));
  } catch (const Poco::Exception& e) {
    set_error("cannot launch '" + node + " " + script + "': " + e.displayText());
    return nullptr;
  }

  // The reader thread hands the first line to us, then drains stdout until the child exits.
  auto first_line = std::make_shared<std::promise<std::string>>();
  std::future<std::string> line_future = first_line->get_future();
  process->reader = std::thread([out = process->out_pipe, first_line]() mutable {
    Poco::PipeInputStream stream(out);
    std::string line;
    bool delivered = false;
    while (std::getline(stream, line)) {
      if (!delivered) {
        first_line->set_value(line);
        delivered = true;
      }
    }
    if (!delivered) first_line->set_value("<stdout closed before LISTENING>");
  });

  if (line_future.wait_for(kStartTimeout) != std::future_status::ready) {
    set_error("node " + script + " did not print LISTENING within 20 s");
    return nullptr;  // ~Process kills the child, which unblocks and joins the reader
  }
  const std::string line = line_future.get();
  int port = 0;
  if (line.rfind("LISTENING ", 0) == 0) {
    port = std::atoi(line.c_str() + 10);
  }
  if (port <= 0) {
    set_error("node " + script + " printed '" + line + "' instead of 'LISTENING <port>' " +
              "(is node on PATH? did `npm ci` run in tests/fhir-server?)");
    return nullptr;
  }
  return std::unique_ptr<TestFhirServer>(new TestFhirServer(std::move(process), port));
}

TestFhirServer::TestFhirServer(std::unique_ptr<Process> process, int port)
    : process_(std::move(process)), port_(port) {}

TestFhirServer::~TestFhirServer() = default;

std::string TestFhirServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/fhir";
}

std::string TestFhirServer::admin_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/admin";
}

std::string TestFhirServer::token_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/auth/token";
}

TestFhirServer::RawResponse TestFhirServer::Raw(const std::string& method,
                                                const std::string& path_and_query,
                                                const std::string& body,
                                                const std::map<std::string, std::string>& headers) {
  RawResponse out;
  if (port_ == 0) {
    out.body = "the test FHIR server is not running";
    return out;
  }
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path_and_query, Poco::Net::HTTPMessage::HTTP_1_1);
    bool has_content_type = false;
    for (const auto& [name, value] : headers) {
      request.set(name, value);
      if (Lower(name) == "content-type") has_content_type = true;
    }
    if (!body.empty() && !has_content_type) request.setContentType("application/fhir+json");
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& request_stream = session.sendRequest(request);
    request_stream << body;
    Poco::Net::HTTPResponse response;
    std::istream& response_stream = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(response_stream, out.body);
    out.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) out.headers[Lower(name)] = value;
  } catch (const Poco::Exception& e) {
    out.status = 0;
    out.body = method + " " + path_and_query + ": " + e.displayText();
  } catch (const std::exception& e) {
    out.status = 0;
    out.body = method + " " + path_and_query + ": " + e.what();
  }
  return out;
}

TestFhirServer::RawResponse TestFhirServer::Admin(const std::string& method,
                                                  const std::string& what,
                                                  const std::string& json) {
  RawResponse response =
      Raw(method, "/admin/" + what, json,
          json.empty() ? std::map<std::string, std::string>{}
                       : std::map<std::string, std::string>{{"Content-Type", "application/json"}});
  if (response.status < 200 || response.status >= 300) {
    ADD_FAILURE() << "test FHIR server admin " << method << " /admin/" << what << " " << json
                  << " failed: HTTP " << response.status << " " << response.body;
  }
  return response;
}

void TestFhirServer::Reset() { Admin("POST", "reset", ""); }

void TestFhirServer::InjectFault(const FaultSpec& fault) {
  Poco::JSON::Object body;
  body.set("count", fault.count);
  if (fault.drop) {
    body.set("drop", true);
  } else if (fault.hang_ms > 0) {
    body.set("hangMs", fault.hang_ms);
  } else {
    body.set("status", fault.status);
    if (fault.retry_after_seconds >= 0) body.set("retryAfter", fault.retry_after_seconds);
  }
  if (!fault.path.empty()) body.set("path", fault.path);
  Admin("POST", "faults", Stringify(body));
}

void TestFhirServer::ClearFaults() { Admin("DELETE", "faults", ""); }

const char* ServerModeName(ServerMode mode) {
  return mode == ServerMode::kMedplum ? "medplum" : "default";
}

void TestFhirServer::SetMode(ServerMode mode, bool atomic_transactions,
                             bool refuse_active_subscriptions) {
  Poco::JSON::Object body;
  body.set("mode", std::string(ServerModeName(mode)));
  body.set("atomicTransactions", atomic_transactions);
  body.set("refuseActiveSubscriptions", refuse_active_subscriptions);
  Admin("POST", "mode", Stringify(body));
}

void TestFhirServer::SetAuthNone() { Admin("POST", "auth", R"({"mode":"none"})"); }

void TestFhirServer::SetAuthBearer(const std::string& token) {
  Poco::JSON::Object body;
  body.set("mode", "bearer");
  body.set("token", token);
  Admin("POST", "auth", Stringify(body));
}

void TestFhirServer::SetAuthBasic(const std::string& user, const std::string& password) {
  Poco::JSON::Object body;
  body.set("mode", "basic");
  body.set("username", user);
  body.set("password", password);
  Admin("POST", "auth", Stringify(body));
}

namespace {

// The /admin/auth body of the smart mode (key and secret clients alike).
std::string SmartModeBody(const Poco::JSON::Array::Ptr& clients, int token_lifetime_seconds) {
  Poco::JSON::Object body;
  body.set("mode", "smart");
  body.set("clients", clients);
  body.set("tokenLifetimeSeconds", token_lifetime_seconds);
  return Stringify(body);
}

}  // namespace

void TestFhirServer::SetAuthSmart(const std::vector<SmartClientSpec>& clients,
                                  int token_lifetime_seconds) {
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const SmartClientSpec& client : clients) {
    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
    entry->set("clientId", client.client_id);
    entry->set("publicKeyPem", client.public_key_pem);
    if (!client.alg.empty()) entry->set("alg", client.alg);
    list->add(entry);
  }
  Admin("POST", "auth", SmartModeBody(list, token_lifetime_seconds));
}

void TestFhirServer::SetAuthClientSecret(const std::vector<SecretClientSpec>& clients,
                                         int token_lifetime_seconds) {
  Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
  for (const SecretClientSpec& client : clients) {
    Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
    entry->set("clientId", client.client_id);
    entry->set("clientSecret", client.client_secret);
    if (!client.auth_methods.empty()) {
      Poco::JSON::Array::Ptr methods = new Poco::JSON::Array;
      for (const std::string& method : client.auth_methods) methods->add(method);
      entry->set("authMethods", methods);
    }
    list->add(entry);
  }
  Admin("POST", "auth", SmartModeBody(list, token_lifetime_seconds));
}

namespace {

// Reads one integer from /admin/stats; `method` empty means the total.
int StatsValue(const TestFhirServer::RawResponse& stats, const std::string& key,
               const std::string& method) {
  if (stats.status != 200) return -1;
  try {
    Poco::JSON::Parser parser;
    auto object = parser.parse(stats.body).extract<Poco::JSON::Object::Ptr>();
    if (!method.empty()) {
      auto by_method = object->getObject("byMethod");
      return by_method && by_method->has(method) ? by_method->getValue<int>(method) : 0;
    }
    return object->getValue<int>(key);
  } catch (const Poco::Exception& e) {
    ADD_FAILURE() << "cannot parse /admin/stats '" << stats.body << "': " << e.displayText();
    return -1;
  }
}

}  // namespace

int TestFhirServer::RequestCount() { return StatsValue(Admin("GET", "stats", ""), "requests", ""); }

int TestFhirServer::RequestCount(const std::string& method) {
  return StatsValue(Admin("GET", "stats", ""), "requests", method);
}

int TestFhirServer::TokenRequestCount() {
  return StatsValue(Admin("GET", "stats", ""), "tokenRequests", "");
}

int TestFhirServer::UnauthorizedCount() {
  return StatsValue(Admin("GET", "stats", ""), "unauthorized", "");
}

int TestFhirServer::RevokeAllTokens() {
  return StatsValue(Admin("POST", "auth/revoke", ""), "revoked", "");
}

TestFhirServer& SharedTestFhirServer() {
  static std::once_flag once;
  static std::unique_ptr<TestFhirServer> shared;
  static std::string start_error;
  std::call_once(once, [] {
    shared = TestFhirServer::Start(&start_error);
    if (!shared) {
      // A dead stand-in: port 0, Raw() answers status 0, admin helpers ADD_FAILURE.
      shared.reset(new TestFhirServer(nullptr, 0));
    }
  });
  if (shared->port() == 0) {
    ADD_FAILURE() << "the shared test FHIR server could not start: " << start_error;
  }
  return *shared;
}

}  // namespace bonewatch::testing
