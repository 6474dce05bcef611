// State: everything the rules need to know "as of" one date t within the
// monitored course, derived from the Timeline using only facts dated <= t.
//
// Internal to bonewatch_rules. A State points into its Timeline and the
// PatientRecord behind it, which must outlive it. Move-only, so that a copy
// is never made by accident on the hot path.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "small_list.h"
#include "timeline.h"

namespace bonewatch::rules::internal {

// The risk factors of spec §3 antiresorptive-indicated, each counted once,
// in the order their labels are listed.
enum class RiskFactor {
  kAge,
  kLowBmi,
  kFamilyHipFracture,
  kFragilityFracture,
  kGlucocorticoidCourse,
  kSmoker,
  kRheumatoidArthritis,
};

// One counted risk factor and the facts that show it. Evidence points into
// the PatientRecord.
struct RiskFactorHit {
  RiskFactor factor = RiskFactor::kAge;
  SourceList evidence;
};

// What the labels of the counted risk factors name ("age 67", "BMI 19.5",
// "systemic glucocorticoid course since 2024-01-02", ...): the labels are a
// function of these values, so equal RiskFactorLabels give equal labels.
struct RiskFactorLabels {
  unsigned counted = 0;       // bit (1 << RiskFactor) for each counted factor
  int age = 0;                // with kAge
  const Fact* bmi = nullptr;  // with kLowBmi
  Date glucocorticoid_since;  // with kGlucocorticoidCourse

  bool Has(RiskFactor f) const { return (counted >> static_cast<unsigned>(f)) & 1u; }
  // The labels, in RiskFactor order.
  std::vector<std::string> Texts() const;
  friend bool operator==(const RiskFactorLabels&, const RiskFactorLabels&) = default;
};

// bmd-significant-loss at one site: latest is >= N% below baseline.
struct BmdLoss {
  const Fact* baseline = nullptr;
  const Fact* latest = nullptr;
  double percent = 0;
};

// btm-rise: the 3-month sample is >= N% above the baseline of the same marker.
struct BtmRise {
  const Fact* baseline = nullptr;
  const Fact* follow_up = nullptr;
  double percent = 0;
};

struct State {
  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  State(State&&) = default;
  State& operator=(State&&) = default;

  Date t;
  const Timeline* tl = nullptr;
  const Course* course = nullptr;

  // Every session as of t (shared with the Timeline, which owns them).
  const DxaSessions* dxa = nullptr;
  std::span<const Session> sessions;
  const Session* latest = nullptr;    // scheduling rules
  const Session* baseline = nullptr;  // scheduling rules
  const Session* latest_values = nullptr;
  const Session* baseline_values = nullptr;

  bool premenopausal = false;
  SmallList<RiskFactorHit, 7> risk_factors;  // in RiskFactor order, each at most once
  RiskFactorLabels risk_factor_labels;
  bool has_fragility_fracture = false;
  std::optional<BmdLoss> bmd_loss;
  std::optional<BtmRise> btm_rise;
  bool high_risk = false;

  bool on_therapy = false;
  SourceList therapy_sources;  // point into the PatientRecord

  // Denosumab: the last finished dose known at t, the open use (the latest
  // started) if any, the last known dose (the later of the last finished
  // dose and the open use's start), and whether a bisphosphonate was started
  // after the last known dose.
  std::optional<Date> last_denosumab_dose;
  const MedicationUse* last_denosumab_use = nullptr;
  const MedicationUse* open_denosumab_use = nullptr;
  std::optional<Date> last_known_denosumab_dose;
  bool bisphosphonate_after_denosumab = false;

  int DxaIntervalMonths() const;
  // REQUIRES: latest. latest->date + DxaIntervalMonths(), and the date after
  // which dxa-follow-up-due escalates.
  Date DxaFollowUpDue() const { return dxa->follow_up_due[high_risk ? 1 : 0]; }
  Date DxaFollowUpEscalation() const { return dxa->follow_up_escalation[high_risk ? 1 : 0]; }
};

// REQUIRES: tl.course is set. The State points into `tl`.
State BuildState(const Timeline& tl, Date t);

// The BMD loss between two value sessions (largest over sites), if >= the
// threshold. nullopt when `session` is the baseline.
std::optional<BmdLoss> LossAgainst(const Session& baseline, const Session& session,
                                   const RuleSet& rules);

// Float comparisons of derived percentages tolerate representation error.
inline constexpr double kPercentEpsilon = 1e-9;

}  // namespace bonewatch::rules::internal
