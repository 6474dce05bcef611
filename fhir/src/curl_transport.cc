// libcurl implementation of HttpTransport (see http.h for the contract).
#include <curl/curl.h>

#include <cerrno>
#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bonewatch/fhir/http.h"

namespace bonewatch::fhir {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

// Per-call state reached from the libcurl callbacks.
struct Exchange {
  HttpResponse response;
  std::size_t max_body = 0;
  bool body_too_large = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::size_t n = size * count;
  if (exchange->response.body.size() + n > exchange->max_body) {
    exchange->body_too_large = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  exchange->response.body.append(data, n);
  return n;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue, say): forget the previous block.
    exchange->response.headers = HttpHeaders();
    return n;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  exchange->response.headers.Add(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  return n;
}

// Errors that happen before any byte of the request is written.
bool FailsBeforeSending(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
      return true;
    default:
      return false;
  }
}

StatusCode CodeFor(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return StatusCode::kDeadlineExceeded;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kUnavailable;
  }
}

// One libcurl easy handle with its error buffer. Reused across requests, so
// that its connection cache keeps connections alive.
struct Connection {
  CurlEasy handle;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

// A pool of connections: a request takes an idle one (or opens a new one) and
// gives it back, so concurrent requests each use their own connection instead
// of waiting for one. The pool keeps as many as were ever busy at once.
class CurlTransport final : public HttpTransport {
 public:
  CurlTransport(CurlTransportOptions options, CurlEasy handle) : options_(std::move(options)) {
    auto first = std::make_unique<Connection>();
    first->handle = std::move(handle);
    idle_.push_back(std::move(first));
  }

  StatusOr<HttpResponse> Send(const HttpRequest& request, SendFailure* failure) override {
    std::unique_ptr<Connection> connection;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        connection = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!connection) {
      connection = std::make_unique<Connection>();
      connection->handle.reset(curl_easy_init());
      if (!connection->handle) {
        if (failure != nullptr) *failure = SendFailure::kNotSent;
        return InternalError(DescribeRequest(request.method, request.url) +
                             ": curl_easy_init failed");
      }
    }
    StatusOr<HttpResponse> response = SendOn(*connection, request, failure);
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(connection));
    return response;
  }

 private:
  StatusOr<HttpResponse> SendOn(Connection& connection, const HttpRequest& request,
                                SendFailure* failure);
  Status Configure(Connection& connection, const HttpRequest& request, Exchange& exchange,
                   curl_slist* headers);

  const CurlTransportOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mu_)
};

