// antiresorptive-indicated and denosumab-overdue (spec §3).
#include "checks.h"
#include "text.h"

namespace bonewatch::rules::internal {
namespace {

void CheckIndicated(const State& s, RuleResults& out) {
  if (s.on_therapy) return;
  const RuleSet& r = *s.tl->rules;
  const Fact* lowest = s.latest_values ? s.latest_values->LowestTScore() : nullptr;
  const int risk_count = static_cast<int>(s.risk_factors.size());
  const bool by_t_score = lowest && *lowest->value < r.antiresorptiveTScore;
  const bool by_t_and_risk =
      lowest && *lowest->value < r.antiresorptiveTScoreWithRiskFactor && risk_count >= 1;
  const bool by_risk_count = risk_count >= r.antiresorptiveRiskFactorCount;
  const bool by_loss = s.bmd_loss.has_value();
  const bool by_fracture = s.has_fragility_fracture;
  if (!(by_t_score || by_t_and_risk || by_risk_count || by_loss || by_fracture)) return;

  Hold hold{s.t, Priority::kHigh, {}, {}};
  if (by_t_score || by_t_and_risk) {
    hold.text.fact = lowest;
    hold.evidence.push_back(&lowest->source);
  }
  if (by_loss) {
    hold.text.names_loss = true;
    hold.text.percent = s.bmd_loss->percent;
    hold.evidence.push_back(&s.bmd_loss->baseline->source);
    hold.evidence.push_back(&s.bmd_loss->latest->source);
  }
  if (risk_count > 0 && (by_t_and_risk || by_risk_count || by_fracture)) {
    hold.text.risk_factors = s.risk_factor_labels;
    for (const RiskFactorHit& hit : s.risk_factors) {
      hold.evidence.Append(hit.evidence);
    }
  }
  out[kAntiresorptiveIndicated] = std::move(hold);
}

void CheckDenosumab(const State& s, RuleResults& out) {
  if (!s.last_denosumab_dose || s.open_denosumab_use || s.bisphosphonate_after_denosumab) return;
  const RuleSet& r = *s.tl->rules;
  const Date dose = *s.last_denosumab_dose;
  const Date due = dose.AddMonths(r.denosumabIntervalMonths);
  const Date overdue_from = due.AddWeeks(r.denosumabGraceWeeks);
  if (!(overdue_from < s.t)) return;
  const bool escalated = s.t > due.AddWeeks(r.denosumabEscalationWeeks);
  TextArgs text;
  text.date = dose;
  out[kDenosumabOverdue] = Hold{overdue_from,
                                escalated ? Priority::kHigh : Priority::kMedium,
                                {&s.last_denosumab_use->source},
                                text};
}

std::string IndicatedText(const TextArgs& args) {
  std::string out = "Bone-directed therapy indicated: ";
  out.reserve(256);
  // The reasons, separated by "; ".
  std::string_view separator;
  const auto reason = [&]() -> std::string& {
    out += separator;
    separator = "; ";
    return out;
  };
  if (args.fact) {
    reason() += Concat({"lowest T-score ", FormatNumber(*args.fact->value), " (",
                        args.fact->effective.ToString(), ")"});
  }
  if (args.names_loss) {
    reason() += Concat({"BMD loss of ", FormatPercent(args.percent), "% since baseline"});
  }
  if (args.risk_factors.counted != 0) {
    const std::vector<std::string> labels = args.risk_factors.Texts();
    reason() += labels.size() == 1 ? "risk factor: " : "risk factors: ";
    out += JoinList(labels);
  }
  out += ". No current antiresorptive therapy: consider a bisphosphonate or denosumab";
  return out;
}

}  // namespace

void CheckTherapy(const State& s, RuleResults& out) {
  CheckIndicated(s, out);
  CheckDenosumab(s, out);
}

std::string TherapyText(RuleIndex rule, const TextArgs& args, const Timeline& tl) {
  if (rule == kAntiresorptiveIndicated) return IndicatedText(args);
  const Date dose = args.date;
  const Date due = dose.AddMonths(tl.rules->denosumabIntervalMonths);
  return Concat({"Denosumab overdue: last dose ", dose.ToString(), ", next dose was due ",
                 due.ToString(),
                 "; give it now or start a bisphosphonate (rebound vertebral fracture risk)"});
}

}  // namespace bonewatch::rules::internal
