// A FHIR client for the shared test server, for tests that call the server through fhir::Client.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/http.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::testing {

// Owns what the client refers to; `client` is declared last so that it goes first.
struct TestServerClient {
  std::unique_ptr<fhir::HttpTransport> transport;
  std::unique_ptr<fhir::AuthProvider> auth;
  std::unique_ptr<fhir::Client> client;
};

// A libcurl client without authentication for `base_url`; `max_attempts` > 0 overrides the
// client's retry default (1: no retries, so that a fault shows at once).
inline StatusOr<TestServerClient> ConnectTestServer(const std::string& base_url,
                                                    int max_attempts = 0) {
  TestServerClient connection;
  ASSIGN_OR_RETURN(connection.transport, fhir::NewCurlTransport({}));
  connection.auth = fhir::NewNoAuth();
  fhir::ClientOptions options;
  options.base_url = base_url;
  if (max_attempts > 0) options.retry.max_attempts = max_attempts;
  connection.client =
      std::make_unique<fhir::Client>(options, *connection.transport, *connection.auth);
  return connection;
}

}  // namespace bonewatch::testing
