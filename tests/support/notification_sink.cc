#include "notification_sink.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>

namespace bonewatch::testing {

struct NotificationSink::Impl {
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<ReceivedRequest> received;  // guarded by mu
  std::atomic<int> status{200};
  std::unique_ptr<Poco::Net::HTTPServer> server;

  void Record(ReceivedRequest request) {
    {
      std::lock_guard<std::mutex> lock(mu);
      received.push_back(std::move(request));
    }
    cv.notify_all();
  }
};

namespace {

class RecordingHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit RecordingHandler(NotificationSink::Impl* impl) : impl_(impl) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ReceivedRequest received;
    received.method = request.getMethod();
    received.path = request.getURI();
    for (const auto& [name, value] : request) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      received.headers[lower] = value;
    }
    Poco::StreamCopier::copyToString(request.stream(), received.body);
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(impl_->status.load()));
    response.setContentLength(0);
    response.send();
    impl_->Record(std::move(received));
  }

 private:
  NotificationSink::Impl* impl_;
};

class RecordingHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit RecordingHandlerFactory(NotificationSink::Impl* impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new RecordingHandler(impl_);
  }

 private:
  NotificationSink::Impl* impl_;
};

}  // namespace

NotificationSink::NotificationSink() : impl_(std::make_unique<Impl>()) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(4);
  params->setKeepAlive(true);
  impl_->server = std::make_unique<Poco::Net::HTTPServer>(new RecordingHandlerFactory(impl_.get()),
                                                          socket, params);
  impl_->server->start();
}

NotificationSink::~NotificationSink() { impl_->server->stopAll(true); }

int NotificationSink::port() const { return impl_->server->port(); }

std::string NotificationSink::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

void NotificationSink::set_response_status(int status) { impl_->status = status; }

std::vector<ReceivedRequest> NotificationSink::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->received;
}

size_t NotificationSink::count() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->received.size();
}

void NotificationSink::Clear() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->received.clear();
}

std::vector<ReceivedRequest> NotificationSink::WaitFor(size_t n,
                                                       std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout, [&] { return impl_->received.size() >= n; });
  return impl_->received;
}

}  // namespace bonewatch::testing
