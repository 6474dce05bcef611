#include "bonewatch/fhir/auth_registry.h"

#include <gtest/gtest.h>

namespace bonewatch::fhir {
namespace {

TEST(AuthRegistryTest, BuiltinsAreRegistered) {
  AuthRegistry registry = AuthRegistry::WithBuiltins();
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"basic", "bearer", "client-credentials",
                                                        "none", "smart-backend"}));
}

TEST(AuthRegistryTest, CreatesConfiguredProvider) {
  AuthRegistry registry = AuthRegistry::WithBuiltins();
  AuthConfig config;
  config.type = "basic";
  config.basic_user = "u";
  config.basic_password = "p";
  auto provider = registry.Create(config, {});
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  EXPECT_EQ((*provider)->name(), "basic");
  HttpRequest request;
  ASSERT_TRUE((*provider)->Authorize(request).ok());
  EXPECT_EQ(request.headers.Get("Authorization"), "Basic dTpw");
}

TEST(AuthRegistryTest, ConfigErrorsNameTheFieldAndHideSecrets) {
  AuthRegistry registry = AuthRegistry::WithBuiltins();
  AuthConfig config;
  config.type = "bearer";
  EXPECT_EQ(registry.Create(config, {}).status().message(), "auth.bearer_token is empty");
  config.type = "smart-backend";
  config.smart.client_id = "c";
  config.smart.private_key_pem = "-----BEGIN PRIVATE KEY-----\nsecretstuff\n";
  config.smart.fhir_base_url = "http://h/fhir";
  auto smart = registry.Create(config, {});
  EXPECT_EQ(smart.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(smart.status().message().find("secretstuff"), std::string::npos);
  config.type = "kerberos";
  auto unknown = registry.Create(config, {});
  EXPECT_EQ(unknown.status().message(),
            "auth.type 'kerberos' is not one of: basic, bearer, client-credentials, none, "
            "smart-backend");
}

TEST(AuthRegistryTest, RejectsDuplicateNames) {
  AuthRegistry registry = AuthRegistry::WithBuiltins();
  auto factory = [](const AuthConfig&,
                    const AuthDependencies&) -> StatusOr<std::unique_ptr<AuthProvider>> {
    return NewNoAuth();
  };
  EXPECT_EQ(registry.Register("bearer", factory).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(registry.Register("custom", factory).ok());
  AuthConfig config;
  config.type = "custom";
  EXPECT_TRUE(registry.Create(config, {}).ok());
}

}  // namespace
}  // namespace bonewatch::fhir
