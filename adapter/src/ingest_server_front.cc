#include "ingest_server_front.h"

#include <Poco/Buffer.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ingest_server_socket.h"

namespace bonewatch::adapter {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr char kConnections[] = "bonewatch_notification_connections";
constexpr char kClosed[] = "bonewatch_notification_connections_closed_total";
// How often the front looks at deadlines when no socket is readable.
constexpr auto kFrontTurn = std::chrono::milliseconds(50);
// A receive still blocked this long after its deadline is cut by the front (TLS records
// trickled byte by byte keep one SSL_read waiting past SO_RCVTIMEO).
constexpr auto kOverdueGrace = std::chrono::milliseconds(200);

struct Connection {
  Poco::Net::StreamSocket socket;  // owns `impl`
  PrefetchedSocketImpl* impl = nullptr;
  SteadyClock::time_point deadline;
  std::list<std::shared_ptr<Connection>>::iterator reading_at;
  // Once the head is complete: how many pending bytes to have before the hand-off (the head,
  // plus a Content-Length body that the front waits for), and the body bytes reserved in
  // Impl::buffered for it.
  std::optional<size_t> need;
  size_t reserved = 0;
};

// Where the request head ends: just after the blank line (CRLF, or bare LF, which Poco also
// accepts); npos while incomplete. Only framing: Poco parses the head.
size_t HeadEnd(const std::string& bytes, size_t from) {
  const size_t crlf = bytes.find("\r\n\r\n", from);
  const size_t lf = bytes.find("\n\n", from);
  return std::min(crlf == std::string::npos ? crlf : crlf + 4,
                  lf == std::string::npos ? lf : lf + 2);
}

}  // namespace

struct RequestFront::Impl {
  RequestFrontOptions options;
  Poco::Net::Context::Ptr tls;
  std::unique_ptr<Poco::Net::HTTPRequestHandlerFactory> factory;
  Metrics* metrics = nullptr;
  Poco::Net::HTTPServerParams::Ptr params;
  Poco::Net::ServerSocket listening;
  Poco::Net::PollSet poll_set;  // thread-safe; workers add returning keep-alive connections

  std::mutex mutex;
  std::condition_variable work_ready;
  // Connections still reading their head, oldest (= earliest deadline) first.
  std::list<std::shared_ptr<Connection>> reading;  // GUARDED_BY(mutex)
  std::unordered_map<Poco::Net::SocketImpl*, std::shared_ptr<Connection>>
      by_socket;                                            // GUARDED_BY(mutex); the raw impl
  std::deque<std::shared_ptr<Connection>> queue;            // GUARDED_BY(mutex)
  std::unordered_set<std::shared_ptr<Connection>> serving;  // GUARDED_BY(mutex)
  size_t buffered = 0;        // GUARDED_BY(mutex); body bytes reserved by reading connections
  bool stopping = false;      // GUARDED_BY(mutex)
  bool workers_stop = false;  // GUARDED_BY(mutex)
  std::atomic<bool> front_stop{false};
  bool started = false;
  std::thread front;
  std::vector<std::thread> workers;

  void FrontLoop();
  void WorkerLoop();
  void AcceptLocked(bool* back_off);
  void AddReadingLocked(const std::shared_ptr<Connection>& c);
  void ReadHeadLocked(const std::shared_ptr<Connection>& c);
  size_t PlanLocked(Connection& c, size_t head_begin, size_t head_end);
  void LeaveReadingLocked(Connection& c);
  void DispatchLocked(const std::shared_ptr<Connection>& c);
  void CloseReadingLocked(const std::shared_ptr<Connection>& c, const char* reason);
  bool EvictOldestLocked();
  void SweepLocked(SteadyClock::time_point now);
  void PublishLocked();
  bool Serve(Connection& c);
  void Closed(const char* reason) { metrics->Increment(kClosed, {{"reason", reason}}); }
  size_t OpenLocked() const { return reading.size() + queue.size() + serving.size(); }
};

void RequestFront::Impl::PublishLocked() {
  metrics->SetGauge(kConnections, {{"state", "reading"}}, static_cast<double>(reading.size()));
  metrics->SetGauge(kConnections, {{"state", "queued"}}, static_cast<double>(queue.size()));
  metrics->SetGauge(kConnections, {{"state", "serving"}}, static_cast<double>(serving.size()));
}

