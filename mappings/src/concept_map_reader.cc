// Reads one ConceptMap into the tables (see mapping_set.h and docs/mappings.md).
#include <string>
#include <vector>

#include "loader.h"

namespace bonewatch::mappings::internal {
namespace {

using fhir::Json;

// The target code of a DXA panel (observation-concepts), which is not a rules::Concept.
constexpr std::string_view kDxaPanel = "dxa-panel";

struct Property {
  std::string name;  // last path segment of the property URI: "site", "ingredient", ...
  std::string system;
  std::string value;
};

struct Target {
  std::string code;
  std::vector<Property> product;
  std::vector<Property> depends_on;
};

class ConceptMapReader {
 public:
  ConceptMapReader(Loader& loader, const std::string& file) : loader_(loader), file_(file) {}

  size_t Read(const Json& root) {
    const Json* groups = root.Find("group");
    if (groups == nullptr || !groups->is_array() || groups->empty()) {
      loader_.Error(file_, "group", "a ConceptMap needs at least one group");
      return 0;
    }
    for (size_t gi = 0; gi < groups->size(); ++gi) ReadGroup((*groups)[gi], gi);
    return added_;
  }

 private:
  void ReadGroup(const Json& group, size_t gi) {
    const std::string where = "group[" + std::to_string(gi) + "]";
    const auto source = group.GetString("source");
    if (!source || source->empty()) {
      loader_.Error(file_, where + ".source", "missing: the code system of the source codes");
      return;
    }
    const std::string target_uri = group.GetString("target").value_or("");
    const std::string cs = loader_.OurCodeSystem(target_uri);
    if (cs != "concept" && cs != "medication-class" && cs != "risk-factor" && cs != "site" &&
        cs != "route") {
      loader_.Error(file_, where + ".target",
                    "'" + target_uri + "' is not a BoneWatch code system (expected " +
                        loader_.tables().base +
                        "/CodeSystem/ followed by concept, medication-class, risk-factor, site "
                        "or route)");
      return;
    }
    const Json* elements = group.Find("element");
    if (elements == nullptr || !elements->is_array() || elements->empty()) {
      loader_.Error(file_, where + ".element", "a group needs at least one element");
      return;
    }
    for (size_t ei = 0; ei < elements->size(); ++ei) {
      ReadElement((*elements)[ei], *source, cs, where + ".element[" + std::to_string(ei) + "]");
    }
  }

  void ReadElement(const Json& element, const std::string& system, const std::string& cs,
                   std::string where) {
    const std::string code = element.GetString("code").value_or("");
    if (code.empty()) {
      loader_.Error(file_, where + ".code", "missing: the source code to map");
      return;
    }
    where += " (" + system + "|" + code + ")";
    bool is_prefix = false;
    std::string match_code = code;
    if (!ReadCodeMatch(element, code, where, is_prefix, match_code)) return;

    const Json* targets = element.Find("target");
    if (targets == nullptr || !targets->is_array() || targets->empty()) {
      loader_.Error(file_, where, "no target: each element maps to one target code");
      return;
    }
    std::vector<Target> parsed;
    for (size_t ti = 0; ti < targets->size(); ++ti) {
      Target t;
      if (!ReadTarget((*targets)[ti], where, t)) return;
      parsed.push_back(std::move(t));
    }
    const std::string origin = file_ + " " + where;
    if (cs == "concept") {
      AddConcept(system, match_code, is_prefix, parsed, where, origin);
    } else if (cs == "medication-class") {
      AddMedication(system, match_code, is_prefix, parsed, where, origin);
    } else if (cs == "risk-factor") {
      AddRiskFactor(system, match_code, is_prefix, parsed, where, origin);
    } else if (cs == "site") {
      if (!Single(parsed, where) || !NoProperties(parsed[0], where)) return;
      const auto site = rules::SiteFromCode(parsed[0].code);
      if (!site) {
        loader_.Error(file_, where, "unknown site '" + parsed[0].code + "'" + kSites);
        return;
      }
      Report(loader_.tables().body_site.Add(system, match_code, is_prefix,
                                            {*site, origin, parsed[0].code}),
             parsed[0].code, where);
    } else {  // route
      if (!Single(parsed, where) || !NoProperties(parsed[0], where)) return;
      if (parsed[0].code != "systemic") {
        loader_.Error(file_, where,
                      "unknown route class '" + parsed[0].code + "' (expected 'systemic')");
        return;
      }
      Report(loader_.tables().route.Add(system, match_code, is_prefix, {true, origin, "systemic"}),
             "systemic", where);
    }
  }

