// AuthRegistry: auth providers by name, each built from a typed config by a factory.
//
// The daemon's configuration names a provider ("none", "bearer", "basic", "smart-backend",
// "client-credentials") and fills the matching fields of AuthConfig; Create() validates them and
// builds the provider.
// Register() rejects duplicate names, so a new provider cannot silently replace another.
//
// Errors name the config field ("auth.bearer_token is empty") and never echo a secret.
// Thread-safety: Register() is not thread-safe; concurrent Create() calls on an unchanging
// registry are. There is no global instance: build one with WithBuiltins() and pass it on.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/http.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

struct AuthConfig {
  std::string type = "none";               // a registered name
  std::string bearer_token;                // "bearer"; secret
  std::string basic_user;                  // "basic"
  std::string basic_password;              // "basic"; secret
  SmartBackendOptions smart;               // "smart-backend"
  ClientSecretOptions client_credentials;  // "client-credentials"
};

struct AuthDependencies {
  // Needed by "smart-backend" and "client-credentials"; must outlive the provider.
  HttpTransport* transport = nullptr;
  WallClock now;  // default: the system clock
};

class AuthRegistry {
 public:
  using Factory = std::function<StatusOr<std::unique_ptr<AuthProvider>>(const AuthConfig&,
                                                                        const AuthDependencies&)>;

  // A registry holding "none", "bearer", "basic", "smart-backend" and "client-credentials".
  static AuthRegistry WithBuiltins();

  // kAlreadyExists when `name` is taken; kInvalidArgument for an empty name or factory.
  Status Register(std::string name, Factory factory);

  // kInvalidArgument for an unknown type (the message lists the known ones) or a bad config.
  StatusOr<std::unique_ptr<AuthProvider>> Create(const AuthConfig& config,
                                                 const AuthDependencies& dependencies) const;

  std::vector<std::string> names() const;

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace bonewatch::fhir
