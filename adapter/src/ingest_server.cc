#include "ingest_server.h"

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/SHA2Engine.h>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <istream>
#include <mutex>
#include <thread>
#include <utility>

#include "bonewatch/fhir/datetime.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/reference.h"
#include "ingest_decode.h"
#include "ingest_server_access.h"
#include "ingest_server_front.h"

namespace bonewatch::adapter {

struct NotificationServer::Impl {
  Config::Notifications config;
  NotificationServerDeps deps;
  StatusOr<ClientAllowList> allow_list = ClientAllowList();
  bool tls = false;  // HTTPS: the SSL library was initialised and must be released
  std::unique_ptr<RequestFront> front;
  int port = 0;
  std::mutex lifecycle_mutex;
};

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr char kReceived[] = "bonewatch_notifications_received_total";
constexpr char kInboxDepth[] = "bonewatch_inbox_depth";
constexpr char kAnswerSeconds[] = "bonewatch_notification_answer_seconds";
constexpr std::string_view kNotifyPath = "/fhir/notify";

// Poco's SHA2Engine lacks the BLOCK_SIZE/DIGEST_SIZE that HMACEngine needs.
class Sha256Engine : public Poco::SHA2Engine {
 public:
  enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
  Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The headers the decoder (and operators) need. Never the secret or the signature.
constexpr const char* kKeptHeaders[] = {"content-type", "x-medplum-interaction",
                                        "x-medplum-deleted-resource", "x-medplum-subscription"};

// A request that ends in an answer other than 200: status, metric result, diagnostics.
struct Rejection {
  HTTPResponse::HTTPStatus status;
  std::string result;
  std::string diagnostics;
};

class NotifyHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit NotifyHandler(NotificationServer::Impl& impl) : impl_(impl) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const auto started = std::chrono::steady_clock::now();
    try {
      std::optional<Rejection> rejection = Handle(request);
      if (rejection.has_value()) {
        Reject(response, *rejection);
      } else {
        response.setStatusAndReason(HTTPResponse::HTTP_OK);
        response.setContentLength(0);
        response.send();
        // From the handler's start (the request head read) to the 200 sent: body, checks,
        // durable enqueue. Rejections are not timed (they say nothing about the enqueue).
        impl_.deps.metrics->Observe(
            kAnswerSeconds, {},
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
    } catch (const std::exception& e) {
      Count("error");
      impl_.deps.logger->Error("notification.failed", {{"reason", e.what()}});
      if (!response.sent()) {
        Reject(response, {HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "error", "internal error"});
      }
    } catch (...) {
      Count("error");
      if (!response.sent()) {
        Reject(response, {HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "error", "internal error"});
      }
    }
  }

 private:
  void Count(const std::string& result) {
    impl_.deps.metrics->Increment(kReceived, {{"result", result}});
  }

  void Reject(HTTPServerResponse& response, const Rejection& r) const {
    const std::string code = r.status == HTTPResponse::HTTP_UNAUTHORIZED ? "login"
                             : r.status == HTTPResponse::HTTP_FORBIDDEN  ? "forbidden"
                             : r.status == HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE
                                 ? "too-costly"
                             : r.status == HTTPResponse::HTTP_BAD_REQUEST        ? "invalid"
                             : r.status == HTTPResponse::HTTP_NOT_FOUND          ? "not-found"
                             : r.status == HTTPResponse::HTTP_METHOD_NOT_ALLOWED ? "not-supported"
                                                                                 : "exception";
    const std::string body =
        fhir::Json::Object()
            .Set("resourceType", "OperationOutcome")
            .Set("issue", fhir::Json::Array().Push(fhir::Json::Object()
                                                       .Set("severity", "error")
                                                       .Set("code", code)
                                                       .Set("diagnostics", r.diagnostics)))
            .Serialize();
    response.setStatusAndReason(r.status);  // "401 Unauthorized", not "401 OK"
    if (r.status == HTTPResponse::HTTP_METHOD_NOT_ALLOWED) response.set("Allow", "POST, PUT");
    if (r.status == HTTPResponse::HTTP_SERVICE_UNAVAILABLE) response.set("Retry-After", "1");
    if (r.status == HTTPResponse::HTTP_UNAUTHORIZED && !impl_.config.bearer_token.empty()) {
      response.set("WWW-Authenticate", "Bearer");
    }
    response.setKeepAlive(false);  // the unread rest of a rejected body must not be parsed
    response.setContentType("application/fhir+json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.send() << body;
  }

  // Everything but the 200; nullopt when stored (or nothing to store).
  std::optional<Rejection> Handle(HTTPServerRequest& request) {
    const Config::Notifications& config = impl_.config;
    // Before anything else: a denied address learns nothing about paths or methods.
    if (!impl_.allow_list->Allows(request.clientAddress().host())) {
      Count("forbidden");
      impl_.deps.logger->Warn("notification.forbidden",
                              {{"client", request.clientAddress().host().toString()}});
      return Rejection{HTTPResponse::HTTP_FORBIDDEN, "forbidden", "address not allowed"};
    }
    const std::string& method = request.getMethod();
    if (method != "POST" && method != "PUT") {
      Count("method_not_allowed");
      return Rejection{HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                       "use POST or PUT"};
    }
    std::string hint;
    if (std::optional<Rejection> r = ParsePath(request.getURI(), &hint)) {
      Count(r->result);
      return r;
    }
    if (!config.shared_secret.empty()) {
      const std::string given = request.get(config.secret_header, "");
      if (!ConstantTimeEquals(given, config.shared_secret)) {
        Count("unauthorized");
        return Rejection{HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized",
                         "wrong or missing secret"};
      }
    }
    if (!config.bearer_token.empty() &&
        !BearerTokenMatches(request.get("Authorization", ""), config.bearer_token)) {
      Count("unauthorized");
      return Rejection{HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized",
                       "wrong or missing bearer token"};
    }
    if (request.hasContentLength() &&
        request.getContentLength64() > static_cast<Poco::Int64>(config.max_body_bytes)) {
      Count("too_large");
      return TooLarge();
    }
    std::string body;
    if (!ReadBody(request.stream(), config.max_body_bytes, &body)) {
      Count("too_large");
      return TooLarge();
    }
    if (!config.hmac_secret.empty()) {
      std::string signature = Lower(request.get("x-signature", ""));
      if (signature.starts_with("sha256=")) signature.erase(0, 7);
      if (!ConstantTimeEquals(signature, HmacSha256Hex(config.hmac_secret, body))) {
        Count("unauthorized");
        return Rejection{HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized",
                         "wrong or missing x-signature"};
      }
    }
    if (std::optional<Rejection> r = CheckPathMatchesBody(hint, body)) {
      Count(r->result);
      return r;
    }
    InboxItem item;
    item.origin = "rest-hook";
    item.hint = hint;
    item.body = std::move(body);
    item.headers_json = HeadersJson(request);
    item.received_at = fhir::FormatInstant(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               impl_.deps.clock->Now().time_since_epoch())
                                               .count());
    // Reject at the door what the pipeline could never decode (nothing stored).
    DecodeOptions decode;
    decode.own_tag_system = impl_.deps.own_tag_system;
    StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item, decode);
    if (!units.ok()) {
      Count("malformed");
      impl_.deps.logger->Warn("notification.malformed", {{"reason", units.status().message()}});
      return Rejection{HTTPResponse::HTTP_BAD_REQUEST, "malformed", units.status().message()};
    }
    if (units->empty()) {  // our own write, a handshake: nothing to do
      Count("ignored");
      return std::nullopt;
    }
    StatusOr<int64_t> id = impl_.deps.store->Enqueue(item);
    if (!id.ok()) {
      Count("store_error");
      impl_.deps.logger->Error("notification.store_failed", {{"reason", id.status().message()}});
      return Rejection{HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "store_error",
                       "could not store the notification"};
    }
    Count("stored");
    impl_.deps.logger->Debug("notification.stored",
                             {{"inbox_id", std::to_string(*id)}, {"hint", item.hint}});
    if (StatusOr<uint64_t> depth = impl_.deps.store->InboxDepth(); depth.ok()) {
      impl_.deps.metrics->SetGauge(kInboxDepth, {}, static_cast<double>(*depth));
    }
    if (impl_.deps.wake) impl_.deps.wake();
    return std::nullopt;
  }

