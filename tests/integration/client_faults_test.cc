// Retries, Retry-After, timeouts and dropped connections against the real test FHIR server
// with injected faults. Each test checks the server's request counters, not only the outcome.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "bonewatch/fhir/client.h"
#include "test_fhir_server.h"

namespace bonewatch::fhir {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

Json NewPatient() {
  return Json::Object()
      .Set("resourceType", "Patient")
      .Set("name", Json::Array().Push(Json::Object().Set("family", "Fault")));
}

testing::FaultSpec StatusFault(int count, int status, int retry_after_seconds = -1) {
  testing::FaultSpec fault;
  fault.count = count;
  fault.status = status;
  fault.retry_after_seconds = retry_after_seconds;
  return fault;
}

testing::FaultSpec Hang(int count, int hang_ms) {
  testing::FaultSpec fault;
  fault.count = count;
  fault.hang_ms = hang_ms;
  return fault;
}

testing::FaultSpec Drop() {
  testing::FaultSpec fault;
  fault.drop = true;
  return fault;
}

CurlTransportOptions TotalTimeout(milliseconds timeout) {
  CurlTransportOptions options;
  options.total_timeout = timeout;
  return options;
}

class ClientFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server().Reset();
    patient_id_ = SeedPatient();
  }

  static testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }

  std::unique_ptr<Client> NewClient(CurlTransportOptions transport_options = {},
                                    std::string base_url = "") {
    auto transport = NewCurlTransport(transport_options);
    EXPECT_TRUE(transport.ok()) << transport.status().ToString();
    transport_ = std::move(*transport);
    ClientOptions options;
    options.base_url = base_url.empty() ? server().base_url() : base_url;
    options.retry.base_delay = milliseconds(20);  // keep the suite fast; the math is unit-tested
    options.on_request = [this](const RequestMetrics& m) { last_ = m; };
    return std::make_unique<Client>(options, *transport_, *auth_);
  }

  std::string SeedPatient() {
    auto response = server().Raw("POST", "/fhir/Patient", NewPatient().Serialize(),
                                 {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(response.status, 201) << response.body;
    StatusOr<Json> body = Json::Parse(response.body);
    return body.ok() ? body->GetString("id").value_or("") : "";
  }

  int CountPatients() {
    auto response = server().Raw("GET", "/fhir/Patient?_summary=count");
    StatusOr<Json> body = Json::Parse(response.body);
    return body.ok() ? static_cast<int>(body->GetInt64("total").value_or(-1)) : -1;
  }

  std::string patient_id_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<AuthProvider> auth_ = NewNoAuth();
  RequestMetrics last_;
};

TEST_F(ClientFaultsTest, ServiceUnavailableIsRetriedUntilSuccess) {
  auto client = NewClient();
  int before = server().RequestCount();
  server().InjectFault(StatusFault(2, 503));
  StatusOr<FhirResult> read = client->Read("Patient", patient_id_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(server().RequestCount() - before, 3);
  EXPECT_EQ(last_.attempts, 3);
}

TEST_F(ClientFaultsTest, PersistentServerErrorIsUnavailableAfterMaxAttempts) {
  auto client = NewClient();
  int before = server().RequestCount();
  server().InjectFault(StatusFault(10, 502));
  StatusOr<FhirResult> read = client->Read("Patient", patient_id_);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(read.status().message().find("HTTP 502 after 4 attempts"), std::string::npos)
      << read.status().message();
  EXPECT_EQ(server().RequestCount() - before, 4);
}

TEST_F(ClientFaultsTest, RetryAfterIsHonouredOn429) {
  auto client = NewClient();
  server().InjectFault(StatusFault(1, 429, 1));
  auto start = steady_clock::now();
  StatusOr<FhirResult> read = client->Read("Patient", patient_id_);
  auto elapsed = steady_clock::now() - start;
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_GE(elapsed, milliseconds(1000));  // not the 20 ms base backoff
  EXPECT_LT(elapsed, milliseconds(5000));
  EXPECT_EQ(last_.attempts, 2);
}

TEST_F(ClientFaultsTest, HangingServerHitsTheTotalTimeout) {
  auto client = NewClient(TotalTimeout(milliseconds(800)));
  int before = server().RequestCount();
  server().InjectFault(Hang(5, 20000));
  auto start = steady_clock::now();
  StatusOr<FhirResult> read = client->Read("Patient", patient_id_);
  auto elapsed = steady_clock::now() - start;
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kDeadlineExceeded) << read.status().ToString();
  EXPECT_NE(read.status().message().find("GET " + server().base_url() + "/Patient/"),
            std::string::npos);
  EXPECT_GE(elapsed, milliseconds(700));
  EXPECT_LT(elapsed, milliseconds(3000));  // one timeout, not one per retry
  EXPECT_EQ(server().RequestCount() - before, 1);
  server().ClearFaults();
}

TEST_F(ClientFaultsTest, DroppedConnectionIsRetriedForGet) {
  auto client = NewClient();
  ASSERT_TRUE(client->Read("Patient", patient_id_).ok());  // warm a keep-alive connection
  int before = server().RequestCount("GET");
  server().InjectFault(Drop());
  StatusOr<FhirResult> read = client->Read("Patient", patient_id_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(server().RequestCount("GET") - before, 2);
}

// A plain create that may have reached the server is never resent: not by the retry policy and
// not by libcurl's own resend on a reused connection (hence the warm-up GET first).
TEST_F(ClientFaultsTest, DroppedConnectionIsNotRetriedForPlainCreate) {
  auto client = NewClient();
  ASSERT_TRUE(client->Read("Patient", patient_id_).ok());  // warm a keep-alive connection
  int posts_before = server().RequestCount("POST");
  int patients_before = CountPatients();
  server().InjectFault(Drop());
  StatusOr<FhirResult> created = client->Create(NewPatient());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kUnavailable) << created.status().ToString();
  EXPECT_EQ(server().RequestCount("POST") - posts_before, 1);
  EXPECT_EQ(last_.attempts, 1);
  EXPECT_LE(CountPatients(), patients_before + 1);
}

TEST_F(ClientFaultsTest, DroppedConnectionIsRetriedForConditionalCreate) {
  auto client = NewClient();
  int posts_before = server().RequestCount("POST");
  server().InjectFault(Drop());
  Json patient = NewPatient();
  patient.Set("identifier",
              Json::Array().Push(
                  Json::Object().Set("system", "http://hospital.test/mrn").Set("value", "drop-1")));
  StatusOr<FhirResult> created =
      client->CreateIfNoneExist(patient, {{"identifier", "http://hospital.test/mrn|drop-1"}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(server().RequestCount("POST") - posts_before, 2);
}

TEST_F(ClientFaultsTest, ServerErrorOnPlainCreateIsNotRetried) {
  auto client = NewClient();
  int posts_before = server().RequestCount("POST");
  server().InjectFault(StatusFault(1, 503));
  StatusOr<FhirResult> created = client->Create(NewPatient());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server().RequestCount("POST") - posts_before, 1);
}

// Nothing listens on the port: the request never left, so even a create is retried, and the
// error names the method, the URL and the cause.
TEST_F(ClientFaultsTest, ConnectionRefusedIsRetriedEvenForCreate) {
  auto client = NewClient({}, "http://127.0.0.1:1/fhir");
  StatusOr<FhirResult> created = client->Create(NewPatient());
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(created.status().message(),
            "POST http://127.0.0.1:1/fhir/Patient: connection refused (curl 7) (after 4 attempts)");
  EXPECT_EQ(last_.attempts, 4);
}

}  // namespace
}  // namespace bonewatch::fhir