void RequestFront::Impl::FrontLoop() {
  while (!front_stop.load()) {
    Poco::Net::PollSet::SocketModeMap ready;
    try {
      ready = poll_set.poll(AtLeastOneMs(kFrontTurn));
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    bool back_off = false;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (const auto& [socket, mode] : ready) {
        if (socket == listening) {
          AcceptLocked(&back_off);
          continue;
        }
        auto it = by_socket.find(socket.impl());
        if (it == by_socket.end()) continue;
        const std::shared_ptr<Connection> c = it->second;  // ReadHeadLocked may erase it
        ReadHeadLocked(c);
      }
      SweepLocked(SteadyClock::now());
      PublishLocked();
    }
    // Out of file descriptors with nothing to evict: let the listener wait a moment.
    if (back_off) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void RequestFront::Impl::AcceptLocked(bool* back_off) {
  for (int i = 0; i < 64; ++i) {  // a burst, then the other sockets get their turn
    Poco::Net::StreamSocket raw;
    try {
      Poco::Net::SocketAddress client;
      raw = listening.acceptConnection(client);
    } catch (const Poco::Exception& e) {
      if (e.code() == EAGAIN || e.code() == EWOULDBLOCK) return;
      Closed("accept_failed");
      if ((e.code() != EMFILE && e.code() != ENFILE) || !EvictOldestLocked()) *back_off = true;
      return;
    }
    try {
      if (OpenLocked() >= static_cast<size_t>(options.max_connections) && !EvictOldestLocked()) {
        Closed("refused");  // every open connection is queued or in service
        raw.close();
        continue;
      }
      raw.setBlocking(false);
      raw.setNoDelay(true);
      Poco::Net::StreamSocket io = raw;
      if (!tls.isNull()) io = Poco::Net::SecureStreamSocket::attach(raw, tls);
      auto c = std::make_shared<Connection>();
      c->impl = new PrefetchedSocketImpl(raw, io);
      c->socket = Poco::Net::StreamSocket(c->impl);
      AddReadingLocked(c);
    } catch (const std::exception&) {
      Closed("accept_failed");
      try {
        raw.close();
      } catch (...) {
      }
    }
  }
}

// REQUIRES: `c` is non-blocking and in no other list. Throws (Poco) when epoll refuses the
// socket; then `c` is in no list and the caller closes it.
void RequestFront::Impl::AddReadingLocked(const std::shared_ptr<Connection>& c) {
  c->deadline = SteadyClock::now() + options.header_timeout;
  c->impl->SetReceiveDeadline(std::nullopt);
  poll_set.add(c->impl->raw(), Poco::Net::PollSet::POLL_READ);  // may throw: nothing added yet
  c->reading_at = reading.insert(reading.end(), c);
  by_socket[c->impl->raw().impl()] = c;
  // A keep-alive connection may already hold its next head, and TLS may hold bytes that
  // epoll will not report again.
  ReadHeadLocked(c);
}

void RequestFront::Impl::ReadHeadLocked(const std::shared_ptr<Connection>& c) {
  PrefetchedSocketImpl& s = *c->impl;
  size_t searched = s.pending_offset();
  try {
    for (;;) {
      const std::string& bytes = s.pending();
      const size_t have = bytes.size() - s.pending_offset();
      if (!c->need.has_value()) {
        if (const size_t end = HeadEnd(bytes, searched); end != std::string::npos) {
          c->need = PlanLocked(*c, s.pending_offset(), end);
        } else if (have >= options.max_header_bytes) {
          DispatchLocked(c);  // an over-long head goes to Poco, which answers 400
          return;
        }
      }
      if (c->need.has_value() && have >= *c->need) {
        DispatchLocked(c);
        return;
      }
      searched = bytes.size() >= 3 ? bytes.size() - 3 : 0;
      const int n = s.ReadAvailable();
      if (n == 0) {
        CloseReadingLocked(c, nullptr);  // the client went away
        return;
      }
      if (n < 0 && s.TlsPending() <= 0) return;  // wait for epoll
    }
  } catch (const std::exception&) {
    CloseReadingLocked(c, nullptr);  // reset, failed TLS handshake, ...
  }
}

// How many bytes to have before the hand-off. A body with a Content-Length up to
// max_prebuffered_body is awaited here too, within the buffer budget, so that a client that
// trickles its body holds no worker either. Chunked bodies, `Expect: 100-continue`, larger
// bodies (the handler answers 413 before reading them) and heads Poco cannot parse (it
// answers 400) go at the end of the head.
size_t RequestFront::Impl::PlanLocked(Connection& c, size_t head_begin, size_t head_end) {
  const size_t head = head_end - head_begin;
  Poco::Net::HTTPRequest request;
  try {
    std::istringstream in(c.impl->pending().substr(head_begin, head));
    request.read(in);
  } catch (const std::exception&) {
    return head;
  }
  if (!request.hasContentLength() || request.getChunkedTransferEncoding() ||
      request.getExpectContinue()) {
    return head;
  }
  const Poco::Int64 length = request.getContentLength64();
  if (length <= 0 || static_cast<uint64_t>(length) > options.max_prebuffered_body ||
      buffered + static_cast<size_t>(length) > options.max_buffered_bytes) {
    return head;
  }
  c.reserved = static_cast<size_t>(length);
  buffered += c.reserved;
  return head + c.reserved;
}

// Leaves the reading state: out of epoll, the lists and the buffer budget.
void RequestFront::Impl::LeaveReadingLocked(Connection& c) {
  try {
    poll_set.remove(c.impl->raw());
  } catch (const std::exception&) {
  }
  by_socket.erase(c.impl->raw().impl());
  reading.erase(c.reading_at);
  buffered -= c.reserved;
  c.reserved = 0;
  c.need.reset();
}

void RequestFront::Impl::DispatchLocked(const std::shared_ptr<Connection>& c) {
  LeaveReadingLocked(*c);
  if (queue.size() < static_cast<size_t>(options.max_queued) && !stopping) {
    queue.push_back(c);
    work_ready.notify_one();
    return;
  }
  // Full: answer here. The socket buffer of a new connection takes these bytes at once.
  Closed("queue_full");
  try {
    Poco::Net::HTTPResponse response(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    const std::string body =
        R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient",)"
        R"("diagnostics":"the notification endpoint is busy; retry later"}]})";
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.set("Retry-After", std::to_string(options.retry_after_seconds));
    response.setContentType("application/fhir+json");
    response.setContentLength(static_cast<std::streamsize>(body.size()));
    response.setKeepAlive(false);
    std::ostringstream out;
    response.write(out);
    out << body;
    const std::string text = out.str();
    c->impl->sendBytes(text.data(), static_cast<int>(text.size()), 0);
    c->impl->shutdownSend();
  } catch (const std::exception&) {
  }
  try {
    c->socket.close();
  } catch (const std::exception&) {
  }
}

void RequestFront::Impl::CloseReadingLocked(const std::shared_ptr<Connection>& c,
                                            const char* reason) {
  LeaveReadingLocked(*c);
  try {
    c->socket.close();
  } catch (const std::exception&) {
  }
  if (reason != nullptr) Closed(reason);
}

bool RequestFront::Impl::EvictOldestLocked() {
  if (reading.empty()) return false;
  const std::shared_ptr<Connection> oldest = reading.front();
  CloseReadingLocked(oldest, "evicted");
  return true;
}

void RequestFront::Impl::SweepLocked(SteadyClock::time_point now) {
  while (!reading.empty() && reading.front()->deadline <= now) {
    const std::shared_ptr<Connection> expired = reading.front();
    CloseReadingLocked(expired, "header_timeout");
  }
  for (const std::shared_ptr<Connection>& c : serving) {
    if (!c->impl->ReceiveOverdue(now, kOverdueGrace)) continue;
    try {
      c->impl->raw().shutdown();  // wakes the worker; the worker closes
    } catch (const std::exception&) {
    }
  }
}

void RequestFront::Impl::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Connection> c;
    {
      std::unique_lock<std::mutex> lock(mutex);
      work_ready.wait(lock, [this] { return workers_stop || !queue.empty(); });
      if (queue.empty()) return;
      c = queue.front();
      queue.pop_front();
      serving.insert(c);
      PublishLocked();
    }
    bool keep_alive = false;
    try {
      keep_alive = Serve(*c);
    } catch (...) {
      keep_alive = false;  // Serve catches what Poco throws; nothing leaves this thread
    }
    std::lock_guard<std::mutex> lock(mutex);
    serving.erase(c);
    if (keep_alive && !stopping) {
      try {
        c->impl->setBlocking(false);
        AddReadingLocked(c);
      } catch (const std::exception&) {
        keep_alive = false;
      }
    } else {
      keep_alive = false;
    }
    if (!keep_alive) {
      try {
        c->socket.close();
      } catch (const std::exception&) {
      }
    }
    PublishLocked();
  }
}

// One request, parsed by Poco exactly as HTTPServerConnection::run does. True when the
// connection stays open for another request.
bool RequestFront::Impl::Serve(Connection& c) {
  using Poco::Net::HTTPResponse;
  c.impl->setBlocking(true);
  c.impl->setSendTimeout(AtLeastOneMs(options.header_timeout));
  c.impl->SetReceiveDeadline(SteadyClock::now() + options.header_timeout);
  Poco::Net::HTTPServerSession session(c.socket, params);
  bool keep_alive = false;
  bool bad_request = false;
  try {
    Poco::Net::HTTPServerResponseImpl response(session);
    try {
      Poco::Net::HTTPServerRequestImpl request(response, session, params);
      response.setDate(Poco::Timestamp());
      response.setVersion(request.getVersion());
      response.setKeepAlive(params->getKeepAlive() && request.getKeepAlive());
      std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(
          factory->createRequestHandler(request));
      if (handler) {
        if (request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_OK) {
          response.sendContinue();
        }
        handler->handleRequest(request, response);
        keep_alive = response.sent() && response.getKeepAlive();
      }
    } catch (const Poco::Net::NoMessageException&) {
      keep_alive = false;  // closed before a request
    } catch (const Poco::Net::MessageException&) {
      bad_request = !response.sent();  // a head Poco could not parse
    }
  } catch (const std::exception&) {
    keep_alive = false;  // time-outs, resets, TLS errors: the connection is gone
  }
  if (bad_request) {
    try {  // a fresh response: the failed request object is gone (HTTPServerConnection does so)
      Poco::Net::HTTPServerResponseImpl response(session);
      response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
      response.setStatusAndReason(HTTPResponse::HTTP_BAD_REQUEST);
      response.setKeepAlive(false);
      response.setContentLength(0);
      response.send();
    } catch (const std::exception&) {
    }
  }
  c.impl->SetReceiveDeadline(std::nullopt);
  if (keep_alive) {
    Poco::Buffer<char> rest(0);
    session.drainBuffer(rest);
    c.impl->Unread(rest.begin(), rest.size());
  }
  session.detachSocket();  // the worker loop closes it (after leaving `serving`)
  return keep_alive;
}

RequestFront::RequestFront(RequestFrontOptions options, Poco::Net::Context::Ptr tls_context,
                           std::unique_ptr<Poco::Net::HTTPRequestHandlerFactory> factory,
                           Metrics* metrics)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->tls = std::move(tls_context);
  impl_->factory = std::move(factory);
  impl_->metrics = metrics;
  impl_->params = new Poco::Net::HTTPServerParams;
  impl_->params->setKeepAlive(true);
  impl_->params->setTimeout(AtLeastOneMs(options.header_timeout));
  impl_->params->setKeepAliveTimeout(AtLeastOneMs(options.header_timeout));
  impl_->params->setSoftwareVersion("");
  metrics->DescribeGauge(kConnections,
                         "Open connections of the notification endpoint, by state "
                         "(reading the request head, queued for a worker, being served).");
  metrics->DescribeCounter(kClosed,
                           "Notification endpoint connections closed without an answer "
                           "(header_timeout, evicted, refused, accept_failed) or answered 503 "
                           "(queue_full).");
}