  Rejection TooLarge() const {
    return Rejection{HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE, "too_large",
                     "body over " + std::to_string(impl_.config.max_body_bytes) + " bytes"};
  }

  // "/fhir/notify" or "/fhir/notify/{type}/{id}" (query ignored) -> *hint.
  static std::optional<Rejection> ParsePath(std::string path, std::string* hint) {
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const Rejection not_found{HTTPResponse::HTTP_NOT_FOUND, "not_found", "unknown path"};
    if (!path.starts_with(kNotifyPath)) return not_found;
    std::string_view rest = std::string_view(path).substr(kNotifyPath.size());
    if (rest.empty()) return std::nullopt;
    if (rest.front() != '/') return not_found;
    rest.remove_prefix(1);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return not_found;
    const std::string_view type = rest.substr(0, slash);
    const std::string_view id = rest.substr(slash + 1);
    if (!fhir::IsResourceTypeName(type) || !fhir::IsValidId(id)) {
      return Rejection{HTTPResponse::HTTP_BAD_REQUEST, "malformed",
                       "the path must be /fhir/notify/{type}/{id}"};
    }
    *hint = std::string(type) + "/" + std::string(id);
    return std::nullopt;
  }

  // HAPI delivers `PUT {endpoint}/{type}/{id}` with the resource: a body that names another
  // type or id contradicts its own URL, and storing it would attach one resource's data to
  // another's hint. Bodies without resourceType/id (empty, Medplum's `{}`) are left alone.
  static std::optional<Rejection> CheckPathMatchesBody(const std::string& hint,
                                                       const std::string& body) {
    if (hint.empty() || body.find_first_not_of(" \t\r\n") == std::string::npos) {
      return std::nullopt;
    }
    StatusOr<fhir::Json> json = fhir::Json::Parse(body);
    if (!json.ok()) return std::nullopt;  // DecodeInboxItem answers malformed JSON
    const size_t slash = hint.find('/');
    const std::string path_type = hint.substr(0, slash);
    const std::string path_id = hint.substr(slash + 1);
    const std::optional<std::string> type = json->GetString("resourceType");
    const std::optional<std::string> id = json->GetString("id");
    if (type.has_value() && *type != path_type) {
      return Rejection{HTTPResponse::HTTP_BAD_REQUEST, "malformed",
                       "the URL names " + path_type + " but the body is a " + *type};
    }
    if (id.has_value() && *id != path_id) {
      return Rejection{HTTPResponse::HTTP_BAD_REQUEST, "malformed",
                       "the URL id '" + path_id + "' differs from the body id '" + *id + "'"};
    }
    return std::nullopt;
  }

