#include "bonewatch/fhir/retry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <string>
#include <vector>

namespace bonewatch::fhir {
namespace {

using std::chrono::milliseconds;

// Answers from a script, one per Send(), and records what was sent.
class ScriptedTransport : public HttpTransport {
 public:
  struct Step {
    StatusOr<HttpResponse> result;
    SendFailure failure = SendFailure::kMaybeSent;
  };

  void Answer(int status, HttpHeaders headers = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    steps_.push_back({r, SendFailure::kMaybeSent});
  }
  void Fail(Status error, SendFailure failure) { steps_.push_back({std::move(error), failure}); }

  StatusOr<HttpResponse> Send(const HttpRequest& request, SendFailure* failure) override {
    sent_.push_back(request);
    if (steps_.empty()) return InternalError("script exhausted");
    Step step = std::move(steps_.front());
    steps_.pop_front();
    if (failure != nullptr) *failure = step.failure;
    return step.result;
  }

  int calls() const { return static_cast<int>(sent_.size()); }

 private:
  std::deque<Step> steps_;
  std::vector<HttpRequest> sent_;
};

HttpHeaders RetryAfter(std::string value) {
  HttpHeaders h;
  h.Set("Retry-After", value);
  return h;
}

HttpRequest Get() { return {"GET", "http://fhir.test/fhir/Patient/1", {}, ""}; }
HttpRequest PostCreate() { return {"POST", "http://fhir.test/fhir/Patient", {}, "{}"}; }

class RetryTest : public ::testing::Test {
 protected:
  RetryPolicy Policy(RetryOptions options = {}) {
    RetryEnvironment env;
    env.sleep = [this](milliseconds d) { sleeps_.push_back(d); };
    env.now = [this] { return now_; };
    env.uniform01 = [this] { return random_; };
    return RetryPolicy(options, env);
  }

  std::vector<milliseconds> sleeps_;
  std::chrono::system_clock::time_point now_ =
      std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  double random_ = 0.5;
  ScriptedTransport transport_;
};

TEST_F(RetryTest, BackoffDoublesFromBaseAndIsCapped) {
  random_ = 0.999999;
  RetryPolicy policy = Policy(
      {.max_attempts = 10, .base_delay = milliseconds(200), .max_delay = milliseconds(1000)});
  EXPECT_EQ(policy.BackoffDelay(1), milliseconds(199));
  EXPECT_EQ(policy.BackoffDelay(2), milliseconds(399));
  EXPECT_EQ(policy.BackoffDelay(3), milliseconds(799));
  EXPECT_EQ(policy.BackoffDelay(4), milliseconds(999));
  EXPECT_EQ(policy.BackoffDelay(60), milliseconds(999));  // no overflow for large n
}

TEST_F(RetryTest, FullJitterScalesTheCeiling) {
  RetryPolicy policy = Policy();
  random_ = 0.0;
  EXPECT_EQ(policy.BackoffDelay(3), milliseconds(0));
  random_ = 0.25;
  EXPECT_EQ(policy.BackoffDelay(3), milliseconds(200));  // 0.25 * 800
}

TEST_F(RetryTest, RetriesServerErrorsUntilSuccess) {
  transport_.Answer(503);
  transport_.Answer(502);
  transport_.Answer(200);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  ASSERT_TRUE(out.result.ok());
  EXPECT_EQ(out.result->status, 200);
  EXPECT_EQ(out.attempts, 3);
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(100), milliseconds(200)}));
}

TEST_F(RetryTest, StopsAfterMaxAttemptsAndReturnsLastAnswer) {
  for (int i = 0; i < 5; ++i) transport_.Answer(500);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  ASSERT_TRUE(out.result.ok());
  EXPECT_EQ(out.result->status, 500);
  EXPECT_EQ(out.attempts, 4);
  EXPECT_EQ(transport_.calls(), 4);
  EXPECT_EQ(sleeps_.size(), 3u);
}

TEST_F(RetryTest, EveryRetryableStatusIsRetriedAndOthersAreNot) {
  for (int status : {408, 429, 500, 502, 503, 504}) {
    EXPECT_TRUE(IsRetryableStatus(status)) << status;
  }
  for (int status : {200, 201, 400, 401, 403, 404, 409, 410, 412, 422, 501}) {
    EXPECT_FALSE(IsRetryableStatus(status)) << status;
  }
  transport_.Answer(404);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  EXPECT_EQ(out.attempts, 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RetryTest, HonoursRetryAfterSeconds) {
  transport_.Answer(429, RetryAfter("3"));
  transport_.Answer(200);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(3000)}));
}

