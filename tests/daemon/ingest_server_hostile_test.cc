// NotificationServer under hostile clients (issue 13 item 8), on an ephemeral loopback port:
// 1,000 idle and slow connections do not delay a valid notification; connections without a
// complete head are closed after the header time-out; reason phrases; 413 before the body;
// PUT id/type mismatch; a full queue answers 503 with Retry-After; keep-alive still works.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ingest_server.h"
#include "metrics.h"
#include "store.h"

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using SteadyClock = std::chrono::steady_clock;

constexpr char kConnections[] = "bonewatch_notification_connections";
constexpr char kClosed[] = "bonewatch_notification_connections_closed_total";
constexpr char kObservation[] =
    R"({"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"}})";

// A plain blocking TCP client socket; closed by the destructor.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool Send(const std::string& bytes) const {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything until the server closes (or `timeout` passes).
  std::string ReadAll(std::chrono::seconds timeout = std::chrono::seconds(10)) const {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count());
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string text;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    return text;
  }
  // Until the end of the first response head (keep-alive connections stay open).
  std::string ReadHead(std::chrono::seconds timeout = std::chrono::seconds(10)) const {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count());
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string text;
    char c = 0;
    while (text.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) text += c;
    return text;
  }
  // True once the server has closed the connection (FIN or reset); never blocks.
  bool ClosedByServer() const {
    char c = 0;
    const ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT);
    if (n == 0) return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  }

 private:
  int fd_ = -1;
};

std::string Request(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& extra_headers = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
         "Content-Type: application/fhir+json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra_headers + "\r\n" + body;
}

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

// Waits (bounded) until `done` holds.
bool Eventually(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class IngestServerHostileClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::signal(SIGPIPE, SIG_IGN);  // as the daemon does (run_command.cc)
    // Client and server ends of every connection live in this process.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 4096) {
      limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 4096);
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
  }

  void StartServer(const std::function<void(Config::Notifications&, NotificationServerDeps&)>&
                       adjust = nullptr) {
    Config::Notifications config;
    config.listen_address = "127.0.0.1";
    config.port = 0;
    config.max_body_bytes = 4096;
    NotificationServerDeps deps;
    deps.store = store_.get();
    deps.metrics = &metrics_;
    deps.logger = &logger_;
    deps.clock = &clock_;
    if (adjust) adjust(config, deps);
    server_ = std::make_unique<NotificationServer>(config, std::move(deps));
    const Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  uint64_t Depth() {
    StatusOr<uint64_t> depth = store_->InboxDepth();
    return depth.value_or(0);
  }
  double Gauge(const std::string& state) const {
    return metrics_.Value(kConnections, {{"state", state}});
  }

  std::unique_ptr<Store> store_ = NewMemoryStore();
  Metrics metrics_;
  std::ostringstream log_;
  SystemClock clock_;
  Logger logger_{LogFormat::kText, LogLevel::kInfo, clock_, &log_};
  std::unique_ptr<NotificationServer> server_;
};

