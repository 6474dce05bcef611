// OpsServer over real HTTP on an ephemeral port.
#include "ops_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "ops_metric_names.h"

namespace bonewatch::adapter {
namespace {

struct Answer {
  int status = 0;
  std::string reason;
  std::string content_type;
  std::string body;
};

Answer Get(int port, const std::string& path, const std::string& method = "GET") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Answer answer;
  answer.status = response.getStatus();
  answer.reason = response.getReason();
  answer.content_type = response.getContentType();
  Poco::StreamCopier::copyToString(in, answer.body);
  return answer;
}

class OpsServerTest : public ::testing::Test {
 protected:
  std::unique_ptr<OpsServer> StartServer(OpsServerOptions options = {}) {
    options.readiness.push_back({"store", [this] {
                                   return store_open_ ? Status()
                                                      : UnavailableError("store is not open");
                                 }});
    options.readiness.push_back({"fhir", [this] {
                                   return fhir_ok_ ? Status()
                                                   : UnavailableError("no answer to /metadata");
                                 }});
    auto server = OpsServer::Start(std::move(options), metrics_);
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::move(server).value() : nullptr;
  }

  Metrics metrics_;
  std::atomic<bool> store_open_{false};
  std::atomic<bool> fhir_ok_{false};
};

TEST_F(OpsServerTest, BindsAnEphemeralPort) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_GT(server->port(), 0);
}

TEST_F(OpsServerTest, HealthzIsOk) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Answer answer = Get(server->port(), "/healthz");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ok\n");
}

TEST_F(OpsServerTest, ReadyzIs503UntilEveryProbePasses) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  Answer answer = Get(server->port(), "/readyz");
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.body, "store: store is not open\nfhir: no answer to /metadata\n");

  store_open_ = true;
  answer = Get(server->port(), "/readyz");
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.body, "fhir: no answer to /metadata\n");

  fhir_ok_ = true;
  answer = Get(server->port(), "/readyz");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ready\n");

  store_open_ = false;
  EXPECT_EQ(Get(server->port(), "/readyz").status, 503);
}

TEST_F(OpsServerTest, MetricsInPrometheusTextFormat) {
  metric::DescribeDaemonMetrics(metrics_);
  metrics_.Increment(metric::kWrites, {{"type", "Flag"}, {"result", "created"}}, 3);
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const Answer answer = Get(server->port(), "/metrics");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(answer.body, metrics_.RenderPrometheus());
  EXPECT_NE(answer.body.find("bonewatch_writes_total{type=\"Flag\",result=\"created\"} 3\n"),
            std::string::npos);
  EXPECT_NE(answer.body.find("# TYPE bonewatch_fhir_request_duration_seconds histogram\n"),
            std::string::npos);
  EXPECT_NE(answer.body.find("bonewatch_inbox_depth 0\n"), std::string::npos);
}

TEST_F(OpsServerTest, StatusServesTheInjectedJson) {
  OpsServerOptions options;
  options.status = [] { return std::string("{\"converged\":true}"); };
  auto server = StartServer(std::move(options));
  ASSERT_NE(server, nullptr);
  const Answer answer = Get(server->port(), "/status");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, "{\"converged\":true}\n");
}

TEST_F(OpsServerTest, UnknownPathAndMethod) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(Get(server->port(), "/nope").status, 404);
  EXPECT_EQ(Get(server->port(), "/nope").reason, "Not Found");  // not "404 OK"
  EXPECT_EQ(Get(server->port(), "/status").status, 404);  // no status function
  EXPECT_EQ(Get(server->port(), "/healthz", "POST").status, 405);
  EXPECT_EQ(Get(server->port(), "/healthz", "POST").reason, "Method Not Allowed");
  EXPECT_EQ(Get(server->port(), "/healthz?verbose=1").status, 200);
}

TEST_F(OpsServerTest, StopIsIdempotentAndClosesThePort) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  server->Stop();
  server->Stop();
  EXPECT_THROW(Get(port, "/healthz"), Poco::Exception);
}

TEST_F(OpsServerTest, FhirRequestObserverCountsAndTimes) {
  metric::DescribeDaemonMetrics(metrics_);
  auto observe = metric::FhirRequestObserver(metrics_);
  fhir::RequestMetrics request;
  request.interaction = "read";
  request.method = "GET";
  request.http_status = 200;
  request.latency = std::chrono::milliseconds(30);
  observe(request);
  observe(request);
  request.http_status = 503;
  observe(request);
  EXPECT_EQ(metrics_.Value(metric::kFhirRequests, {{"method", "GET"}, {"status", "200"}}), 2);
  EXPECT_EQ(metrics_.Value(metric::kFhirRequests, {{"method", "GET"}, {"status", "503"}}), 1);
  EXPECT_EQ(metrics_.Value(metric::kFhirRequestSeconds, {{"method", "GET"}}), 3);
  EXPECT_NE(metrics_.RenderPrometheus().find("bonewatch_fhir_request_duration_seconds_bucket{"
                                             "method=\"GET\",le=\"0.025\"} 0\n"
                                             "bonewatch_fhir_request_duration_seconds_bucket{"
                                             "method=\"GET\",le=\"0.05\"} 3\n"),
            std::string::npos);
}

}  // namespace
}  // namespace bonewatch::adapter
