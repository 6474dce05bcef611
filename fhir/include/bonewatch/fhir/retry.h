// Retry with exponential backoff and full jitter around an HttpTransport.
//
// Which failures are retried:
//   - network failures reported as kUnavailable by the transport;
//   - HTTP 408, 429, 500, 502, 503, 504.
// Timeouts (kDeadlineExceeded) are NOT retried: the transport's total timeout is the caller's
// budget for one call, and a hung server would otherwise cost max_attempts times that.
//
// The idempotency rule (see IsIdempotent() in http.h): a request that is not idempotent (a plain
// POST create, a transaction or batch POST, PATCH) is resent ONLY when the transport reports that
// it never reached the server (SendFailure::kNotSent: DNS failure, connection refused, TLS
// handshake failure). After a dropped connection, a timeout or ANY HTTP answer it is never resent,
// because the server may have applied it. GET, PUT, DELETE and conditional creates
// (If-None-Exist) are idempotent and are retried under the rules above.
//
// Delay before retry n (n = 1 for the first retry): uniform in [0, min(cap, base * 2^(n-1))]
// ("full jitter"). When the answer carries Retry-After (delta-seconds or HTTP-date), the delay is
// that value instead, limited to max_retry_after; a Retry-After beyond that limit ends the retries
// (the server asked for more patience than we have), and so does running out of attempts.
//
// RetryPolicy is immutable after construction; Execute() is as thread-safe as the transport and
// the injected functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "bonewatch/fhir/http.h"

namespace bonewatch::fhir {

struct RetryOptions {
  int max_attempts = 4;  // total tries including the first; 1 disables retries
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{std::chrono::seconds(10)};
  std::chrono::milliseconds max_retry_after{std::chrono::seconds(60)};
};

// Effects the policy needs from the world; defaults are the real thing. Tests inject fakes so
// that no test sleeps.
struct RetryEnvironment {
  std::function<void(std::chrono::milliseconds)> sleep;  // default: std::this_thread::sleep_for
  std::function<std::chrono::system_clock::time_point()> now;  // for HTTP-date; default: system
  std::function<double()> uniform01;  // a value in [0, 1); default: a seeded std::mt19937_64
};

// Parses a Retry-After value: delta-seconds ("120") or an IMF-fixdate HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT"), the latter relative to `now` (a past date gives 0).
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

bool IsRetryableStatus(int http_status);

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {}, RetryEnvironment environment = {});

  struct Outcome {
    // The last answer (whatever its status) or the last transport error.
    StatusOr<HttpResponse> result = InternalError("not attempted");
    int attempts = 0;
  };

  // Sends `request` through `transport`, retrying as described above.
  Outcome Execute(HttpTransport& transport, const HttpRequest& request) const;

  // The jittered delay before retry number `retry` (1-based) when no Retry-After applies.
  std::chrono::milliseconds BackoffDelay(int retry) const;

  const RetryOptions& options() const { return options_; }

 private:
  // The delay before the next try, or nullopt when the answer says not to retry.
  std::optional<std::chrono::milliseconds> DelayAfter(const HttpResponse& response,
                                                      int retry) const;

  RetryOptions options_;
  RetryEnvironment env_;
};

}  // namespace bonewatch::fhir
