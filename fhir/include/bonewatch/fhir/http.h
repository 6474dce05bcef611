// HTTP transport: the I/O boundary under the FHIR client.
//
// HttpTransport is the interface the Client, the retry logic and the auth providers talk to; tests
// substitute fakes. NewCurlTransport() returns the production implementation (libcurl).
//
// Contract of Send():
//   - Any HTTP answer, whatever its status (2xx, 4xx, 5xx), is returned as an HttpResponse.
//   - A failure to get an answer is a non-OK Status whose message names the method and URL
//     ("GET http://h/fhir/Observation?x=1: connection refused (curl 7)"):
//       timeouts (connect or total)                    -> kDeadlineExceeded
//       refused / reset / DNS / TLS / dropped connection -> kUnavailable
//       bad URL or options                             -> kInvalidArgument
//   - When `failure` is non-null and Send fails, it is set to tell whether the request may have
//     reached the server. The retry policy needs this to decide whether a non-idempotent request
//     can be resent (see retry.h).
// Request bodies and header values are never put into error messages (they may carry secrets).
//
// Thread-safety: implementations must be safe to call from several threads. The curl transport
// keeps a pool of connections: concurrent calls each take their own (opened on demand, kept
// alive and reused afterwards).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bonewatch/fhir/status.h"
#include "bonewatch/fhir/tls.h"

namespace bonewatch::fhir {

// Orders header names ignoring ASCII case, so lookups are case-insensitive.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// Header name -> value. A repeated response header is kept once, values joined with ", ".
class HttpHeaders {
 public:
  // Replaces any existing value of `name`.
  void Set(std::string_view name, std::string_view value);
  // Appends to an existing value with ", " (RFC 9110 field combination).
  void Add(std::string_view name, std::string_view value);
  void Remove(std::string_view name);
  std::optional<std::string> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return map_.count(name) > 0; }
  bool empty() const { return map_.empty(); }
  const std::map<std::string, std::string, CaseInsensitiveLess>& all() const { return map_; }

 private:
  std::map<std::string, std::string, CaseInsensitiveLess> map_;
};

struct HttpRequest {
  std::string method = "GET";  // "GET", "POST", "PUT", "DELETE", ...
  std::string url;             // absolute: http(s)://host[:port]/path?query
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

// Where a failed Send() stopped. kNotSent means no byte of the request reached the server
// (DNS failure, connection refused, connect timeout, TLS handshake failure).
enum class SendFailure { kNotSent, kMaybeSent };

// True when sending `request` twice has the same effect on the server as sending it once:
// GET, HEAD, OPTIONS, PUT, DELETE, a POST carrying If-None-Exist (FHIR conditional create) and a
// POST to .../_search. Everything else (plain POST create, transaction/batch POST, PATCH) is not.
// The retry policy never resends a non-idempotent request that may have reached the server, and
// the curl transport opens a fresh connection for it so that libcurl cannot silently resend it on
// a dead keep-alive connection either.
bool IsIdempotent(const HttpRequest& request);

// "GET http://host/path?query" with any userinfo (user:password@) removed: safe for messages.
std::string DescribeRequest(std::string_view method, std::string_view url);

class HttpTransport {
 public:
  HttpTransport() = default;
  virtual ~HttpTransport() = default;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Performs one request: no retries, no auth. `failure` may be null.
  virtual StatusOr<HttpResponse> Send(const HttpRequest& request, SendFailure* failure) = 0;
};

struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Whole request, connect to last byte. Zero means none (not recommended).
  std::chrono::milliseconds total_timeout{std::chrono::seconds(60)};
  TlsOptions tls;
  std::string user_agent = "bonewatch/0.1";
  // Answers larger than this fail with kUnavailable instead of exhausting memory.
  std::size_t max_response_bytes = 256u << 20;
};

// Returns a libcurl transport that keeps one connection alive between calls.
// Fails (kInvalidArgument) when a TLS file named in the options does not exist.
StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(const CurlTransportOptions& options);

}  // namespace bonewatch::fhir
