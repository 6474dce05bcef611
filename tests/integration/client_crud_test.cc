// fhir::Client against the real test FHIR server: CRUD, conditional operations, versioning,
// paging and transactions.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "test_fhir_server.h"

namespace bonewatch::fhir {
namespace {

Json NewPatient(const std::string& family, const std::string& mrn = "") {
  Json patient = Json::Object()
                     .Set("resourceType", "Patient")
                     .Set("name", Json::Array().Push(Json::Object().Set("family", family)));
  if (!mrn.empty()) {
    patient.Set("identifier",
                Json::Array().Push(
                    Json::Object().Set("system", "http://hospital.test/mrn").Set("value", mrn)));
  }
  return patient;
}

class ClientCrudTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server().Reset();
    auto transport = NewCurlTransport({});
    ASSERT_TRUE(transport.ok()) << transport.status().ToString();
    transport_ = std::move(*transport);
    ClientOptions options;
    options.base_url = server().base_url();
    options.on_request = [this](const RequestMetrics& m) {
      std::lock_guard<std::mutex> lock(metrics_mu_);
      ++requests_by_interaction_[std::string(m.interaction)];
    };
    client_ = std::make_unique<Client>(options, *transport_, *auth_);
  }

  static testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }

  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<AuthProvider> auth_ = NewNoAuth();
  std::unique_ptr<Client> client_;
  std::mutex metrics_mu_;  // the hook runs on every calling thread
  std::map<std::string, int> requests_by_interaction_;
};

TEST_F(ClientCrudTest, CreateReadVreadUpdateDelete) {
  StatusOr<FhirResult> created = client_->Create(NewPatient("Smith"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->http_status, 201);
  ASSERT_FALSE(created->id.empty());
  ASSERT_FALSE(created->version_id.empty());
  EXPECT_NE(created->location.find("/Patient/" + created->id), std::string::npos);

  StatusOr<FhirResult> read = client_->Read("Patient", created->id);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->etag, "W/\"" + created->version_id + "\"");
  EXPECT_EQ(read->resource.At({"name"})->elements()[0].GetString("family"), "Smith");

  Json changed = read->resource;
  changed.Set("name", Json::Array().Push(Json::Object().Set("family", "Jones")));
  StatusOr<FhirResult> updated = client_->Update(changed, created->version_id);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->http_status, 200);
  EXPECT_NE(updated->version_id, created->version_id);

  StatusOr<FhirResult> old = client_->VRead("Patient", created->id, created->version_id);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->resource.At({"name"})->elements()[0].GetString("family"), "Smith");

  ASSERT_TRUE(client_->Delete("Patient", created->id).ok());
  StatusOr<FhirResult> gone = client_->Read("Patient", created->id);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("GET " + server().base_url() + "/Patient/" + created->id +
                                         ": HTTP 410"),
            std::string::npos)
      << gone.status().message();

  EXPECT_EQ(requests_by_interaction_["create"], 1);
  EXPECT_EQ(requests_by_interaction_["read"], 2);
}

TEST_F(ClientCrudTest, ReadOfUnknownIdIsNotFoundWithOutcomeText) {
  StatusOr<FhirResult> read = client_->Read("Patient", "does-not-exist");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("HTTP 404: [error"), std::string::npos)
      << read.status().message();
}

TEST_F(ClientCrudTest, StaleIfMatchIsFailedPrecondition) {
  StatusOr<FhirResult> created = client_->Create(NewPatient("Smith"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Json patient = created->resource;
  ASSERT_TRUE(client_->Update(patient, created->version_id).ok());
  StatusOr<FhirResult> stale = client_->Update(patient, created->version_id);  // now stale
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("HTTP 412"), std::string::npos)
      << stale.status().message();
}

TEST_F(ClientCrudTest, ConditionalCreateCreatesOnceThenFindsTheSame) {
  SearchParams criteria = {{"identifier", "http://hospital.test/mrn|A-1"}};
  StatusOr<FhirResult> first = client_->CreateIfNoneExist(NewPatient("Smith", "A-1"), criteria);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->http_status, 201);
  StatusOr<FhirResult> second = client_->CreateIfNoneExist(NewPatient("Smith", "A-1"), criteria);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->http_status, 200);
  EXPECT_EQ(second->id, first->id);
  StatusOr<SearchPage> all = client_->Search("Patient", {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->resources.size(), 1u);
}

TEST_F(ClientCrudTest, ConditionalUpdateCreatesThenUpdatesSameId) {
  SearchParams criteria = {{"identifier", "http://hospital.test/mrn|B-2"}};
  StatusOr<FhirResult> first = client_->ConditionalUpdate(NewPatient("Smith", "B-2"), criteria);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->http_status, 201);
  StatusOr<FhirResult> second = client_->ConditionalUpdate(NewPatient("Jones", "B-2"), criteria);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->http_status, 200);
  EXPECT_EQ(second->id, first->id);
  EXPECT_NE(second->version_id, first->version_id);
}

