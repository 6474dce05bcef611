// Client behaviour over a fake transport: error mapping, OperationOutcome messages, 401 refresh,
// paging and transaction entry checks. Network behaviour is in tests/integration/.
#include "bonewatch/fhir/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace bonewatch::fhir {
namespace {

using ::testing::HasSubstr;

class FakeTransport : public HttpTransport {
 public:
  void Answer(int status, std::string body = "", HttpHeaders headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    answers_.push_back(std::move(r));
  }
  StatusOr<HttpResponse> Send(const HttpRequest& request, SendFailure* failure) override {
    sent.push_back(request);
    if (failure != nullptr) *failure = SendFailure::kMaybeSent;
    if (answers_.empty())
      return UnavailableError(DescribeRequest(request.method, request.url) +
                              ": no answer scripted");
    HttpResponse r = std::move(answers_.front());
    answers_.pop_front();
    return r;
  }
  std::vector<HttpRequest> sent;

 private:
  std::deque<HttpResponse> answers_;
};

// Counts refreshes; hands out "token-<n>".
class CountingAuth : public AuthProvider {
 public:
  std::string_view name() const override { return "counting"; }
  Status Authorize(HttpRequest& request) override {
    request.headers.Set("Authorization", "Bearer token-" + std::to_string(generation));
    return Status::Ok();
  }
  bool RefreshAfterUnauthorized() override {
    ++generation;
    return refreshable;
  }
  int generation = 0;
  bool refreshable = true;
};

constexpr char kOutcome412[] = R"({"resourceType":"OperationOutcome","issue":[
  {"severity":"error","code":"conflict","diagnostics":"Version mismatch: expected W/\"2\""},
  {"severity":"warning","code":"processing","details":{"text":"second issue text"}}]})";

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() : client_(Options(), transport_, auth_) {}

  ClientOptions Options() {
    ClientOptions options;
    options.base_url = "http://fhir.test/fhir/";
    options.max_search_pages = 3;
    options.retry_environment.sleep = [this](std::chrono::milliseconds d) { slept_ += d; };
    options.retry_environment.uniform01 = [] { return 0.5; };
    options.on_request = [this](const RequestMetrics& m) { metrics_.push_back(m); };
    return options;
  }

  static std::string Page(const std::vector<std::string>& ids, std::string next) {
    Json bundle = Json::Object().Set("resourceType", "Bundle").Set("type", "searchset");
    Json entries = Json::Array();
    for (const std::string& id : ids) {
      entries.Push(Json::Object().Set("resource",
                                      Json::Object().Set("resourceType", "Patient").Set("id", id)));
    }
    bundle.Set("entry", std::move(entries));
    if (!next.empty()) {
      bundle.Set("link", Json::Array().Push(
                             Json::Object().Set("relation", "next").Set("url", std::move(next))));
    }
    return bundle.Serialize();
  }

  FakeTransport transport_;
  CountingAuth auth_;
  std::chrono::milliseconds slept_{0};
  std::vector<RequestMetrics> metrics_;
  Client client_;
};

TEST_F(ClientTest, ReadSendsFhirHeadersAndParsesResult) {
  HttpHeaders headers;
  headers.Set("ETag", "W/\"7\"");
  headers.Set("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT");
  transport_.Answer(200, R"({"resourceType":"Patient","id":"p1"})", headers);
  StatusOr<FhirResult> result = client_.Read("Patient", "p1");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->http_status, 200);
  EXPECT_EQ(result->etag, "W/\"7\"");
  EXPECT_EQ(result->version_id, "7");
  EXPECT_EQ(result->id, "p1");
  EXPECT_EQ(result->resource.GetString("resourceType"), "Patient");
  ASSERT_EQ(transport_.sent.size(), 1u);
  const HttpRequest& sent = transport_.sent[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.url, "http://fhir.test/fhir/Patient/p1");
  EXPECT_EQ(sent.headers.Get("accept"), "application/fhir+json");
  EXPECT_EQ(sent.headers.Get("authorization"), "Bearer token-0");
  ASSERT_EQ(metrics_.size(), 1u);
  EXPECT_EQ(metrics_[0].interaction, "read");
  EXPECT_EQ(metrics_[0].method, "GET");
  EXPECT_EQ(metrics_[0].http_status, 200);
  EXPECT_EQ(metrics_[0].attempts, 1);
}

TEST_F(ClientTest, OperationOutcomeIssuesAreInTheErrorMessage) {
  transport_.Answer(412, kOutcome412);
  Json patient = Json::Object().Set("resourceType", "Patient").Set("id", "p1");
  StatusOr<FhirResult> result = client_.Update(patient, "2");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "PUT http://fhir.test/fhir/Patient/p1: HTTP 412: [error conflict] Version mismatch: "
            "expected W/\"2\" | [warning processing] second issue text");
  EXPECT_EQ(transport_.sent[0].headers.Get("If-Match"), "W/\"2\"");
  EXPECT_EQ(transport_.sent[0].headers.Get("Content-Type"), "application/fhir+json");
}

