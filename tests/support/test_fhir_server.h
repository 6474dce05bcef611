// TestFhirServer: starts and drives the real FHIR R4 test server (tests/fhir-server/server.js,
// Medplum's router and in-memory repository under Node.js) from C++ tests.
//
// Ownership: a TestFhirServer owns one child `node` process. The destructor sends SIGTERM, waits,
// then SIGKILLs. The child also exits when its stdin closes, so a crashed test binary never leaves
// it orphaned.
//
// Thread-safety: the admin helpers and Raw() open a fresh HTTP connection per call and may be
// called from any thread; Start() and the destructor must not race with them.
//
// Admin helpers report failures with ADD_FAILURE() (GoogleTest) and never silently pass.
//
// Typical use in a GoogleTest suite (one server process per test binary, reset between tests):
//
//   class MyTest : public ::testing::Test {
//    protected:
//     void SetUp() override { server().Reset(); }
//     bonewatch::testing::TestFhirServer& server() {
//       return bonewatch::testing::SharedTestFhirServer();
//     }
//   };
#ifndef BONEWATCH_TESTS_SUPPORT_TEST_FHIR_SERVER_H_
#define BONEWATCH_TESTS_SUPPORT_TEST_FHIR_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bonewatch::testing {

// One fault rule: applies to the next `count` FHIR requests (not /admin, not /auth/token unless
// `path` names it) whose path contains `path` (empty: all).
// Exactly one behaviour is used, checked in this order:
//   drop     -> the socket is destroyed without an answer;
//   hang_ms  -> the request is held hang_ms, then answered normally (a huge value never answers);
//   status   -> answer `status` (e.g. 503, 429) with an OperationOutcome; when
//               retry_after_seconds >= 0 a `Retry-After: <seconds>` header is added.
struct FaultSpec {
  int count = 1;
  int status = 0;
  int retry_after_seconds = -1;
  int hang_ms = 0;
  bool drop = false;
  std::string path;
};

// Which real server the test server imitates where real servers differ
// (tests/fhir-server/README.md "Server modes"):
//   kDefault  our reading of R4; a `requested` Subscription is activated by the server (HAPI);
//   kMedplum  like Medplum 5.0.2: only Subscriptions written `active` deliver (a `requested` one
//             stays so, silently); rest-hooks POST the bare resource; no type-level _history;
//             transactions run as batches unless atomic transactions are switched on.
enum class ServerMode { kDefault, kMedplum };
// "default" / "medplum" (also usable as a GoogleTest parameter name).
const char* ServerModeName(ServerMode mode);

// A SMART Backend Services client registered with the server's token endpoint.
struct SmartClientSpec {
  std::string client_id;
  std::string public_key_pem;  // SPKI PEM: "-----BEGIN PUBLIC KEY-----..."
  std::string alg;             // "RS384" or "ES384"
};

// An OAuth2 client that authenticates with a secret (client_secret_basic / client_secret_post).
struct SecretClientSpec {
  std::string client_id;
  std::string client_secret;
  std::vector<std::string> auth_methods;  // empty: both methods are allowed
};

class TestFhirServer;
TestFhirServer& SharedTestFhirServer();

class TestFhirServer {
 public:
  struct RawResponse {
    int status = 0;  // 0 when the request failed at the network level; body then holds the reason
    std::string body;
    std::map<std::string, std::string> headers;  // header names lower-cased
  };

  // Spawns `node BONEWATCH_FHIR_SERVER_DIR/server.js --port 0` and waits up to 20 s for the line
  // "LISTENING <port>". Returns nullptr and writes the reason to *error (if non-null) on failure.
  // The node binary is taken from $BONEWATCH_NODE, else `node` on $PATH.
  static std::unique_ptr<TestFhirServer> Start(std::string* error);

  ~TestFhirServer();
  TestFhirServer(const TestFhirServer&) = delete;
  TestFhirServer& operator=(const TestFhirServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const;   // http://127.0.0.1:<port>/fhir
  std::string admin_url() const;  // http://127.0.0.1:<port>/admin
  std::string token_url() const;  // http://127.0.0.1:<port>/auth/token

  // Clears all data, history, subscriptions, faults, auth config and counters.
  void Reset();
  void InjectFault(const FaultSpec& fault);
  void ClearFaults();
  // Switches the server's mode until the next Reset() (which returns to kDefault).
  // `atomic_transactions` matters in kMedplum only (Medplum's transaction-bundles feature).
  // `refuse_active_subscriptions`: a Subscription written `active` gets 422 (as HAPI FHIR 3.x).
  void SetMode(ServerMode mode, bool atomic_transactions = false,
               bool refuse_active_subscriptions = false);

  void SetAuthNone();
  void SetAuthBearer(const std::string& token);
  void SetAuthBasic(const std::string& user, const std::string& password);
  void SetAuthSmart(const std::vector<SmartClientSpec>& clients, int token_lifetime_seconds);
  // The token endpoint accepts these secret clients; FHIR requests need a token it issued.
  void SetAuthClientSecret(const std::vector<SecretClientSpec>& clients,
                           int token_lifetime_seconds);
  // Every issued access token stops working (a Medplum Redis restart); returns how many.
  int RevokeAllTokens();

  // FHIR requests received since the last Reset(), including faulted and rejected ones.
  int RequestCount();
  // FHIR requests received with the given HTTP method (e.g. "GET", "POST").
  int RequestCount(const std::string& method);
  // Requests to the token endpoint since the last Reset().
  int TokenRequestCount();
  // FHIR requests answered 401 since the last Reset().
  int UnauthorizedCount();

  // Performs one HTTP request against the server (no auth added, no retries).
  // `path_and_query` is relative to the server root, e.g. "/fhir/Patient?_count=5" or
  // "/admin/stats". A timeout of 30 s applies.
  RawResponse Raw(const std::string& method, const std::string& path_and_query,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {});

 private:
  friend TestFhirServer& SharedTestFhirServer();
  struct Process;
  TestFhirServer(std::unique_ptr<Process> process, int port);
  // POSTs/DELETEs JSON to /admin/<what>; ADD_FAILUREs unless the status is 2xx.
  RawResponse Admin(const std::string& method, const std::string& what, const std::string& json);

  std::unique_ptr<Process> process_;
  int port_ = 0;
};

// One server process shared by every test in this binary, started on first use (and stopped at
// exit). It is NOT reset automatically: call Reset() in SetUp(). If the server cannot start, the
// reason is reported with ADD_FAILURE (on first use and on every later use), and the returned
// object is a dead stand-in whose port() is 0, whose Raw() answers status 0 and whose admin
// helpers ADD_FAILURE: a missing node is a test failure, never a skip.
TestFhirServer& SharedTestFhirServer();

}  // namespace bonewatch::testing

#endif  // BONEWATCH_TESTS_SUPPORT_TEST_FHIR_SERVER_H_
