// NotificationServer on an ephemeral port: rest-hook delivery from the real test FHIR server,
// authentication (shared secret, HMAC), size limits, malformed input, routes.
#include "ingest_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "bonewatch/fhir/json.h"
#include "ingest_decode.h"
#include "metrics.h"
#include "store.h"
#include "test_fhir_server.h"

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;

constexpr char kSecret[] = "s3cret-value";
constexpr char kReceived[] = "bonewatch_notifications_received_total";

struct Answer {
  int status = 0;
  std::string body;
};

Answer Send(int port, const std::string& method, const std::string& path, const std::string& body,
            const std::map<std::string, std::string>& headers = {}, bool chunked = false) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (chunked) {
    request.setChunkedTransferEncoding(true);
  } else {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  Answer answer;
  try {
    std::ostream& out = session.sendRequest(request);
    out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    answer.status = static_cast<int>(response.getStatus());
    std::ostringstream text;
    text << in.rdbuf();
    answer.body = text.str();
  } catch (const std::exception& e) {
    answer.body = e.what();
  }
  return answer;
}

class IngestServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& shared_secret, const std::string& hmac_secret,
                   size_t max_body = 4096) {
    Config::Notifications config;
    config.listen_address = "127.0.0.1";
    config.port = 0;
    config.shared_secret = shared_secret;
    config.hmac_secret = hmac_secret;
    config.max_body_bytes = max_body;
    NotificationServerDeps deps;
    deps.store = store_.get();
    deps.metrics = &metrics_;
    deps.logger = &logger_;
    deps.clock = &clock_;
    deps.wake = [this] { ++wakes_; };
    server_ = std::make_unique<NotificationServer>(config, std::move(deps));
    const Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    ASSERT_GT(server_->port(), 0);
  }

  uint64_t Depth() {
    StatusOr<uint64_t> depth = store_->InboxDepth();
    EXPECT_TRUE(depth.ok());
    return depth.value_or(0);
  }

  std::map<std::string, std::string> Auth() const { return {{"x-bonewatch-secret", kSecret}}; }

  std::unique_ptr<Store> store_ = NewMemoryStore();
  Metrics metrics_;
  std::ostringstream log_;
  SystemClock clock_;
  Logger logger_{LogFormat::kText, LogLevel::kDebug, clock_, &log_};
  std::atomic<int> wakes_{0};
  std::unique_ptr<NotificationServer> server_;
};

constexpr char kObservation[] =
    R"({"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}})";

TEST_F(IngestServerTest, RestHookDeliveryFromTheFhirServerLandsInTheInbox) {
  StartServer(kSecret, "");
  testing::TestFhirServer& fhir = testing::SharedTestFhirServer();
  fhir.Reset();
  const std::string endpoint =
      "http://127.0.0.1:" + std::to_string(server_->port()) + "/fhir/notify";
  const std::string subscription =
      fhir::Json::Object()
          .Set("resourceType", "Subscription")
          .Set("status", "requested")
          .Set("reason", "test")
          .Set("criteria", "Observation?code=http://loinc.org|38267-1")
          .Set("channel", fhir::Json::Object()
                              .Set("type", "rest-hook")
                              .Set("endpoint", endpoint)
                              .Set("payload", "application/fhir+json")
                              .Set("header", fhir::Json::Array().Push(
                                                 std::string("x-bonewatch-secret: ") + kSecret)))
          .Serialize();
  ASSERT_EQ(fhir.Raw("POST", "/fhir/Subscription", subscription,
                     {{"Content-Type", "application/fhir+json"}})
                .status,
            201);
  const std::string observation =
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]}})";
  testing::TestFhirServer::RawResponse created = fhir.Raw(
      "POST", "/fhir/Observation", observation, {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  StatusOr<fhir::Json> created_json = fhir::Json::Parse(created.body);
  ASSERT_TRUE(created_json.ok());
  const std::string id = created_json->GetString("id").value_or("");

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Depth() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(Depth(), 1u);
  StatusOr<std::vector<InboxItem>> items = store_->PeekInbox(10);
  ASSERT_TRUE(items.ok());
  const InboxItem& item = (*items)[0];
  EXPECT_EQ(item.origin, "rest-hook");
  EXPECT_EQ(item.hint, "Observation/" + id);
  EXPECT_THAT(item.headers_json, HasSubstr("x-medplum-interaction"));
  EXPECT_THAT(item.headers_json, ::testing::Not(HasSubstr(kSecret)));
  StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item);
  ASSERT_TRUE(units.ok()) << units.status().ToString();
  ASSERT_EQ(units->size(), 1u);
  EXPECT_EQ((*units)[0].kind, WorkUnit::Kind::kResource);
  EXPECT_EQ((*units)[0].resource_id, id);
  EXPECT_EQ(wakes_.load(), 1);
  EXPECT_EQ(metrics_.Value(kReceived, {{"result", "stored"}}), 1);
  EXPECT_EQ(metrics_.Value("bonewatch_inbox_depth"), 1);
}