// Sets every option for one request. curl_easy_reset() before this keeps live connections.
Status CurlTransport::Configure(Connection& connection, const HttpRequest& request,
                                Exchange& exchange, curl_slist* headers) {
  CURL* h = connection.handle.get();
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode r) {
    if (rc == CURLE_OK) rc = r;
  };
  set(curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, connection.error_buffer));
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                       static_cast<long>(options_.connect_timeout.count())));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count())));
  set(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L));
  set(curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""));  // any encoding libcurl can decode
  set(curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str()));
  set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));  // never carry credentials elsewhere
  set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers));
  set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody));
  set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &exchange));
  set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader));
  set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &exchange));
  // libcurl resends a request on its own when a reused connection turns out dead; a fresh
  // connection rules that out for requests that must not be sent twice.
  if (!IsIdempotent(request)) set(curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L));

  const TlsOptions& tls = options_.tls;
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, tls.verify_peer ? 1L : 0L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, tls.verify_host ? 2L : 0L));
  if (!tls.ca_bundle_path.empty())
    set(curl_easy_setopt(h, CURLOPT_CAINFO, tls.ca_bundle_path.c_str()));
  if (!tls.client_cert_path.empty()) {
    set(curl_easy_setopt(h, CURLOPT_SSLCERT, tls.client_cert_path.c_str()));
    set(curl_easy_setopt(h, CURLOPT_SSLKEY, tls.client_key_path.c_str()));
    if (!tls.client_key_passphrase.empty()) {
      set(curl_easy_setopt(h, CURLOPT_KEYPASSWD, tls.client_key_passphrase.c_str()));
    }
  }

  const std::string method = request.method;
  if (method == "GET") {
    set(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L));
  } else if (method == "HEAD") {
    set(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
  } else {
    if (method != "POST") set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str()));
    if (method == "POST" || method == "PUT" || method == "PATCH" || !request.body.empty()) {
      set(curl_easy_setopt(h, CURLOPT_POST, 1L));
      set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
      set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data()));
    }
  }
  if (rc != CURLE_OK) {
    return InvalidArgumentError(DescribeRequest(request.method, request.url) +
                                ": cannot configure libcurl: " + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

StatusOr<HttpResponse> CurlTransport::SendOn(Connection& connection, const HttpRequest& request,
                                             SendFailure* failure) {
  if (failure != nullptr) *failure = SendFailure::kNotSent;
  CURL* handle = connection.handle.get();
  curl_easy_reset(handle);
  connection.error_buffer[0] = '\0';

  CurlSlist headers;
  auto append = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next != nullptr) {
      (void)headers.release();
      headers.reset(next);
    }
    return next != nullptr;
  };
  bool appended = true;
  for (const auto& [name, value] : request.headers.all()) {
    // "Name;" is libcurl's spelling of a header with an empty value.
    appended &= append(value.empty() ? name + ";" : name + ": " + value);
  }
  if (!request.headers.Has("Expect")) appended &= append("Expect:");  // no 100-continue round trip
  if (!appended)
    return InternalError(DescribeRequest(request.method, request.url) + ": out of memory");

  Exchange exchange;
  exchange.max_body = options_.max_response_bytes;
  RETURN_IF_ERROR(Configure(connection, request, exchange, headers.get()));

  CURLcode rc = curl_easy_perform(handle);
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
    exchange.response.status = static_cast<int>(status);
    return std::move(exchange.response);
  }

  if (failure != nullptr) {
    *failure = FailsBeforeSending(rc) ? SendFailure::kNotSent : SendFailure::kMaybeSent;
  }
  std::string message = DescribeRequest(request.method, request.url) + ": ";
  if (exchange.body_too_large) {
    message += "response larger than " + std::to_string(options_.max_response_bytes) + " bytes";
    return UnavailableError(std::move(message));
  }
  std::string detail =
      connection.error_buffer[0] != '\0' ? connection.error_buffer : curl_easy_strerror(rc);
  long os_errno = 0;
  curl_easy_getinfo(handle, CURLINFO_OS_ERRNO, &os_errno);
  if (rc == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED) detail = "connection refused";
  message += detail + " (curl " + std::to_string(static_cast<int>(rc)) + ")";
  return Status(CodeFor(rc), std::move(message));
}

Status CheckReadable(const std::string& path, std::string_view what) {
  if (path.empty()) return Status::Ok();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgumentError(std::string(what) + " '" + path + "' is not a readable file");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<HttpTransport>> NewCurlTransport(const CurlTransportOptions& options) {
  GlobalInitOnce();
  RETURN_IF_ERROR(CheckReadable(options.tls.ca_bundle_path, "tls.ca_bundle_path"));
  RETURN_IF_ERROR(CheckReadable(options.tls.client_cert_path, "tls.client_cert_path"));
  RETURN_IF_ERROR(CheckReadable(options.tls.client_key_path, "tls.client_key_path"));
  if (options.tls.client_cert_path.empty() != options.tls.client_key_path.empty()) {
    return InvalidArgumentError("tls.client_cert_path and tls.client_key_path go together");
  }
  CurlEasy handle(curl_easy_init());
  if (!handle) return InternalError("curl_easy_init failed");
  return std::unique_ptr<HttpTransport>(
      std::make_unique<CurlTransport>(options, std::move(handle)));
}

}  // namespace bonewatch::fhir