TEST_F(ClientCrudTest, SearchAllFollowsMoreThanThreePages) {
  std::set<std::string> created;
  for (int i = 0; i < 35; ++i) {
    StatusOr<FhirResult> r = client_->Create(NewPatient("P" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    created.insert(r->id);
  }
  requests_by_interaction_.clear();
  StatusOr<std::vector<Json>> all = client_->SearchAll("Patient", {{"_count", "10"}});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::multiset<std::string> seen;
  for (const Json& p : *all) seen.insert(p.GetString("id").value_or(""));
  EXPECT_EQ(seen.size(), 35u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), created);  // each id exactly once
  EXPECT_EQ(requests_by_interaction_["search"], 4);
}

TEST_F(ClientCrudTest, SearchAllFailsClearlyAtThePageCap) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client_->Create(NewPatient("P")).ok());
  ClientOptions options;
  options.base_url = server().base_url();
  options.max_search_pages = 2;
  Client capped(options, *transport_, *auth_);
  StatusOr<std::vector<Json>> all = capped.SearchAll("Patient", {{"_count", "2"}});
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(all.status().message().find("more than 2 pages"), std::string::npos);
}

Json TransactionEntry(const std::string& method, const std::string& url, Json resource,
                      const std::string& if_match = "") {
  Json request = Json::Object().Set("method", method).Set("url", url);
  if (!if_match.empty()) request.Set("ifMatch", if_match);
  return Json::Object().Set("resource", std::move(resource)).Set("request", std::move(request));
}

TEST_F(ClientCrudTest, TransactionCommitsAllEntries) {
  Json bundle = Json::Object()
                    .Set("resourceType", "Bundle")
                    .Set("type", "transaction")
                    .Set("entry", Json::Array()
                                      .Push(TransactionEntry("POST", "Patient", NewPatient("A")))
                                      .Push(TransactionEntry("POST", "Patient", NewPatient("B"))));
  StatusOr<FhirResult> result = client_->Transaction(bundle);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->resource.GetString("type"), "transaction-response");
  StatusOr<std::vector<Json>> all = client_->SearchAll("Patient", {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(ClientCrudTest, FailedTransactionChangesNothing) {
  StatusOr<FhirResult> existing = client_->Create(NewPatient("Existing"));
  ASSERT_TRUE(existing.ok());
  Json stale = existing->resource;
  Json bundle =
      Json::Object()
          .Set("resourceType", "Bundle")
          .Set("type", "transaction")
          .Set("entry",
               Json::Array()
                   .Push(TransactionEntry("POST", "Patient", NewPatient("New")))
                   .Push(TransactionEntry("PUT", "Patient/" + existing->id, stale, "W/\"stale\"")));
  StatusOr<FhirResult> result = client_->Transaction(bundle);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition) << result.status().ToString();
  StatusOr<std::vector<Json>> all = client_->SearchAll("Patient", {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u) << "the POST entry must have been rolled back";
}

TEST_F(ClientCrudTest, BatchReportsEntriesIndependently) {
  Json bundle =
      Json::Object()
          .Set("resourceType", "Bundle")
          .Set("type", "batch")
          .Set("entry",
               Json::Array()
                   .Push(TransactionEntry("POST", "Patient", NewPatient("A")))
                   .Push(Json::Object().Set(
                       "request",
                       Json::Object().Set("method", "GET").Set("url", "Patient/missing"))));
  StatusOr<FhirResult> result = client_->Batch(bundle);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Json* entries = result->resource.Find("entry");
  ASSERT_NE(entries, nullptr);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].At({"response", "status"})->AsString().substr(0, 3), "201");
  EXPECT_EQ((*entries)[1].At({"response", "status"})->AsString().substr(0, 3), "404");
}

// One Client, transport and auth provider shared by several threads (the curl transport
// serialises calls on its mutex). Run under ASan/TSan builds to catch races.
TEST_F(ClientCrudTest, ConcurrentCallsShareOneClient) {
  StatusOr<FhirResult> created = client_->Create(NewPatient("Shared"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t, &failures, id = created->id] {
      for (int i = 0; i < 10; ++i) {
        if (!client_->Read("Patient", id).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
  EXPECT_EQ(requests_by_interaction_["read"], 40);
}

TEST_F(ClientCrudTest, CapabilitiesIsACapabilityStatement) {
  StatusOr<FhirResult> caps = client_->Capabilities();
  ASSERT_TRUE(caps.ok()) << caps.status().ToString();
  EXPECT_EQ(caps->resource.GetString("resourceType"), "CapabilityStatement");
  EXPECT_EQ(caps->resource.GetString("fhirVersion").value_or("").substr(0, 3), "4.0");
}

}  // namespace
}  // namespace bonewatch::fhir
