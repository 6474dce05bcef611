// State: everything the rules need to know "as of" one date t within the
// monitored course, derived from the Timeline using only facts dated <= t.
//
// Internal to bonewatch_rules. A State points into its Timeline (which must
// outlive it) and into its own `sessions`; it is move-only for that reason.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "timeline.h"

namespace bonewatch::rules::internal {

// One counted risk factor (spec §3 antiresorptive-indicated), e.g. "smoker".
struct RiskFactorHit {
  std::string label;
  std::vector<SourceRef> evidence;
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

  std::vector<Session> sessions;      // every session, as of t
  const Session* latest = nullptr;    // scheduling rules
  const Session* baseline = nullptr;  // scheduling rules
  std::vector<const Session*> value_sessions;
  const Session* latest_values = nullptr;
  const Session* baseline_values = nullptr;

  bool premenopausal = false;
  std::vector<RiskFactorHit> risk_factors;
  bool has_fragility_fracture = false;
  std::vector<SourceRef> fragility_fracture_evidence;
  std::optional<BmdLoss> bmd_loss;
  std::optional<BtmRise> btm_rise;
  bool high_risk = false;

  bool on_therapy = false;
  std::vector<SourceRef> therapy_sources;

  // Denosumab: the last dose known at t, whether an open use exists, and
  // whether a bisphosphonate was started after the last dose.
  std::optional<Date> last_denosumab_dose;
  const MedicationUse* last_denosumab_use = nullptr;
  const MedicationUse* open_denosumab_use = nullptr;
  bool bisphosphonate_after_denosumab = false;

  int DxaIntervalMonths() const;
};

// REQUIRES: tl.course is set.
State BuildState(const Timeline& tl, Date t);

// The BMD loss between two value sessions (largest over sites), if >= the
// threshold. nullopt when `session` is the baseline.
std::optional<BmdLoss> LossAgainst(const Session& baseline, const Session& session,
                                   const RuleSet& rules);

// Float comparisons of derived percentages tolerate representation error.
inline constexpr double kPercentEpsilon = 1e-9;

}  // namespace bonewatch::rules::internal