TEST_F(RetryTest, HonoursRetryAfterHttpDate) {
  transport_.Answer(503, RetryAfter("Wed, 21 Oct 2015 07:28:07 GMT"));
  transport_.Answer(200);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(7000)}));
}

TEST_F(RetryTest, RetryAfterBeyondTheCapEndsRetries) {
  transport_.Answer(503, RetryAfter("3600"));
  RetryPolicy::Outcome out =
      Policy({.max_retry_after = milliseconds(30000)}).Execute(transport_, Get());
  ASSERT_TRUE(out.result.ok());
  EXPECT_EQ(out.result->status, 503);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(RetryTest, UnparseableRetryAfterFallsBackToBackoff) {
  transport_.Answer(503, RetryAfter("soon"));
  transport_.Answer(200);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(100)}));
}

TEST_F(RetryTest, ParseRetryAfterForms) {
  EXPECT_EQ(ParseRetryAfter("0", now_), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter(" 120 ", now_), milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now_), milliseconds(0));  // past
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:29:00 GMT", now_), milliseconds(60000));
  EXPECT_EQ(ParseRetryAfter("99999999999999999999999", now_), milliseconds::max());
  EXPECT_EQ(ParseRetryAfter("-1", now_), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", now_), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("tomorrow", now_), std::nullopt);
}

TEST_F(RetryTest, RetriesNetworkErrorsForIdempotentRequests) {
  transport_.Fail(UnavailableError("GET x: empty reply (curl 52)"), SendFailure::kMaybeSent);
  transport_.Answer(200);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  ASSERT_TRUE(out.result.ok());
  EXPECT_EQ(out.attempts, 2);
}

TEST_F(RetryTest, DoesNotRetryTimeouts) {
  transport_.Fail(DeadlineExceededError("GET x: timeout (curl 28)"), SendFailure::kMaybeSent);
  RetryPolicy::Outcome out = Policy().Execute(transport_, Get());
  EXPECT_EQ(out.result.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(out.attempts, 1);
}

TEST_F(RetryTest, NonIdempotentPostIsNotResentAfterItMayHaveArrived) {
  transport_.Fail(UnavailableError("POST x: empty reply (curl 52)"), SendFailure::kMaybeSent);
  transport_.Answer(201);
  RetryPolicy::Outcome out = Policy().Execute(transport_, PostCreate());
  EXPECT_EQ(out.result.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(out.attempts, 1);
}

TEST_F(RetryTest, NonIdempotentPostIsNotResentAfterAnHttpAnswer) {
  transport_.Answer(503);
  transport_.Answer(201);
  RetryPolicy::Outcome out = Policy().Execute(transport_, PostCreate());
  ASSERT_TRUE(out.result.ok());
  EXPECT_EQ(out.result->status, 503);
  EXPECT_EQ(out.attempts, 1);
}

TEST_F(RetryTest, NonIdempotentPostIsResentWhenItNeverLeft) {
  transport_.Fail(UnavailableError("POST x: connection refused (curl 7)"), SendFailure::kNotSent);
  transport_.Answer(201);
  RetryPolicy::Outcome out = Policy().Execute(transport_, PostCreate());
  ASSERT_TRUE(out.result.ok());
  EXPECT_EQ(out.result->status, 201);
  EXPECT_EQ(out.attempts, 2);
}

TEST_F(RetryTest, ConditionalCreateIsRetried) {
  HttpRequest create = PostCreate();
  create.headers.Set("If-None-Exist", "identifier=sys|1");
  transport_.Answer(503);
  transport_.Answer(201);
  RetryPolicy::Outcome out = Policy().Execute(transport_, create);
  EXPECT_EQ(out.attempts, 2);
}

TEST_F(RetryTest, MaxAttemptsOneDisablesRetries) {
  transport_.Answer(503);
  RetryPolicy::Outcome out = Policy({.max_attempts = 1}).Execute(transport_, Get());
  EXPECT_EQ(out.attempts, 1);
  EXPECT_TRUE(sleeps_.empty());
}

}  // namespace
}  // namespace bonewatch::fhir