  // The code-match extension: "prefix" marks a code ending in '*'.
  bool ReadCodeMatch(const Json& element, const std::string& code, const std::string& where,
                     bool& is_prefix, std::string& match_code) {
    for (const Json& ext :
         element.Find("extension") ? element.Find("extension")->elements() : std::vector<Json>{}) {
      const std::string url = ext.GetString("url").value_or("");
      if (!loader_.IsOurUri(url, "/StructureDefinition/code-match")) continue;
      const std::string value = ext.GetString("valueCode").value_or("");
      if (value != "prefix") {
        loader_.Error(file_, where,
                      "code-match extension: valueCode must be 'prefix', got '" + value + "'");
        return false;
      }
      is_prefix = true;
    }
    const size_t star = code.find('*');
    if (is_prefix) {
      if (star != code.size() - 1 || code.size() < 2) {
        loader_.Error(file_, where,
                      "a prefix code must end in a single '*' after at least one character "
                      "(for example M80.*)");
        return false;
      }
      match_code = code.substr(0, code.size() - 1);
    } else if (star != std::string::npos) {
      loader_.Error(file_, where,
                    "the code contains '*' but the element has no code-match extension; add "
                    "{\"url\": \"" +
                        loader_.tables().base +
                        "/StructureDefinition/code-match\", \"valueCode\": \"prefix\"} to make it "
                        "a prefix (see docs/mappings.md)");
      return false;
    }
    return true;
  }

  bool ReadTarget(const Json& json, const std::string& where, Target& t) {
    t.code = json.GetString("code").value_or("");
    const std::string equivalence = json.GetString("equivalence").value_or("equivalent");
    if (equivalence == "unmatched" || equivalence == "disjoint") {
      loader_.Error(
          file_, where,
          "equivalence '" + equivalence + "' is not supported: remove the element instead");
      return false;
    }
    if (t.code.empty()) {
      loader_.Error(file_, where, "target has no code");
      return false;
    }
    return ReadProperties(json, "product", where, t.product) &&
           ReadProperties(json, "dependsOn", where, t.depends_on);
  }

  bool ReadProperties(const Json& json, std::string_view key, const std::string& where,
                      std::vector<Property>& out) {
    const Json* list = json.Find(key);
    if (list == nullptr) return true;
    for (const Json& p : list->elements()) {
      const std::string uri = p.GetString("property").value_or("");
      std::string name;
      for (const char* known : {"site", "default-site", "ingredient", "answer"}) {
        if (loader_.IsOurUri(uri, std::string("/concept-property/") + known)) name = known;
      }
      if (name.empty()) {
        loader_.Error(file_, where,
                      "unknown " + std::string(key) + " property '" + uri + "' (expected " +
                          loader_.tables().base +
                          "/concept-property/ followed by site, default-site, ingredient or "
                          "answer)");
        return false;
      }
      out.push_back(
          Property{name, p.GetString("system").value_or(""), p.GetString("value").value_or("")});
    }
    return true;
  }