TEST_F(ClientTest, HttpStatusesMapToCodes) {
  const std::vector<std::pair<int, StatusCode>> table = {
      {400, StatusCode::kInvalidArgument},    {422, StatusCode::kInvalidArgument},
      {401, StatusCode::kUnauthenticated},    {403, StatusCode::kPermissionDenied},
      {404, StatusCode::kNotFound},           {410, StatusCode::kNotFound},
      {409, StatusCode::kFailedPrecondition}, {412, StatusCode::kFailedPrecondition},
      {405, StatusCode::kUnimplemented},      {418, StatusCode::kInvalidArgument},
  };
  auth_.refreshable = false;
  for (const auto& [http, code] : table) {
    transport_.Answer(http, "not json, must not be echoed");
    StatusOr<FhirResult> result = client_.Read("Patient", "x");
    ASSERT_FALSE(result.ok()) << http;
    EXPECT_EQ(result.status().code(), code) << http;
    EXPECT_EQ(result.status().message(),
              "GET http://fhir.test/fhir/Patient/x: HTTP " + std::to_string(http));
  }
}

TEST_F(ClientTest, ServerErrorsAreRetriedThenUnavailableWithAttemptCount) {
  for (int i = 0; i < 4; ++i)
    transport_.Answer(503, R"({"resourceType":"OperationOutcome",
      "issue":[{"severity":"error","code":"transient","diagnostics":"overloaded"}]})");
  StatusOr<FhirResult> result = client_.Read("Patient", "x");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(result.status().message(),
            "GET http://fhir.test/fhir/Patient/x: HTTP 503 after 4 attempts: [error transient] "
            "overloaded");
  EXPECT_EQ(transport_.sent.size(), 4u);
  EXPECT_EQ(metrics_.back().attempts, 4);
  EXPECT_EQ(metrics_.back().code, StatusCode::kUnavailable);
}

TEST_F(ClientTest, UnauthorizedRefreshesOnceAndRetriesOnce) {
  transport_.Answer(401);
  transport_.Answer(200, R"({"resourceType":"Patient","id":"p1"})");
  StatusOr<FhirResult> result = client_.Read("Patient", "p1");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[0].headers.Get("Authorization"), "Bearer token-0");
  EXPECT_EQ(transport_.sent[1].headers.Get("Authorization"), "Bearer token-1");
}

TEST_F(ClientTest, RepeatedUnauthorizedIsUnauthenticated) {
  transport_.Answer(401);
  transport_.Answer(401);
  transport_.Answer(200);
  StatusOr<FhirResult> result = client_.Read("Patient", "p1");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(auth_.generation, 1);
}

