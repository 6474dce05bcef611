// Reads one units table ("resourceType": "BoneWatchUnits"; docs/mappings.md).
#include <array>
#include <string>
#include <utility>

#include "loader.h"
#include "ucum.h"

namespace bonewatch::mappings::internal {
namespace {

using fhir::Json;

// The canonical units are fixed by the spec: the rules' thresholds are in them.
constexpr std::array<std::pair<rules::Concept, std::string_view>, 9> kSpecCanonical = {{
    {rules::Concept::kDxaTScore, "{T-score}"},
    {rules::Concept::kDxaZScore, "{Z-score}"},
    {rules::Concept::kDxaBmd, "g/cm2"},
    {rules::Concept::kCtx, "ng/L"},
    {rules::Concept::kNtx, "nmol{BCE}/mmol{creat}"},
    {rules::Concept::kP1np, "ug/L"},
    {rules::Concept::kBalp, "ug/L"},
    {rules::Concept::kVitaminD25oh, "ng/mL"},
    {rules::Concept::kBmi, "kg/m2"},
}};

std::string_view SpecCanonical(rules::Concept c) {
  for (const auto& [kind, unit] : kSpecCanonical) {
    if (kind == c) return unit;
  }
  return {};
}

std::string FormatFactor(double f) {
  std::string s = std::to_string(f);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

class UnitsReader {
 public:
  UnitsReader(Loader& loader, const std::string& file) : loader_(loader), file_(file) {}

  size_t Read(const Json& root) {
    const Json* concepts = root.Find("concept");
    if (concepts == nullptr || !concepts->is_array() || concepts->empty()) {
      loader_.Error(file_, "concept", "a units table needs a non-empty 'concept' array");
      return 0;
    }
    for (size_t i = 0; i < concepts->size(); ++i) {
      ReadConcept((*concepts)[i], "concept[" + std::to_string(i) + "]");
    }
    return added_;
  }

 private:
  void ReadConcept(const Json& entry, std::string where) {
    const std::string code = entry.GetString("concept").value_or("");
    const auto kind = rules::ConceptFromCode(code);
    if (!kind || *kind == rules::Concept::kDxaProcedure) {
      loader_.Error(file_, where + ".concept",
                    "unknown target concept '" + code +
                        "' (expected one of dxa-t-score, dxa-z-score, dxa-bmd, ctx, ntx, p1np, "
                        "balp, vitamin-d-25oh, bmi)");
      return;
    }
    where += " (" + code + ")";
    ConceptUnits& units = loader_.tables().units[static_cast<size_t>(*kind)];
    const std::string spec = std::string(SpecCanonical(*kind));
    if (const auto canonical = entry.GetString("canonical")) {
      if (AsciiLower(*canonical) != AsciiLower(spec)) {
        loader_.Error(file_, where + ".canonical",
                      "unknown unit '" + *canonical + "': the canonical unit of " + code + " is '" +
                          spec + "' (the rules' thresholds are in it)");
        return;
      }
    }
    if (units.canonical.empty()) {
      units.canonical = spec;
    }
    const Json* accept = entry.Find("accept");
    if (accept == nullptr || !accept->is_array() || accept->empty()) {
      loader_.Error(file_, where + ".accept", "missing: the list of accepted units");
      return;
    }
    for (size_t i = 0; i < accept->size(); ++i) {
      ReadUnit((*accept)[i], units, code, where + ".accept[" + std::to_string(i) + "]");
    }
  }

  void ReadUnit(const Json& json, ConceptUnits& units, const std::string& kind,
                const std::string& where) {
    const Json* unit_json = json.Find("unit");
    if (unit_json == nullptr || !unit_json->is_string()) {
      loader_.Error(file_, where, "missing 'unit' (a UCUM unit, or \"\" for no unit)");
      return;
    }
    const std::string unit = unit_json->AsString();
    const std::string label = where + " '" + unit + "'";
    if (std::string reason = CheckUcumUnit(unit); !reason.empty()) {
      loader_.Error(file_, label, "unknown unit '" + unit + "': " + reason);
      return;
    }
    const Json* multiply = json.Find("multiply");
    const Json* divide = json.Find("divide");
    if ((multiply == nullptr) == (divide == nullptr)) {
      loader_.Error(file_, label, "give exactly one conversion factor: 'multiply' or 'divide'");
      return;
    }
    const Json* factor_json = multiply != nullptr ? multiply : divide;
    if (!factor_json->is_number() || !(factor_json->AsDouble() > 0.0)) {
      loader_.Error(file_, label,
                    "the conversion factor must be a positive number, got " +
                        (factor_json->is_number() ? factor_json->NumberText()
                                                  : std::string(factor_json->TypeName())));
      return;
    }
    UnitConversion conversion;
    (multiply != nullptr ? conversion.multiply : conversion.divide) = factor_json->AsDouble();
    const double factor = conversion.multiply / conversion.divide;
    if (AsciiLower(unit) == AsciiLower(units.canonical) && factor != 1.0) {
      loader_.Error(file_, label, "the canonical unit of " + kind + " must convert with factor 1");
      return;
    }
    const std::string origin = file_ + " " + where;
    auto [it, inserted] =
        units.accepted.try_emplace(AsciiLower(unit), UnitFactor{unit, conversion, origin});
    if (!inserted) {
      loader_.Error(
          file_, label,
          it->second.conversion == conversion
              ? "duplicate unit: already accepted by " + it->second.origin
              : "conflicting unit: factor " + FormatFactor(factor) + " here but " +
                    FormatFactor(it->second.conversion.multiply / it->second.conversion.divide) +
                    " in " + it->second.origin);
      return;
    }
    ++added_;
  }

  Loader& loader_;
  const std::string& file_;
  size_t added_ = 0;
};

}  // namespace

size_t ReadUnitsTable(Loader& loader, const std::string& file, const fhir::Json& root) {
  return UnitsReader(loader, file).Read(root);
}

}  // namespace bonewatch::mappings::internal