  void AddConcept(const std::string& system, const std::string& code, bool is_prefix,
                  const std::vector<Target>& targets, const std::string& where,
                  const std::string& origin) {
    if (!Single(targets, where)) return;
    const Target& t = targets[0];
    if (t.code == kDxaPanel) {
      // Not a concept: an Observation code whose values are in its components. Kept in the
      // Observation table, so that a code is a concept, a smoking status or a panel, never two.
      if (!NoProperties(t, where)) return;
      ObservationCode entry;
      entry.dxa_panel = true;
      Report(loader_.tables().observation.Add(system, code, is_prefix,
                                              {std::move(entry), origin, std::string(kDxaPanel)}),
             std::string(kDxaPanel), where);
      return;
    }
    const auto kind = rules::ConceptFromCode(t.code);
    if (!kind) {
      loader_.Error(file_, where,
                    "unknown target concept '" + t.code +
                        "' (expected one of dxa-t-score, dxa-z-score, dxa-bmd, ctx, ntx, p1np, "
                        "balp, vitamin-d-25oh, bmi, dxa-procedure, dxa-panel)");
      return;
    }
    if (!t.depends_on.empty()) {
      loader_.Error(file_, where, "dependsOn is not used for concepts");
      return;
    }
    if (*kind == rules::Concept::kDxaProcedure) {
      if (!NoProperties(t, where)) return;
      Report(loader_.tables().dxa_procedure.Add(system, code, is_prefix,
                                                {true, origin, "dxa-procedure"}),
             t.code, where);
      return;
    }
    ObservationMapping m{*kind, rules::Site::kNone, false};
    for (const Property& p : t.product) {
      if (p.name != "site" && p.name != "default-site") {
        loader_.Error(file_, where, "product property '" + p.name + "' does not apply to concepts");
        return;
      }
      const auto site = rules::SiteFromCode(p.value);
      if (!site) {
        loader_.Error(file_, where, "unknown site '" + p.value + "'" + kSites);
        return;
      }
      m.site = *site;
      m.site_refinable = p.name == "default-site";
    }
    const bool dxa = rules::IsDxaConcept(*kind);
    if (!dxa && m.site != rules::Site::kNone) {
      loader_.Error(file_, where, "a site only applies to DXA concepts, not '" + t.code + "'");
      return;
    }
    if (dxa && m.site == rules::Site::kNone) {
      m.site = rules::Site::kUnspecified;  // a DXA code without a site: bodySite may say
      m.site_refinable = true;
    }
    std::string signature = t.code;
    if (m.site != rules::Site::kNone) {
      signature += std::string(m.site_refinable ? " default-site " : " site ") +
                   std::string(rules::SiteCode(m.site));
    }
    ObservationCode entry;
    entry.mapping = m;
    Report(loader_.tables().observation.Add(system, code, is_prefix,
                                            {std::move(entry), origin, signature}),
           signature, where);
  }

  void AddMedication(const std::string& system, const std::string& code, bool is_prefix,
                     const std::vector<Target>& targets, const std::string& where,
                     const std::string& origin) {
    if (!Single(targets, where)) return;
    const Target& t = targets[0];
    const auto cls = rules::MedicationClassFromCode(t.code);
    if (!cls) {
      loader_.Error(file_, where,
                    "unknown medication class '" + t.code +
                        "' (expected one of aromatase-inhibitor, ovarian-suppression, "
                        "bisphosphonate, denosumab, glucocorticoid)");
      return;
    }
    std::string ingredient;
    for (const Property& p : t.product) {
      if (p.name != "ingredient") {
        loader_.Error(file_, where,
                      "product property '" + p.name + "' does not apply to medications");
        return;
      }
      ingredient = p.value;
    }
    if (ingredient.empty() || !t.depends_on.empty()) {
      loader_.Error(file_, where,
                    "a medication target needs one product property 'ingredient' (for example "
                    "anastrozole) and no dependsOn");
      return;
    }
    const std::string signature = t.code + " (ingredient " + ingredient + ")";
    Report(loader_.tables().medication.Add(
               system, code, is_prefix, {MedicationMapping{*cls, ingredient}, origin, signature}),
           signature, where);
  }

