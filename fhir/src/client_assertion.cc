// Signing of SMART Backend Services client assertions (RS384 via Poco::JWT, ES384 by hand).
//
// Poco::JWT's ECDSA signer pads r and s to 32 bytes whatever the curve, so for P-384 a signature
// whose r or s has a leading zero byte comes out 95 bytes long and is rejected by verifiers.
// ES384 is therefore signed here with Poco::Crypto directly and padded to 48 bytes each.
#include <Poco/Crypto/ECDSADigestEngine.h>
#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Exception.h>
#include <Poco/JWT/Serializer.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <chrono>
#include <sstream>
#include <vector>

#include "bonewatch/fhir/auth.h"
#include "internal/encoding.h"

namespace bonewatch::fhir {
namespace {

constexpr std::size_t kP384ComponentBytes = 48;

void AppendPadded(const std::vector<unsigned char>& component, std::size_t width,
                  std::string& out) {
  if (component.size() < width) out.append(width - component.size(), '\0');
  out.append(component.begin(), component.end());
}

Poco::JWT::Token AssertionToken(const ClientAssertionClaims& claims, std::string_view key_id) {
  Poco::JWT::Token token;
  token.setType("JWT");
  if (!key_id.empty()) token.header().set("kid", std::string(key_id));
  Poco::JSON::Object& payload = token.payload();
  payload.set("iss", claims.client_id);
  payload.set("sub", claims.client_id);
  payload.set("aud", claims.audience);
  payload.set("jti", claims.jwt_id);
  // Integer NumericDate; Poco's setExpiration() would write a fraction.
  payload.set("exp", static_cast<Poco::Int64>(std::chrono::duration_cast<std::chrono::seconds>(
                                                  claims.expires_at.time_since_epoch())
                                                  .count()));
  return token;
}

std::string SignRs384(Poco::JWT::Token& token, const std::string& pem) {
  std::istringstream private_key(pem);
  Poco::SharedPtr<Poco::Crypto::RSAKey> key(new Poco::Crypto::RSAKey(nullptr, &private_key));
  Poco::JWT::Signer signer(key);
  return signer.sign(token, Poco::JWT::Signer::ALGO_RS384);
}

StatusOr<std::string> SignEs384(Poco::JWT::Token& token, const std::string& pem) {
  std::istringstream private_key(pem);
  Poco::Crypto::ECKey key(nullptr, &private_key);
  const std::string curve = key.impl()->groupName();
  if (curve != "secp384r1") {
    return InvalidArgumentError("ES384 needs a P-384 (secp384r1) key, got " + curve);
  }
  token.setAlgorithm("ES384");
  std::string signing_input = Poco::JWT::Serializer::serialize(token.header()) + "." +
                              Poco::JWT::Serializer::serialize(token.payload());
  Poco::Crypto::ECDSADigestEngine engine(key, "SHA384");
  engine.update(signing_input);
  Poco::Crypto::ECDSASignature der(engine.signature());
  std::string raw;
  AppendPadded(der.rawR(), kP384ComponentBytes, raw);
  AppendPadded(der.rawS(), kP384ComponentBytes, raw);
  return signing_input + "." + internal::Base64Url(raw);
}

}  // namespace

StatusOr<std::string> SignClientAssertion(const ClientAssertionClaims& claims,
                                          const std::string& private_key_pem,
                                          std::string_view algorithm, std::string_view key_id) {
  if (algorithm != "RS384" && algorithm != "ES384") {
    return InvalidArgumentError("client assertion algorithm must be RS384 or ES384, got '" +
                                std::string(algorithm) + "'");
  }
  Poco::JWT::Token token = AssertionToken(claims, key_id);
  try {
    if (algorithm == "RS384") return SignRs384(token, private_key_pem);
    return SignEs384(token, private_key_pem);
  } catch (const Poco::Exception& e) {
    // The exception text comes from OpenSSL and names no key material.
    return InvalidArgumentError(
        "cannot sign " + std::string(algorithm) +
        " client assertion with the configured private key: " + e.displayText());
  } catch (const std::exception& e) {
    return InvalidArgumentError("cannot sign " + std::string(algorithm) +
                                " client assertion: " + e.what());
  }
}

}  // namespace bonewatch::fhir