RequestFront::~RequestFront() { Stop(); }

Status RequestFront::Start(Poco::Net::ServerSocket listening) {
  if (impl_->started) return FailedPreconditionError("request front already started");
  try {
    impl_->listening = std::move(listening);
    impl_->listening.setBlocking(false);
    impl_->poll_set.add(impl_->listening, Poco::Net::PollSet::POLL_READ);
    impl_->started = true;
    impl_->front = std::thread([this] { impl_->FrontLoop(); });
    const int workers = std::max(1, impl_->options.worker_threads);
    for (int i = 0; i < workers; ++i) {
      impl_->workers.emplace_back([this] { impl_->WorkerLoop(); });
    }
  } catch (const std::exception& e) {
    Stop();
    return UnavailableError(std::string("notification endpoint: cannot start: ") + e.what());
  }
  return Status::Ok();
}

void RequestFront::Stop() {
  if (!impl_->started) return;
  impl_->started = false;
  impl_->front_stop = true;
  if (impl_->front.joinable()) impl_->front.join();
  try {
    impl_->poll_set.remove(impl_->listening);
  } catch (const std::exception&) {
  }
  try {
    impl_->listening.close();
  } catch (const std::exception&) {
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
    while (!impl_->reading.empty()) {
      const std::shared_ptr<Connection> c = impl_->reading.front();
      impl_->CloseReadingLocked(c, nullptr);
    }
  }
  // Queued and in-service requests complete, within the drain time.
  const auto deadline = SteadyClock::now() + impl_->options.drain_timeout;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(impl_->mutex);
      if (impl_->queue.empty() && impl_->serving.empty()) break;
      if (SteadyClock::now() >= deadline) {
        for (const std::shared_ptr<Connection>& c : impl_->serving) {
          try {
            c->impl->raw().shutdown();
          } catch (const std::exception&) {
          }
        }
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->workers_stop = true;
    // Requests still queued after the drain time are dropped unanswered (the sender retries).
    for (const std::shared_ptr<Connection>& c : impl_->queue) {
      try {
        c->socket.close();
      } catch (const std::exception&) {
      }
    }
    impl_->queue.clear();
  }
  impl_->work_ready.notify_all();
  for (std::thread& t : impl_->workers) t.join();
  impl_->workers.clear();
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->PublishLocked();
}

}  // namespace bonewatch::adapter
