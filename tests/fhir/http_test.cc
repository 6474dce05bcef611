#include "bonewatch/fhir/http.h"

#include <gtest/gtest.h>

namespace bonewatch::fhir {
namespace {

TEST(HttpHeadersTest, LookupIgnoresCase) {
  HttpHeaders h;
  h.Set("Content-Type", "application/fhir+json");
  EXPECT_EQ(h.Get("content-type"), "application/fhir+json");
  EXPECT_EQ(h.Get("CONTENT-TYPE"), "application/fhir+json");
  EXPECT_TRUE(h.Has("content-TYPE"));
  EXPECT_EQ(h.Get("ETag"), std::nullopt);
  h.Set("CONTENT-type", "text/plain");
  EXPECT_EQ(h.all().size(), 1u);
  EXPECT_EQ(h.Get("Content-Type"), "text/plain");
  h.Remove("content-type");
  EXPECT_TRUE(h.empty());
}

TEST(HttpHeadersTest, AddCombinesRepeatedFields) {
  HttpHeaders h;
  h.Add("Vary", "Accept");
  h.Add("vary", "Origin");
  EXPECT_EQ(h.Get("VARY"), "Accept, Origin");
}

TEST(HttpTest, IdempotencyRule) {
  auto request = [](std::string method, std::string url) {
    return HttpRequest{std::move(method), std::move(url), {}, ""};
  };
  EXPECT_TRUE(IsIdempotent(request("GET", "http://h/fhir/Patient")));
  EXPECT_TRUE(IsIdempotent(request("PUT", "http://h/fhir/Patient/1")));
  EXPECT_TRUE(IsIdempotent(request("PUT", "http://h/fhir/Flag?identifier=s|v")));
  EXPECT_TRUE(IsIdempotent(request("DELETE", "http://h/fhir/Patient/1")));
  EXPECT_TRUE(IsIdempotent(request("HEAD", "http://h/fhir/Patient/1")));
  EXPECT_TRUE(IsIdempotent(request("POST", "http://h/fhir/Observation/_search?x=1")));
  EXPECT_FALSE(IsIdempotent(request("POST", "http://h/fhir/Patient")));
  EXPECT_FALSE(IsIdempotent(request("POST", "http://h/fhir")));  // transaction / batch
  EXPECT_FALSE(IsIdempotent(request("PATCH", "http://h/fhir/Patient/1")));
  HttpRequest conditional = request("POST", "http://h/fhir/Patient");
  conditional.headers.Set("if-none-exist", "identifier=a|b");
  EXPECT_TRUE(IsIdempotent(conditional));
}

TEST(HttpTest, DescribeRequestDropsUserinfo) {
  EXPECT_EQ(DescribeRequest("GET", "http://h:8080/fhir/Patient?x=1"),
            "GET http://h:8080/fhir/Patient?x=1");
  EXPECT_EQ(DescribeRequest("GET", "https://user:s3cret@h/fhir/Patient"),
            "GET https://h/fhir/Patient");
}

TEST(CurlTransportTest, RejectsMissingTlsFiles) {
  CurlTransportOptions options;
  options.tls.ca_bundle_path = "/nonexistent/ca.pem";
  auto transport = NewCurlTransport(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(transport.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

TEST(CurlTransportTest, ConnectionRefusedIsUnavailableAndNotSent) {
  auto transport = NewCurlTransport({});
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  // Port 1 on loopback: nothing listens there in the test environment.
  HttpRequest request{"GET", "http://127.0.0.1:1/fhir/Observation?code=x", {}, ""};
  SendFailure failure = SendFailure::kMaybeSent;
  auto response = (*transport)->Send(request, &failure);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(failure, SendFailure::kNotSent);
  EXPECT_EQ(response.status().message(),
            "GET http://127.0.0.1:1/fhir/Observation?code=x: connection refused (curl 7)");
}

TEST(CurlTransportTest, MalformedUrlIsInvalidArgument) {
  auto transport = NewCurlTransport({});
  ASSERT_TRUE(transport.ok());
  auto response = (*transport)->Send({"GET", "notascheme://x", {}, ""}, nullptr);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bonewatch::fhir
