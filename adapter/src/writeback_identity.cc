#include "writeback_identity.h"

#include <Poco/SHA1Engine.h>
#include <Poco/UUID.h>
#include <Poco/UUIDGenerator.h>

#include "bonewatch/rules/evaluation.h"

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

std::string DeterministicUrnUuid(const WritebackOptions& options, std::string_view name) {
  // The namespace is itself a v5 UUID of the base in the RFC 4122 URL namespace,
  // so two deployments with different bases never share fullUrls.
  Poco::UUIDGenerator generator;  // name-based UUIDs use no generator state
  Poco::SHA1Engine sha1;
  const Poco::UUID base_namespace = generator.createFromName(Poco::UUID::uri(), options.base, sha1,
                                                             Poco::UUID::UUID_NAME_BASED_SHA1);
  const Poco::UUID uuid = generator.createFromName(base_namespace, std::string(name), sha1,
                                                   Poco::UUID::UUID_NAME_BASED_SHA1);
  return "urn:uuid:" + uuid.toString();
}

std::string IdentifierQuery(std::string_view system, std::string_view value) {
  std::string query = "identifier=";
  query += system;
  query += '|';
  query += value;
  return query;
}

}  // namespace bonewatch::adapter
