#include "writeback_identity.h"

#include <algorithm>
#include <array>

#include "bonewatch/rules/evaluation.h"
#include "sha1.h"

namespace bonewatch::adapter {

fhir::Json WritebackMeta(const WritebackOptions& options) {
  return fhir::Json::Object().Set(
      "tag", fhir::Json::Array().Push(fhir::Json::Object()
                                          .Set("system", options.TagSystem())
                                          .Set("code", std::string(kBoneWatchTag))));
}

fhir::Json IdentifierJson(std::string_view system, std::string_view value) {
  return fhir::Json::Object().Set("system", system).Set("value", value);
}

fhir::Json ReferenceJson(std::string_view text) {
  return fhir::Json::Object().Set("reference", text);
}

std::string FlagIdentifierValue(std::string_view patient_id, std::string_view rule,
                                rules::Date episode_start) {
  std::string value(patient_id);
  value += '.';
  value += rule;
  value += '.';
  value += episode_start.ToString();
  return value;
}

std::string CarePlanIdentifierValue(std::string_view patient_id, rules::Date course_start) {
  return std::string(patient_id) + "." + course_start.ToString();
}

std::optional<ParsedFlagIdentifier> ParseFlagIdentifierValue(std::string_view value) {
  constexpr size_t kDateLength = 10;  // YYYY-MM-DD
  if (value.size() < kDateLength + 2 || value[value.size() - kDateLength - 1] != '.') {
    return std::nullopt;
  }
  const auto date = rules::Date::Parse(value.substr(value.size() - kDateLength));
  if (!date) return std::nullopt;
  const std::string_view head = value.substr(0, value.size() - kDateLength - 1);
  for (std::string_view rule : rules::kRuleCodes) {
    if (head.size() > rule.size() + 1 && head.ends_with(rule) &&
        head[head.size() - rule.size() - 1] == '.') {
      return ParsedFlagIdentifier{std::string(head.substr(0, head.size() - rule.size() - 1)),
                                  std::string(rule), *date};
    }
  }
  return std::nullopt;
}

std::optional<ParsedCarePlanIdentifier> ParseCarePlanIdentifierValue(std::string_view value) {
  constexpr size_t kDateLength = 10;
  if (value.size() < kDateLength + 2 || value[value.size() - kDateLength - 1] != '.') {
    return std::nullopt;
  }
  const auto date = rules::Date::Parse(value.substr(value.size() - kDateLength));
  if (!date) return std::nullopt;
  return ParsedCarePlanIdentifier{std::string(value.substr(0, value.size() - kDateLength - 1)),
                                  *date};
}

std::string PatientReference(std::string_view patient_id) {
  if (patient_id.starts_with("urn:")) return std::string(patient_id);
  return "Patient/" + std::string(patient_id);
}

std::string UnversionedReference(const rules::SourceRef& source) { return source.Reference(); }

std::string VersionedReference(const rules::SourceRef& source) {
  if (source.version.empty()) return source.Reference();
  return source.Reference() + "/_history/" + source.version;
}

namespace {

// RFC 4122 §4.3 name-based UUIDs, version 5 (SHA-1): the SHA-1 of the
// namespace's 16 bytes followed by the name. Costs no allocation (hot when
// `bonewatch evaluate` writes a large cohort).
using Uuid = std::array<unsigned char, 16>;

Sha1 StartName(const Uuid& name_space) {
  Sha1 sha1;
  sha1.Update(
      std::string_view(reinterpret_cast<const char*>(name_space.data()), name_space.size()));
  return sha1;
}

Uuid FinishName(Sha1& sha1) {
  const Sha1Digest digest = sha1.Finish();
  Uuid uuid;
  std::copy_n(digest.begin(), uuid.size(), uuid.begin());
  uuid[6] = static_cast<unsigned char>((uuid[6] & 0x0F) | 0x50);  // version 5
  uuid[8] = static_cast<unsigned char>((uuid[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return uuid;
}

// The RFC 4122 URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
constexpr Uuid kUrlNamespace = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

// The namespace of the fullUrls: itself a v5 UUID of the base in the RFC 4122
// URL namespace, so two deployments with different bases never share fullUrls.
const Uuid& BaseNamespace(const WritebackOptions& options) {
  // Every entry of a run shares the base: remember its namespace (per thread).
  thread_local std::string cached_base;
  thread_local std::optional<Uuid> cached_namespace;
  if (!cached_namespace || cached_base != options.base) {
    Sha1 sha1 = StartName(kUrlNamespace);
    sha1.Update(options.base);
    cached_namespace = FinishName(sha1);
    cached_base = options.base;
  }
  return *cached_namespace;
}

// "urn:uuid:" then 8-4-4-4-12 lower-case hex digits.
std::string UrnText(const Uuid& uuid) {
  static constexpr std::string_view kPrefix = "urn:uuid:";
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<char, kPrefix.size() + 36> text;
  std::copy(kPrefix.begin(), kPrefix.end(), text.begin());
  size_t out = kPrefix.size();
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[out++] = '-';
    text[out++] = kHex[uuid[i] >> 4];
    text[out++] = kHex[uuid[i] & 0x0F];
  }
  return std::string(text.data(), text.size());
}

}  // namespace

std::string DeterministicUrnUuid(const WritebackOptions& options, std::string_view name) {
  return DeterministicUrnUuid(options, std::initializer_list<std::string_view>{name});
}

std::string DeterministicUrnUuid(const WritebackOptions& options,
                                 std::initializer_list<std::string_view> name_pieces) {
  Sha1 sha1 = StartName(BaseNamespace(options));
  for (std::string_view piece : name_pieces) sha1.Update(piece);
  return UrnText(FinishName(sha1));
}

UrnUuidMaker::UrnUuidMaker(const WritebackOptions& options,
                           std::initializer_list<std::string_view> prefix)
    : hashed_prefix_(StartName(BaseNamespace(options))) {
  for (std::string_view piece : prefix) hashed_prefix_.Update(piece);
}

std::string UrnUuidMaker::Make(std::string_view rest) const {
  Sha1 sha1 = hashed_prefix_;
  sha1.Update(rest);
  return UrnText(FinishName(sha1));
}

std::string IdentifierQuery(std::string_view system, std::string_view value) {
  std::string query = "identifier=";
  query += system;
  query += '|';
  query += value;
  return query;
}

}  // namespace bonewatch::adapter
