#include "bonewatch/fhir/auth_registry.h"

#include <utility>

namespace bonewatch::fhir {
namespace {

StatusOr<std::unique_ptr<AuthProvider>> MakeNone(const AuthConfig&, const AuthDependencies&) {
  return NewNoAuth();
}

StatusOr<std::unique_ptr<AuthProvider>> MakeBearer(const AuthConfig& config,
                                                   const AuthDependencies&) {
  if (config.bearer_token.empty()) return InvalidArgumentError("auth.bearer_token is empty");
  return NewBearerAuth(config.bearer_token);
}

StatusOr<std::unique_ptr<AuthProvider>> MakeBasic(const AuthConfig& config,
                                                  const AuthDependencies&) {
  if (config.basic_user.empty()) return InvalidArgumentError("auth.basic_user is empty");
  if (config.basic_user.find(':') != std::string::npos) {
    return InvalidArgumentError("auth.basic_user must not contain ':'");
  }
  return NewBasicAuth(config.basic_user, config.basic_password);
}

StatusOr<std::unique_ptr<AuthProvider>> MakeSmart(const AuthConfig& config,
                                                  const AuthDependencies& dependencies) {
  if (dependencies.transport == nullptr) {
    return InvalidArgumentError("smart-backend auth needs an HTTP transport");
  }
  return NewSmartBackendAuth(config.smart, *dependencies.transport, dependencies.now);
}

StatusOr<std::unique_ptr<AuthProvider>> MakeClientCredentials(
    const AuthConfig& config, const AuthDependencies& dependencies) {
  if (dependencies.transport == nullptr) {
    return InvalidArgumentError("client-credentials auth needs an HTTP transport");
  }
  return NewClientSecretAuth(config.client_credentials, *dependencies.transport, dependencies.now);
}

}  // namespace

AuthRegistry AuthRegistry::WithBuiltins() {
  AuthRegistry registry;
  registry.factories_ = {
      {"none", &MakeNone},
      {"bearer", &MakeBearer},
      {"basic", &MakeBasic},
      {"smart-backend", &MakeSmart},
      {"client-credentials", &MakeClientCredentials},
  };
  return registry;
}

Status AuthRegistry::Register(std::string name, Factory factory) {
  if (name.empty() || !factory) {
    return InvalidArgumentError("an auth provider needs a name and a factory");
  }
  if (factories_.count(name) > 0) {
    return AlreadyExistsError("auth provider '" + name + "' is already registered");
  }
  factories_.emplace(std::move(name), std::move(factory));
  return Status::Ok();
}

StatusOr<std::unique_ptr<AuthProvider>> AuthRegistry::Create(
    const AuthConfig& config, const AuthDependencies& dependencies) const {
  auto it = factories_.find(config.type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [name, factory] : factories_) known += (known.empty() ? "" : ", ") + name;
    return InvalidArgumentError("auth.type '" + config.type + "' is not one of: " + known);
  }
  return it->second(config, dependencies);
}

std::vector<std::string> AuthRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, factory] : factories_) out.push_back(name);
  return out;
}

}  // namespace bonewatch::fhir