  void AddRiskFactor(const std::string& system, const std::string& code, bool is_prefix,
                     const std::vector<Target>& targets, const std::string& where,
                     const std::string& origin) {
    bool smoking = false;
    for (const Target& t : targets) {
      if (!t.depends_on.empty()) smoking = true;
    }
    std::optional<rules::RiskFactorKind> kind;
    for (const Target& t : targets) {
      kind = rules::RiskFactorFromCode(t.code);
      if (!kind) {
        loader_.Error(file_, where,
                      "unknown risk factor '" + t.code +
                          "' (expected one of fragility-fracture, family-hip-fracture, smoker, "
                          "rheumatoid-arthritis, premenopausal)");
        return;
      }
      if (!t.product.empty()) {
        loader_.Error(file_, where, "risk-factor targets take no product properties");
        return;
      }
    }
    if (!smoking) {
      if (!Single(targets, where)) return;
      Report(loader_.tables().risk_factor.Add(system, code, is_prefix,
                                              {*kind, origin, targets[0].code}),
             targets[0].code, where);
      return;
    }
    AddSmokingStatus(system, code, is_prefix, targets, where, origin);
  }

  // An observation code whose current-smoker answers are the targets' dependsOn.
  void AddSmokingStatus(const std::string& system, const std::string& code, bool is_prefix,
                        const std::vector<Target>& targets, const std::string& where,
                        const std::string& origin) {
    if (is_prefix) {
      loader_.Error(file_, where, "a smoking-status code cannot be a prefix");
      return;
    }
    ObservationCode entry;
    entry.smoking = SmokingStatusMapping{rules::RiskFactorKind::kSmoker};
    for (const Target& t : targets) {
      if (t.code != "smoker" || t.depends_on.size() != 1 || t.depends_on[0].name != "answer" ||
          t.depends_on[0].system.empty() || t.depends_on[0].value.empty()) {
        loader_.Error(file_, where,
                      "a smoking-status target maps to 'smoker' with exactly one dependsOn "
                      "{property: answer, system, value}: the current-smoker answer code");
        return;
      }
      const std::string answer = CodeKey(t.depends_on[0].system, t.depends_on[0].value);
      if (!entry.current_smoker_answers.insert(answer).second) {
        loader_.Error(file_, where, "duplicate current-smoker answer " + answer);
        return;
      }
    }
    // A later file may add current-smoker answers to an existing smoking-status code.
    if (auto* existing = loader_.tables().observation.MutableExact(system, code)) {
      if (!existing->value.smoking) {
        loader_.Error(file_, where,
                      "conflicts with " + existing->origin + " (which maps it to " +
                          existing->signature + ")");
        return;
      }
      for (const std::string& answer : entry.current_smoker_answers) {
        if (!existing->value.current_smoker_answers.insert(answer).second) {
          loader_.Error(file_, where,
                        "duplicate current-smoker answer " + answer + " (already in " +
                            existing->origin + ")");
        }
      }
      ++added_;
      return;
    }
    Report(loader_.tables().observation.Add(system, code, false,
                                            {std::move(entry), origin, "smoking status"}),
           "smoking status", where);
  }

  bool Single(const std::vector<Target>& targets, const std::string& where) {
    if (targets.size() == 1) return true;
    loader_.Error(
        file_, where,
        "has " + std::to_string(targets.size()) + " targets; a code maps to exactly one target");
    return false;
  }

  bool NoProperties(const Target& t, const std::string& where) {
    if (t.product.empty() && t.depends_on.empty()) return true;
    loader_.Error(file_, where, "this target takes no product or dependsOn properties");
    return false;
  }

  template <typename Entry>
  void Report(const Entry* existing, const std::string& signature, const std::string& where) {
    if (existing == nullptr) {
      ++added_;
      return;
    }
    if (existing->signature == signature) {
      loader_.Error(file_, where, "duplicate source code: already mapped by " + existing->origin);
    } else {
      loader_.Error(file_, where,
                    "conflicting source code: mapped here to " + signature + " but " +
                        existing->origin + " maps it to " + existing->signature);
    }
  }

  static constexpr const char* kSites =
      " (expected one of lumbar-spine, total-hip, femoral-neck, forearm, unspecified)";

  Loader& loader_;
  const std::string& file_;
  size_t added_ = 0;
};

}  // namespace

size_t ReadConceptMap(Loader& loader, const std::string& file, const fhir::Json& root) {
  return ConceptMapReader(loader, file).Read(root);
}

}  // namespace bonewatch::mappings::internal