TEST_F(IngestServerTest, WrongOrMissingSecretIs401AndNothingStored) {
  StartServer(kSecret, "");
  EXPECT_EQ(
      Send(server_->port(), "POST", "/fhir/notify", kObservation, {{"x-bonewatch-secret", "wrong"}})
          .status,
      401);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify", kObservation).status, 401);
  EXPECT_EQ(Depth(), 0u);
  EXPECT_EQ(metrics_.Value(kReceived, {{"result", "unauthorized"}}), 2);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify", kObservation, Auth()).status, 200);
  EXPECT_EQ(Depth(), 1u);
  EXPECT_THAT(log_.str(), ::testing::Not(HasSubstr(kSecret)));
}

TEST_F(IngestServerTest, HmacSignatureGoodAndBad) {
  StartServer("", "hmac-key");
  const std::string good = HmacSha256Hex("hmac-key", kObservation);
  ASSERT_EQ(good.size(), 64u);
  EXPECT_EQ(
      Send(server_->port(), "POST", "/fhir/notify", kObservation, {{"x-signature", good}}).status,
      200);
  std::string bad = good;
  bad[0] = bad[0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(
      Send(server_->port(), "POST", "/fhir/notify", kObservation, {{"x-signature", bad}}).status,
      401);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify", kObservation).status, 401);
  EXPECT_EQ(Depth(), 1u);
}

TEST_F(IngestServerTest, HmacKnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

TEST_F(IngestServerTest, OversizedBodyIs413ByContentLengthAndWhenChunked) {
  StartServer("", "", /*max_body=*/256);
  const std::string big =
      R"({"resourceType":"Observation","id":"o1","note":")" + std::string(1000, 'x') + "\"}";
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify", big).status, 413);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify", big, {}, /*chunked=*/true).status, 413);
  EXPECT_EQ(Depth(), 0u);
  EXPECT_EQ(metrics_.Value(kReceived, {{"result", "too_large"}}), 2);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify", kObservation, {}, true).status, 200);
}

TEST_F(IngestServerTest, MalformedIs400WithOperationOutcomeAndInboxUnchanged) {
  StartServer("", "");
  for (const std::string& body : {std::string("{\"resourceType\":"), std::string("[1]"),
                                  std::string("{\"id\":\"x\"}"), std::string("\xff\xfe")}) {
    const Answer answer = Send(server_->port(), "POST", "/fhir/notify", body);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_THAT(answer.body, HasSubstr("OperationOutcome"));
  }
  EXPECT_EQ(Depth(), 0u);
  EXPECT_EQ(wakes_.load(), 0);
}

