#include "ops_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <exception>
#include <utility>

namespace bonewatch::adapter {

struct OpsServer::Impl {
  OpsServerOptions options;
  Metrics* metrics = nullptr;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
  bool stopped = false;
};

namespace {

using Poco::Net::HTTPResponse;

void Send(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
          const std::string& content_type, const std::string& body, bool head) {
  response.setStatusAndReason(status);  // "404 Not Found", not "404 OK"
  response.setContentType(content_type);
  response.set("Cache-Control", "no-store");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostream& out = response.send();
  if (!head) out << body;
}

class OpsHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit OpsHandler(const OpsServer::Impl& impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    constexpr const char* kText = "text/plain; charset=utf-8";
    const std::string& method = request.getMethod();
    const bool head = method == "HEAD";
    std::string path = request.getURI();
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    try {
      if (method != "GET" && !head) {
        response.set("Allow", "GET, HEAD");
        Send(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, kText, "method not allowed\n", false);
      } else if (path == "/healthz") {
        Send(response, HTTPResponse::HTTP_OK, kText, "ok\n", head);
      } else if (path == "/readyz") {
        std::string failures;
        for (const ReadinessProbe& probe : impl_.options.readiness) {
          const Status status = probe.check ? probe.check() : Status();
          if (!status.ok()) failures += probe.name + ": " + status.message() + "\n";
        }
        if (failures.empty()) {
          Send(response, HTTPResponse::HTTP_OK, kText, "ready\n", head);
        } else {
          Send(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, kText, failures, head);
        }
      } else if (path == "/metrics") {
        Send(response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
             impl_.metrics->RenderPrometheus(), head);
      } else if (path == "/status" && impl_.options.status) {
        Send(response, HTTPResponse::HTTP_OK, "application/json", impl_.options.status() + "\n",
             head);
      } else {
        Send(response, HTTPResponse::HTTP_NOT_FOUND, kText, "not found\n", head);
      }
    } catch (const std::exception& e) {
      if (!response.sent()) {
        Send(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, kText,
             std::string("internal error: ") + e.what() + "\n", head);
      }
    }
  }

 private:
  const OpsServer::Impl& impl_;
};

class OpsHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit OpsHandlerFactory(const OpsServer::Impl& impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new OpsHandler(impl_);
  }

 private:
  const OpsServer::Impl& impl_;
};

}  // namespace

StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(OpsServerOptions options, Metrics& metrics) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->metrics = &metrics;
  const std::string where = impl->options.listen_address + ":" + std::to_string(impl->options.port);
  try {
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress(impl->options.listen_address,
                                 static_cast<Poco::UInt16>(impl->options.port)),
        64);
    impl->port = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(impl->options.max_threads);
    params->setKeepAlive(false);
    impl->server =
        std::make_unique<Poco::Net::HTTPServer>(new OpsHandlerFactory(*impl), socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return UnavailableError("ops server: cannot listen on " + where + ": " + e.displayText());
  }
  return std::unique_ptr<OpsServer>(new OpsServer(std::move(impl)));
}

OpsServer::OpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpsServer::~OpsServer() { Stop(); }

int OpsServer::port() const { return impl_->port; }

void OpsServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->stopAll(true);
  impl_->server.reset();  // closes the listening socket
}

}  // namespace bonewatch::adapter