TEST_F(IngestServerHostileClientsTest, ThousandIdleAndSlowConnectionsDoNotDelayANotification) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < 2200) GTEST_SKIP() << "needs 2,200 file descriptors (ulimit -n)";
  StartServer([](Config::Notifications& c, NotificationServerDeps&) {
    c.header_timeout_seconds = 60;  // they stay open for the whole test
    c.max_connections = 2048;
  });
  constexpr int kHostile = 1000;
  std::vector<std::unique_ptr<RawClient>> hostile;
  for (int i = 0; i < kHostile; ++i) {
    hostile.push_back(std::make_unique<RawClient>(server_->port()));
    ASSERT_TRUE(hostile.back()->ok()) << i;
    // Half stay silent (half-open), half start a head and never finish it (slowloris).
    if (i % 2 == 1) {
      ASSERT_TRUE(hostile.back()->Send("POST /fhir/notify HTTP/1.1\r\nHost: x"));
    }
  }
  ASSERT_TRUE(Eventually([&] { return Gauge("reading") >= kHostile; }))
      << "reading=" << Gauge("reading");

  // While the notification is sent, the slow half keeps trickling its heads, one byte per
  // connection per 20 ms round (bounded: the thread stops by itself after 30 s).
  std::atomic<bool> stop_trickle{false};
  std::thread trickle([&] {
    const auto give_up = SteadyClock::now() + std::chrono::seconds(30);
    while (!stop_trickle.load() && SteadyClock::now() < give_up) {
      for (int i = 1; i < kHostile; i += 2) {
        (void)hostile[static_cast<size_t>(i)]->Send("x");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  struct JoinOnExit {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~JoinOnExit() {
      stop = true;
      thread.join();
    }
  } join_on_exit{stop_trickle, trickle};
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the trickle is under way

  const auto start = SteadyClock::now();
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server_->port()));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest request("POST", "/fhir/notify", Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentType("application/fhir+json");
  request.setContentLength(static_cast<std::streamsize>(std::strlen(kObservation)));
  session.sendRequest(request) << kObservation;
  Poco::Net::HTTPResponse response;
  session.receiveResponse(response);
  const auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start);
  std::printf("[ measure  ] valid notification with %d idle/slow connections open: %.1f ms\n",
              kHostile, static_cast<double>(latency.count()) / 1000.0);
  EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
  EXPECT_EQ(Depth(), 1u);  // stored before the 200
  // The issue's target is 2 s; the bound here is generous for a loaded 2-core machine.
  EXPECT_LT(latency, std::chrono::seconds(10));
  // The hostile connections were neither served nor dropped.
  EXPECT_GE(Gauge("reading"), kHostile);
  EXPECT_EQ(metrics_.Value(kClosed, {{"reason", "evicted"}}), 0);
}

TEST_F(IngestServerHostileClientsTest, ConnectionsWithoutACompleteHeadCloseAfterTheTimeout) {
  StartServer(
      [](Config::Notifications& c, NotificationServerDeps&) { c.header_timeout_seconds = 1; });
  constexpr int kSlow = 20;
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < kSlow; ++i) slow.push_back(std::make_unique<RawClient>(server_->port()));
  RawClient idle(server_->port());
  // A keep-alive connection that was answered and then goes quiet.
  RawClient keep_alive(server_->port());
  ASSERT_TRUE(keep_alive.Send("POST /fhir/notify HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                              std::to_string(std::strlen(kObservation)) + "\r\n\r\n" +
                              kObservation));
  EXPECT_THAT(keep_alive.ReadHead(), StartsWith("HTTP/1.1 200 OK"));
  const auto start = SteadyClock::now();

  // Trickle one byte of a head every 100 ms on each slow connection: the time-out is
  // absolute, so the trickle must not keep them open.
  const std::string head = "POST /fhir/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  std::vector<bool> closed(kSlow, false);
  std::vector<double> closed_after(kSlow, 0);
  size_t at = 0;
  while (SteadyClock::now() - start < std::chrono::seconds(5)) {
    bool all = true;
    for (int i = 0; i < kSlow; ++i) {
      if (closed[i]) continue;
      if (slow[i]->ClosedByServer() || !slow[i]->Send(std::string(1, head[at % head.size()]))) {
        closed[i] = true;
        closed_after[i] = std::chrono::duration<double>(SteadyClock::now() - start).count();
      } else {
        all = false;
      }
    }
    ++at;
    if (all && idle.ClosedByServer() && keep_alive.ClosedByServer()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (int i = 0; i < kSlow; ++i) {
    EXPECT_TRUE(closed[i]) << "slow connection " << i << " still open after 5 s";
    EXPECT_GT(closed_after[i], 0.5) << i;  // not before the time-out (1 s, less setup time)
  }
  EXPECT_TRUE(idle.ClosedByServer());
  EXPECT_TRUE(keep_alive.ClosedByServer());
  EXPECT_GE(metrics_.Value(kClosed, {{"reason", "header_timeout"}}), kSlow + 2);
  EXPECT_TRUE(Eventually([&] { return Gauge("reading") == 0; }));
  EXPECT_EQ(Depth(), 1u);
}

TEST_F(IngestServerHostileClientsTest, StatusLinesCarryTheirReasonPhrases) {
  StartServer([](Config::Notifications& c, NotificationServerDeps&) {
    c.shared_secret = "s3cret";
    c.max_body_bytes = 256;
  });
  const std::string auth = "x-bonewatch-secret: s3cret\r\n";
  const int port = server_->port();
  const auto status = [port](const std::string& request) {
    RawClient client(port);
    EXPECT_TRUE(client.Send(request));
    return StatusLine(client.ReadAll());
  };
  EXPECT_EQ(status(Request("POST", "/fhir/notify", kObservation, auth)), "HTTP/1.1 200 OK");
  EXPECT_EQ(status(Request("PUT", "/fhir/notify/observation/x", kObservation, auth)),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status(Request("POST", "/fhir/notify", kObservation)), "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(status(Request("POST", "/elsewhere", kObservation, auth)), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(status(Request("GET", "/fhir/notify", "", auth)), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(status(Request("POST", "/fhir/notify", std::string(300, ' '), auth)),
            "HTTP/1.1 413 Request Entity Too Large");
  // A head Poco cannot parse (header name over Poco's 256-character limit).
  EXPECT_EQ(status("POST /fhir/notify HTTP/1.1\r\n" + std::string(300, 'X') + ": y\r\n\r\n"),
            "HTTP/1.1 400 Bad Request");
  server_.reset();

  StartServer([](Config::Notifications& c, NotificationServerDeps&) {
    c.allowed_clients = {"192.0.2.0/24"};
  });
  RawClient denied(server_->port());
  ASSERT_TRUE(denied.Send(Request("POST", "/fhir/notify", kObservation)));
  EXPECT_EQ(StatusLine(denied.ReadAll()), "HTTP/1.1 403 Forbidden");
}

TEST_F(IngestServerHostileClientsTest, TooLargeContentLengthIs413BeforeTheBodyIsSent) {
  StartServer([](Config::Notifications& c, NotificationServerDeps&) { c.max_body_bytes = 256; });
  RawClient client(server_->port());
  // Only the head: the answer must come without waiting for 10 MB that never arrive.
  ASSERT_TRUE(
      client.Send("POST /fhir/notify HTTP/1.1\r\nHost: x\r\nContent-Length: "
                  "10000000\r\n\r\n{\"resourceType\""));
  const auto start = SteadyClock::now();
  const std::string answer = client.ReadAll(std::chrono::seconds(5));
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 413 Request Entity Too Large");
  EXPECT_THAT(answer, HasSubstr("OperationOutcome"));
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(Depth(), 0u);
}

TEST_F(IngestServerHostileClientsTest, PutWhoseUrlDiffersFromTheBodyIs400) {
  StartServer();
  const int port = server_->port();
  const auto answer = [port](const std::string& path) {
    RawClient client(port);
    EXPECT_TRUE(client.Send(Request("PUT", path, kObservation)));
    return client.ReadAll();
  };
  const std::string other_id = answer("/fhir/notify/Observation/o2");
  EXPECT_EQ(StatusLine(other_id), "HTTP/1.1 400 Bad Request");
  EXPECT_THAT(other_id, HasSubstr("OperationOutcome"));
  EXPECT_THAT(other_id, HasSubstr("differs from the body id"));
  const std::string other_type = answer("/fhir/notify/Patient/o1");
  EXPECT_EQ(StatusLine(other_type), "HTTP/1.1 400 Bad Request");
  EXPECT_THAT(other_type, HasSubstr("OperationOutcome"));
  EXPECT_EQ(Depth(), 0u);
  EXPECT_EQ(StatusLine(answer("/fhir/notify/Observation/o1")), "HTTP/1.1 200 OK");
  EXPECT_EQ(Depth(), 1u);
}

TEST_F(IngestServerHostileClientsTest, FullQueueIs503WithRetryAfter) {
  StartServer([](Config::Notifications& c, NotificationServerDeps& d) {
    c.max_queued_requests = 1;
    d.max_threads = 1;
  });
  const std::string body = kObservation;
  // A chunked body is read by the worker (the front hands it over at the end of the head).
  const std::string chunked_head =
      "POST /fhir/notify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  std::ostringstream chunks;
  chunks << std::hex << body.size() << "\r\n" << body << "\r\n0\r\n\r\n";
  // The only worker waits for the body of the first request; the second waits in the queue.
  RawClient first(server_->port());
  ASSERT_TRUE(first.Send(chunked_head));
  ASSERT_TRUE(Eventually([&] { return Gauge("serving") == 1; }));
  RawClient second(server_->port());
  ASSERT_TRUE(second.Send(chunked_head));
  ASSERT_TRUE(Eventually([&] { return Gauge("queued") == 1; }));

  RawClient third(server_->port());
  ASSERT_TRUE(third.Send(Request("POST", "/fhir/notify", body)));
  const std::string refused = third.ReadAll();
  EXPECT_EQ(StatusLine(refused), "HTTP/1.1 503 Service Unavailable");
  EXPECT_THAT(refused, HasSubstr("Retry-After: 1"));
  EXPECT_EQ(metrics_.Value(kClosed, {{"reason", "queue_full"}}), 1);

  ASSERT_TRUE(first.Send(chunks.str()));
  ASSERT_TRUE(second.Send(chunks.str()));
  EXPECT_EQ(StatusLine(first.ReadAll()), "HTTP/1.1 200 OK");
  EXPECT_EQ(StatusLine(second.ReadAll()), "HTTP/1.1 200 OK");
  EXPECT_EQ(Depth(), 2u);
}

TEST_F(IngestServerHostileClientsTest, TrickledBodyHoldsNoWorker) {
  StartServer([](Config::Notifications&, NotificationServerDeps& d) { d.max_threads = 1; });
  const std::string body = kObservation;
  RawClient slow(server_->port());
  ASSERT_TRUE(
      slow.Send("POST /fhir/notify HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n"));
  // One byte every 20 ms (about 1.6 s for the whole body), on its own thread.
  std::atomic<bool> trickled{false};
  std::thread trickle([&] {
    for (char c : body) {
      if (!slow.Send(std::string(1, c))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    trickled = true;
  });
  struct JoinOnExit {
    std::thread& thread;
    ~JoinOnExit() { thread.join(); }
  } join_on_exit{trickle};
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // The only worker is free: the front, not the worker, waits for the slow body.
  RawClient valid(server_->port());
  ASSERT_TRUE(valid.Send(Request("POST", "/fhir/notify", body)));
  EXPECT_EQ(StatusLine(valid.ReadAll()), "HTTP/1.1 200 OK");
  EXPECT_FALSE(trickled.load()) << "the valid notification waited for the slow body";
  EXPECT_EQ(StatusLine(slow.ReadAll()), "HTTP/1.1 200 OK");
  EXPECT_EQ(Depth(), 2u);
}

TEST_F(IngestServerHostileClientsTest, AtMaxConnectionsTheOldestWaitingConnectionMakesRoom) {
  StartServer([](Config::Notifications& c, NotificationServerDeps&) {
    c.max_connections = 10;
    c.header_timeout_seconds = 60;
  });
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 10; ++i) {
    idle.push_back(std::make_unique<RawClient>(server_->port()));
    // One at a time, so that "oldest" is well defined.
    ASSERT_TRUE(Eventually([&] { return Gauge("reading") == i + 1; })) << i;
  }
  RawClient valid(server_->port());
  ASSERT_TRUE(valid.Send(Request("POST", "/fhir/notify", kObservation)));
  EXPECT_EQ(StatusLine(valid.ReadAll()), "HTTP/1.1 200 OK");
  EXPECT_EQ(Depth(), 1u);
  EXPECT_EQ(metrics_.Value(kClosed, {{"reason", "evicted"}}), 1);
  EXPECT_TRUE(Eventually([&] { return idle[0]->ClosedByServer(); }));
  for (size_t i = 1; i < idle.size(); ++i) EXPECT_FALSE(idle[i]->ClosedByServer()) << i;
}

TEST_F(IngestServerHostileClientsTest, KeepAliveConnectionServesSeveralRequests) {
  StartServer();
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(server_->port()));
  session.setKeepAlive(true);
  session.setTimeout(Poco::Timespan(10, 0));
  for (int i = 0; i < 3; ++i) {
    Poco::Net::HTTPRequest request("POST", "/fhir/notify", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setKeepAlive(true);
    request.setContentLength(static_cast<std::streamsize>(std::strlen(kObservation)));
    session.sendRequest(request) << kObservation;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::ostringstream ignored;
    ignored << in.rdbuf();
    EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK) << i;
    EXPECT_TRUE(response.getKeepAlive()) << i;
  }
  EXPECT_EQ(Depth(), 3u);
  // Two requests sent back to back on one connection (pipelined) are both answered.
  RawClient pipelined(server_->port());
  const std::string one = "POST /fhir/notify HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(std::strlen(kObservation)) + "\r\n\r\n" + kObservation;
  ASSERT_TRUE(pipelined.Send(one + Request("POST", "/fhir/notify", kObservation)));
  const std::string both = pipelined.ReadAll();
  EXPECT_EQ(StatusLine(both), "HTTP/1.1 200 OK");
  EXPECT_THAT(both.substr(10), HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_EQ(Depth(), 5u);
}

}  // namespace
}  // namespace bonewatch::adapter