TEST_F(IngestServerTest, HapiEmptyPutAndMedplumDeleteAreStored) {
  StartServer("", "");
  EXPECT_EQ(Send(server_->port(), "PUT", "/fhir/notify/Observation/abc", "").status, 200);
  EXPECT_EQ(
      Send(server_->port(), "POST", "/fhir/notify", "{}",
           {{"x-medplum-interaction", "delete"}, {"x-medplum-deleted-resource", "Observation/123"}})
          .status,
      200);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify", "").status, 200);
  StatusOr<std::vector<InboxItem>> items = store_->PeekInbox(10);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 3u);
  std::vector<WorkUnit::Kind> kinds;
  for (const InboxItem& item : *items) {
    StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item);
    ASSERT_TRUE(units.ok());
    ASSERT_EQ(units->size(), 1u);
    kinds.push_back((*units)[0].kind);
  }
  EXPECT_EQ(kinds, (std::vector<WorkUnit::Kind>{WorkUnit::Kind::kFetch, WorkUnit::Kind::kDelete,
                                                WorkUnit::Kind::kPollNow}));
}

TEST_F(IngestServerTest, OwnWritesAreAnswered200ButNotStored) {
  StartServer("", "");
  const std::string flag = R"({"resourceType":"Flag","id":"f1","meta":{"tag":[
      {"system":"http://bonewatch.example/fhir/CodeSystem/tag","code":"bonewatch"}]}})";
  EXPECT_EQ(Send(server_->port(), "PUT", "/fhir/notify/Flag/f1", flag).status, 200);
  EXPECT_EQ(Depth(), 0u);
  EXPECT_EQ(metrics_.Value(kReceived, {{"result", "ignored"}}), 1);
}

TEST_F(IngestServerTest, RoutesAndMethods) {
  StartServer("", "");
  EXPECT_EQ(Send(server_->port(), "GET", "/fhir/notify", "").status, 405);
  EXPECT_EQ(Send(server_->port(), "POST", "/elsewhere", kObservation).status, 404);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify/Observation", kObservation).status, 404);
  EXPECT_EQ(Send(server_->port(), "PUT", "/fhir/notify/observation/x", kObservation).status, 400);
  EXPECT_EQ(Send(server_->port(), "POST", "/fhir/notify?x=1", kObservation).status, 200);
  EXPECT_EQ(Depth(), 1u);
}

TEST_F(IngestServerTest, StopIsIdempotentAndRefusesLaterRequests) {
  StartServer("", "");
  const int port = server_->port();
  EXPECT_EQ(Send(port, "POST", "/fhir/notify", kObservation).status, 200);
  server_->Stop();
  server_->Stop();
  EXPECT_EQ(Send(port, "POST", "/fhir/notify", kObservation).status, 0);
  EXPECT_EQ(Depth(), 1u);
}

TEST_F(IngestServerTest, ConcurrentSendersAllStored) {
  StartServer("", "");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (Send(server_->port(), "POST", "/fhir/notify", kObservation).status == 200) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(Depth(), 80u);
}

// Issue 13 item 10: the answer never waits for the worker. With the SQLite store, an inbox or
// evaluation batch holds the store file's write lock from its first write to its commit; the
// durable enqueue (own file, own lock) is answered while that batch stays open, and the answer
// time is in bonewatch_notification_answer_seconds.
TEST_F(IngestServerTest, ANotificationIsAnsweredWhileAStoreBatchIsOpen) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("bonewatch-ingest-batch-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  StatusOr<std::unique_ptr<Store>> opened = OpenSqliteStore((dir / "bonewatch.db").string());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
  StartServer("", "");
  std::atomic<bool> answered{false};
  std::atomic<int> status{0};
  {
    StoreBatch batch(*store_);  // the worker's batch, on another thread than the endpoint's
    ASSERT_TRUE(batch.begun().ok());
    ASSERT_TRUE(store_->MarkDirty("p1").ok());  // it has written: SQLite's write lock is held
    std::thread sender([&] {
      status = Send(server_->port(), "POST", "/fhir/notify", kObservation).status;
      answered = true;
    });
    // Before the inbox had its own file this waited for the commit below, i.e. for ever.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
    while (!answered && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(answered.load()) << "the notification waited for the store batch";
    ASSERT_TRUE(batch.Commit().ok());
    sender.join();
  }
  EXPECT_EQ(status.load(), 200);
  EXPECT_EQ(Depth(), 1u);
  EXPECT_EQ(metrics_.Value("bonewatch_notification_answer_seconds", {}), 1);
  server_.reset();
  store_.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bonewatch::adapter
