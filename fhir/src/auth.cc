// The static auth providers: none, bearer, basic.
#include "bonewatch/fhir/auth.h"

#include <utility>

#include "internal/encoding.h"

namespace bonewatch::fhir {
namespace {

class NoAuth final : public AuthProvider {
 public:
  std::string_view name() const override { return "none"; }
  Status Authorize(HttpRequest&) override { return Status::Ok(); }
  bool RefreshAfterUnauthorized() override { return false; }
};

// Sends a fixed Authorization header value.
class StaticHeaderAuth final : public AuthProvider {
 public:
  StaticHeaderAuth(std::string_view name, std::string header_value)
      : name_(name), header_value_(std::move(header_value)) {}
  std::string_view name() const override { return name_; }
  Status Authorize(HttpRequest& request) override {
    request.headers.Set("Authorization", header_value_);
    return Status::Ok();
  }
  bool RefreshAfterUnauthorized() override { return false; }

 private:
  const std::string_view name_;
  const std::string header_value_;  // secret
};

}  // namespace

std::unique_ptr<AuthProvider> NewNoAuth() { return std::make_unique<NoAuth>(); }

std::unique_ptr<AuthProvider> NewBearerAuth(const std::string& token) {
  return std::make_unique<StaticHeaderAuth>("bearer", "Bearer " + token);
}

std::unique_ptr<AuthProvider> NewBasicAuth(const std::string& user, const std::string& password) {
  return std::make_unique<StaticHeaderAuth>("basic",
                                            "Basic " + internal::Base64(user + ":" + password));
}

}  // namespace bonewatch::fhir
