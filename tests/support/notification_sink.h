// NotificationSink: a tiny HTTP server on 127.0.0.1 (ephemeral port) that records every request
// it receives, for tests of rest-hook notification delivery.
//
// Every request is answered with `response_status()` (default 200) and an empty body, then
// recorded. Thread-safety: all public methods may be called from any thread; requests are
// recorded from Poco's server threads under a mutex.
#ifndef BONEWATCH_TESTS_SUPPORT_NOTIFICATION_SINK_H_
#define BONEWATCH_TESTS_SUPPORT_NOTIFICATION_SINK_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bonewatch::testing {

struct ReceivedRequest {
  std::string method;
  std::string path;                            // path and query, e.g. "/hook/Observation/123"
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class NotificationSink {
 public:
  // Starts listening at once on 127.0.0.1:<ephemeral>.
  NotificationSink();
  ~NotificationSink();
  NotificationSink(const NotificationSink&) = delete;
  NotificationSink& operator=(const NotificationSink&) = delete;

  int port() const;
  // http://127.0.0.1:<port><path>, e.g. url("/hook").
  std::string url(const std::string& path = "") const;

  // Status for later requests (e.g. 500 to test retries).
  void set_response_status(int status);

  std::vector<ReceivedRequest> requests() const;
  size_t count() const;
  void Clear();
  // Waits until at least `n` requests were received or `timeout` passes; returns the requests
  // received so far.
  std::vector<ReceivedRequest> WaitFor(size_t n,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));

  struct Impl;  // public only so that the .cc's request handler can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bonewatch::testing

#endif  // BONEWATCH_TESTS_SUPPORT_NOTIFICATION_SINK_H_