  // False when the body exceeds `limit` (works for chunked bodies too).
  static bool ReadBody(std::istream& in, size_t limit, std::string* body) {
    char buffer[8192];
    while (in) {
      in.read(buffer, sizeof buffer);
      const std::streamsize n = in.gcount();
      if (n <= 0) break;
      if (body->size() + static_cast<size_t>(n) > limit) return false;
      body->append(buffer, static_cast<size_t>(n));
    }
    return true;
  }

  static std::string HeadersJson(const HTTPServerRequest& request) {
    fhir::Json headers = fhir::Json::Object();
    for (const char* name : kKeptHeaders) {
      if (request.has(name)) headers.Set(name, request.get(name));
    }
    return headers.Serialize();
  }

  NotificationServer::Impl& impl_;
};

class NotifyHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit NotifyHandlerFactory(NotificationServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new NotifyHandler(impl_);
  }

 private:
  NotificationServer::Impl& impl_;
};

}  // namespace

StatusOr<Poco::Net::Context::Ptr> ServerTlsContext(const Config::Notifications& config) {
  try {
    Poco::Net::Context::Params params;
    params.privateKeyFile = config.tls_key_file;
    params.certificateFile = config.tls_cert_file;  // the chain: leaf first, then intermediates
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // no client certificates
    params.loadDefaultCAs = false;
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                              Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    // OpenSSL drops a key that does not match the certificate without an error; every
    // handshake would then fail. Refuse at start instead.
    if (SSL_CTX_check_private_key(context->sslContext()) != 1) {
      return InvalidArgumentError("notifications.tlsKeyFile: '" + config.tls_key_file +
                                  "' is not the key of the certificate in '" +
                                  config.tls_cert_file + "'");
    }
    return context;
  } catch (const Poco::Exception& e) {
    return InvalidArgumentError("notifications.tlsCertFile/tlsKeyFile ('" + config.tls_cert_file +
                                "', '" + config.tls_key_file + "'): " + e.displayText());
  }
}