TEST_F(ClientTest, StaticCredentialsAreNotRetriedAfter401) {
  auth_.refreshable = false;
  transport_.Answer(401);
  StatusOr<FhirResult> result = client_.Read("Patient", "p1");
  EXPECT_EQ(result.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(ClientTest, CreateReadsLocationAndIsNotRetried) {
  HttpHeaders headers;
  headers.Set("Location", "http://fhir.test/fhir/Patient/new1/_history/v9");
  transport_.Answer(201, "", headers);
  StatusOr<FhirResult> created = client_.Create(Json::Object().Set("resourceType", "Patient"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id, "new1");
  EXPECT_EQ(created->version_id, "v9");
  EXPECT_TRUE(created->resource.is_null());

  transport_.Answer(503);
  transport_.Answer(201);
  StatusOr<FhirResult> failed = client_.Create(Json::Object().Set("resourceType", "Patient"));
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(transport_.sent.size(), 2u);  // one each
}

TEST_F(ClientTest, ConditionalOperationsEncodeCriteria) {
  transport_.Answer(201, R"({"resourceType":"Flag","id":"f1"})");
  transport_.Answer(200, R"({"resourceType":"Flag","id":"f1"})");
  Json flag = Json::Object().Set("resourceType", "Flag");
  SearchParams criteria = {{"identifier", "http://bonewatch.example/id|a b"}};
  ASSERT_TRUE(client_.CreateIfNoneExist(flag, criteria).ok());
  ASSERT_TRUE(client_.ConditionalUpdate(flag, criteria).ok());
  EXPECT_EQ(transport_.sent[0].headers.Get("If-None-Exist"),
            "identifier=http%3A%2F%2Fbonewatch.example%2Fid%7Ca%20b");
  EXPECT_EQ(transport_.sent[1].method, "PUT");
  EXPECT_EQ(transport_.sent[1].url,
            "http://fhir.test/fhir/Flag?identifier=http%3A%2F%2Fbonewatch.example%2Fid%7Ca%20b");
}

TEST_F(ClientTest, SearchAllFollowsNextLinks) {
  transport_.Answer(200, Page({"a", "b"}, "http://fhir.test/fhir/Patient?_page=2"));
  transport_.Answer(200, Page({"c"}, ""));
  StatusOr<std::vector<Json>> all = client_.SearchAll("Patient", {{"_count", "2"}});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].GetString("id"), "c");
  EXPECT_EQ(transport_.sent[0].url, "http://fhir.test/fhir/Patient?_count=2");
  EXPECT_EQ(transport_.sent[1].url, "http://fhir.test/fhir/Patient?_page=2");
}

TEST_F(ClientTest, SearchAllStopsAtThePageCap) {
  for (int i = 1; i <= 4; ++i) {
    transport_.Answer(200, Page({"p" + std::to_string(i)},
                                "http://fhir.test/fhir/Patient?_page=" + std::to_string(i + 1)));
  }
  StatusOr<std::vector<Json>> all = client_.SearchAll("Patient", {});
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(all.status().message(), HasSubstr("more than 3 pages"));
  EXPECT_EQ(transport_.sent.size(), 3u);
}

// The backfill's in-scope search: one page at a time, past the SearchAll cap
// (memory is one page's), and the caller can stop it.
TEST_F(ClientTest, SearchEachHandsOverOnePageAtATime) {
  for (int i = 1; i <= 4; ++i) {
    transport_.Answer(200, Page({"p" + std::to_string(i)},
                                "http://fhir.test/fhir/Patient?_page=" + std::to_string(i + 1)));
  }
  transport_.Answer(200, Page({"p5", "p6"}, ""));
  std::vector<std::vector<std::string>> pages;
  Status status = client_.SearchEach("Patient", {{"_count", "1"}}, [&](std::vector<Json>& page) {
    EXPECT_EQ(transport_.sent.size(), pages.size() + 1);  // fetched only when needed
    std::vector<std::string> ids;
    for (const Json& resource : page) ids.push_back(resource.GetString("id").value_or(""));
    pages.push_back(std::move(ids));
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(pages.size(), 5u);
  EXPECT_EQ(pages[0], std::vector<std::string>{"p1"});
  EXPECT_EQ(pages[4], (std::vector<std::string>{"p5", "p6"}));
  EXPECT_EQ(transport_.sent[4].url, "http://fhir.test/fhir/Patient?_page=5");
}

TEST_F(ClientTest, SearchEachStopsWhenThePageHandlerFails) {
  transport_.Answer(200, Page({"a"}, "http://fhir.test/fhir/Patient?_page=2"));
  transport_.Answer(200, Page({"b"}, ""));
  Status status =
      client_.SearchEach("Patient", {}, [](std::vector<Json>&) { return InternalError("enough"); });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(ClientTest, PagingLinksToAnotherOriginAreRefused) {
  transport_.Answer(200, Page({"a"}, "http://evil.test/fhir/Patient?_page=2"));
  StatusOr<std::vector<Json>> all = client_.SearchAll("Patient", {});
  ASSERT_FALSE(all.ok());
  EXPECT_THAT(all.status().message(), HasSubstr("not under the base URL"));
  EXPECT_EQ(transport_.sent.size(), 1u);
}

TEST_F(ClientTest, TransactionWithAFailedEntryIsAnError) {
  transport_.Answer(200, R"({"resourceType":"Bundle","type":"transaction-response","entry":[
    {"response":{"status":"201 Created"}},
    {"response":{"status":"412 Precondition Failed","outcome":{"resourceType":"OperationOutcome",
      "issue":[{"severity":"error","code":"conflict","diagnostics":"stale"}]}}}]})");
  Json bundle = Json::Object().Set("resourceType", "Bundle").Set("type", "transaction");
  StatusOr<FhirResult> result = client_.Transaction(bundle);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(),
              HasSubstr("POST http://fhir.test/fhir: entry 2 of 2 failed with '412 Precondition "
                        "Failed': [error conflict] stale"));
  EXPECT_FALSE(IsIdempotent(transport_.sent[0]));
}

TEST_F(ClientTest, BatchRequiresBatchBundle) {
  Json bundle = Json::Object().Set("resourceType", "Bundle").Set("type", "transaction");
  EXPECT_EQ(client_.Batch(bundle).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(ClientTest, NonJsonSuccessBodyIsAnError) {
  transport_.Answer(200, "<html>proxy</html>");
  StatusOr<FhirResult> result = client_.Capabilities();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("GET http://fhir.test/fhir/metadata: HTTP 200"));
}

}  // namespace
}  // namespace bonewatch::fhir
