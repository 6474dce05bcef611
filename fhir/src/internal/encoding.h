// Small encoders shared by the client and the auth providers (internal to bonewatch_fhir).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bonewatch::fhir::internal {

// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
// `keep` lists extra characters left as they are.
std::string PercentEncode(std::string_view text, std::string_view keep = {});

// "a=1&b=x%20y": application/x-www-form-urlencoded / query string.
std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& params);

// Standard base64 with padding (RFC 4648 section 4).
std::string Base64(std::string_view bytes);
// base64url without padding (RFC 4648 section 5), as JWS uses.
std::string Base64Url(std::string_view bytes);

}  // namespace bonewatch::fhir::internal