std::string HmacSha256Hex(const std::string& secret, const std::string& body) {
  Poco::HMACEngine<Sha256Engine> hmac(secret);
  hmac.update(body);
  return Poco::DigestEngine::digestToHex(hmac.digest());
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

NotificationServer::NotificationServer(Config::Notifications config, NotificationServerDeps deps)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->deps = std::move(deps);
  impl_->allow_list = ClientAllowList::Parse(impl_->config.allowed_clients);
  impl_->deps.metrics->DescribeCounter(kReceived, "Rest-hook notifications received, by result.");
  impl_->deps.metrics->DescribeGauge(kInboxDepth, "Items waiting in the durable inbox.");
  impl_->deps.metrics->DescribeHistogram(
      kAnswerSeconds,
      "Time from a notification's request head read to its 200 sent (body, checks, durable "
      "enqueue).",
      {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5});
}

NotificationServer::~NotificationServer() { Stop(); }

Status NotificationServer::Start() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
  if (impl_->front) return FailedPreconditionError("notification server already started");
  const std::string where = impl_->config.listen_address + ":" + std::to_string(impl_->config.port);
  if (!impl_->allow_list.ok()) {
    return InvalidArgumentError("notifications.allowedClients: " +
                                impl_->allow_list.status().message());
  }
  Poco::Net::Context::Ptr tls_context;
  if (!impl_->config.tls_cert_file.empty() || !impl_->config.tls_key_file.empty()) {
    StatusOr<Poco::Net::Context::Ptr> context = ServerTlsContext(impl_->config);
    if (!context.ok()) return context.status();
    tls_context = *context;
    Poco::Net::initializeSSL();
    impl_->tls = true;
  }
  const auto fail = [this] {
    impl_->front.reset();
    impl_->port = 0;
    if (impl_->tls) Poco::Net::uninitializeSSL();
    impl_->tls = false;
  };
  Poco::Net::ServerSocket socket;
  try {
    const Poco::Net::SocketAddress address(impl_->config.listen_address,
                                           static_cast<Poco::UInt16>(impl_->config.port));
    // Plain TCP even for HTTPS: the front drives each TLS handshake without blocking.
    socket = Poco::Net::ServerSocket(address, 256);
    impl_->port = socket.address().port();
  } catch (const Poco::Exception& e) {
    fail();
    return UnavailableError("notification server: cannot listen on " + where + ": " +
                            e.displayText());
  }
  RequestFrontOptions options;
  options.worker_threads = impl_->deps.max_threads;
  options.max_queued = impl_->config.max_queued_requests;
  options.max_connections = impl_->config.max_connections;
  options.max_prebuffered_body = impl_->config.max_body_bytes;
  options.header_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(impl_->config.header_timeout_seconds) * 1000);
  options.drain_timeout = std::chrono::milliseconds(impl_->deps.drain_timeout_ms);
  impl_->front = std::make_unique<RequestFront>(
      options, tls_context, std::make_unique<NotifyHandlerFactory>(*impl_), impl_->deps.metrics);
  if (Status started = impl_->front->Start(socket); !started.ok()) {
    fail();
    return started;
  }
  // Each connection is a file descriptor; beyond the limit accept() fails (the front then
  // closes the oldest waiting connection), so say so at start.
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
                      static_cast<rlim_t>(impl_->config.max_connections) + 128 > limit.rlim_cur) {
    impl_->deps.logger->Warn(
        "notification_server.open_file_limit",
        {{"max_connections", std::to_string(impl_->config.max_connections)},
         {"open_file_limit", std::to_string(static_cast<uint64_t>(limit.rlim_cur))}});
  }
  impl_->deps.logger->Info(
      "notification_server.started",
      {{"port", std::to_string(impl_->port)},
       {"scheme", impl_->tls ? "https" : "http"},
       {"header_timeout_s", std::to_string(impl_->config.header_timeout_seconds)},
       {"max_connections", std::to_string(impl_->config.max_connections)},
       {"max_queued", std::to_string(impl_->config.max_queued_requests)}});
  return Status::Ok();
}

void NotificationServer::Stop() {
  std::lock_guard<std::mutex> lock(impl_->lifecycle_mutex);
  if (!impl_->front) return;
  // No new connections; requests in progress complete (bounded), then the rest are cut.
  impl_->front->Stop();
  impl_->front.reset();
  if (impl_->tls) Poco::Net::uninitializeSSL();
  impl_->tls = false;
  impl_->deps.logger->Info("notification_server.stopped");
}

int NotificationServer::port() const { return impl_->port; }

}  // namespace bonewatch::adapter
