// Evaluation codes, displays and the canonical text rendering.
#include "bonewatch/rules/evaluation.h"

#include <array>
#include <utility>

namespace bonewatch::rules {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kRuleDisplays = {{
    {"baseline-dxa-missing", "Baseline DXA missing"},
    {"dxa-follow-up-due", "DXA follow-up due"},
    {"osteoporosis", "Osteoporosis-range T-score"},
    {"osteopenia", "Osteopenia-range T-score"},
    {"low-bmd-for-age", "Low BMD for age (Z-score)"},
    {"bmd-significant-loss", "Significant BMD loss"},
    {"btm-3-month-due", "3-month bone turnover marker due"},
    {"btm-rise", "Bone turnover marker rise"},
    {"antiresorptive-indicated", "Bone-directed therapy indicated"},
    {"vitamin-d-deficient", "Vitamin D deficiency"},
    {"vitamin-d-insufficient", "Vitamin D insufficiency"},
    {"denosumab-overdue", "Denosumab dose overdue"},
}};

void AppendRefs(std::string& out, const std::vector<SourceRef>& refs) {
  out += '[';
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i) out += ',';
    out += refs[i].Reference();
    if (!refs[i].version.empty()) out += "/_history/" + refs[i].version;
    if (!refs[i].component.empty()) out += "#" + refs[i].component;
  }
  out += ']';
}

std::string OptDate(const std::optional<Date>& d) { return d ? d->ToString() : "-"; }

}  // namespace

std::string_view PriorityCode(Priority p) {
  switch (p) {
    case Priority::kLow:
      return "PL";
    case Priority::kMedium:
      return "PM";
    case Priority::kHigh:
      return "PH";
  }
  return "";
}

std::string_view RuleDisplay(std::string_view rule_code) {
  for (const auto& [code, display] : kRuleDisplays) {
    if (code == rule_code) return display;
  }
  return {};
}

std::string_view ActivityStatusCode(ActivityStatus s) {
  switch (s) {
    case ActivityStatus::kNotStarted:
      return "not-started";
    case ActivityStatus::kScheduled:
      return "scheduled";
    case ActivityStatus::kInProgress:
      return "in-progress";
    case ActivityStatus::kCompleted:
      return "completed";
    case ActivityStatus::kCancelled:
      return "cancelled";
  }
  return "";
}

std::string_view DispositionCode(Disposition d) {
  switch (d) {
    case Disposition::kOutOfScope:
      return "out-of-scope";
    case Disposition::kActive:
      return "active";
    case Disposition::kCompleted:
      return "completed";
    case Disposition::kRetracted:
      return "retracted";
  }
  return "";
}

std::vector<const Finding*> Evaluation::ActiveFindings() const {
  std::vector<const Finding*> out;
  for (const Finding& f : findings) {
    if (f.status == FindingStatus::kActive) out.push_back(&f);
  }
  return out;
}

std::string Evaluation::ToCanonicalString() const {
  std::string out;
  out += "patient " + patient_id + "\n";
  out += "as-of " + as_of.ToString() + "\n";
  out += "disposition " + std::string(DispositionCode(disposition)) + "\n";
  if (course) {
    out += "course " + course->start.ToString() + " " + OptDate(course->end) + " ";
    AppendRefs(out, course->medications);
    out += "\n";
  }
  for (const Finding& f : findings) {
    out += "finding " + f.rule + " " + f.episode_start.ToString() + " ";
    out += f.status == FindingStatus::kActive ? "active " : "inactive ";
    out += OptDate(f.episode_end) + " " + std::string(PriorityCode(f.priority)) + " ";
    AppendRefs(out, f.evidence);
    out += " " + f.text + "\n";
  }
  for (const PlanActivity& a : plan) {
    out += "activity " + a.key + " " + std::string(ActivityStatusCode(a.status)) + " ";
    out += OptDate(a.scheduled_start) + " " + OptDate(a.scheduled_end) + " ";
    AppendRefs(out, a.outcome);
    out += " \"" + a.scheduled_text + "\" \"" + a.description + "\"\n";
  }
  out += "next-evaluation " + OptDate(next_evaluation) + "\n";
  return out;
}

}  // namespace bonewatch::rules
