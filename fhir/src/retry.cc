#include "bonewatch/fhir/retry.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

namespace bonewatch::fhir {
namespace {

using std::chrono::milliseconds;

RetryEnvironment WithDefaults(RetryEnvironment env) {
  if (!env.sleep) env.sleep = [](milliseconds d) { std::this_thread::sleep_for(d); };
  if (!env.now) env.now = [] { return std::chrono::system_clock::now(); };
  if (!env.uniform01) {
    env.uniform01 = [] {
      thread_local std::mt19937_64 rng{std::random_device{}()};
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
  return env;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<milliseconds> ParseRetryAfter(std::string_view value,
                                            std::chrono::system_clock::time_point now) {
  value = TrimSpaces(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return milliseconds::max();  // absurdly large: treat as "longer than we will wait"
    }
    if (seconds > 1'000'000'000LL) return milliseconds::max();
    return std::chrono::duration_cast<milliseconds>(std::chrono::seconds(seconds));
  }
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::istringstream in{std::string(value)};
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  std::time_t when = timegm(&tm);
  if (when == static_cast<std::time_t>(-1)) return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(when);
  if (at <= now) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(at - now);
}

bool IsRetryableStatus(int http_status) {
  switch (http_status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

RetryPolicy::RetryPolicy(RetryOptions options, RetryEnvironment environment)
    : options_(options), env_(WithDefaults(std::move(environment))) {
  options_.max_attempts = std::max(1, options_.max_attempts);
}

milliseconds RetryPolicy::BackoffDelay(int retry) const {
  // base * 2^(retry-1), computed without overflow, then capped.
  double ceiling = static_cast<double>(options_.base_delay.count());
  for (int i = 1; i < retry && ceiling < static_cast<double>(options_.max_delay.count()); ++i) {
    ceiling *= 2;
  }
  ceiling = std::min(ceiling, static_cast<double>(options_.max_delay.count()));
  double u = std::clamp(env_.uniform01(), 0.0, 1.0);
  return milliseconds(static_cast<long long>(u * ceiling));
}

std::optional<milliseconds> RetryPolicy::DelayAfter(const HttpResponse& response, int retry) const {
  if (std::optional<std::string> header = response.headers.Get("Retry-After")) {
    std::optional<milliseconds> wait = ParseRetryAfter(*header, env_.now());
    if (wait) {
      if (*wait > options_.max_retry_after) return std::nullopt;
      return *wait;
    }
  }
  return BackoffDelay(retry);
}

RetryPolicy::Outcome RetryPolicy::Execute(HttpTransport& transport,
                                          const HttpRequest& request) const {
  const bool idempotent = IsIdempotent(request);
  Outcome outcome;
  for (int attempt = 1;; ++attempt) {
    SendFailure failure = SendFailure::kMaybeSent;
    outcome.result = transport.Send(request, &failure);
    outcome.attempts = attempt;
    if (attempt >= options_.max_attempts) return outcome;

    std::optional<milliseconds> delay;
    if (outcome.result.ok()) {
      if (!idempotent || !IsRetryableStatus(outcome.result->status)) return outcome;
      delay = DelayAfter(*outcome.result, attempt);
      if (!delay) return outcome;
    } else {
      const Status error = outcome.result.status();
      if (error.code() != StatusCode::kUnavailable) return outcome;
      if (!idempotent && failure != SendFailure::kNotSent) return outcome;
      delay = BackoffDelay(attempt);
    }
    env_.sleep(*delay);
  }
}

}  // namespace bonewatch::fhir
