// Rule checks: each rule of spec §3 evaluated "as of" one State.
//
// A check either leaves its slot empty (the rule does not hold at s.t) or
// fills a Hold: the episode start the spec's table gives at s.t (before
// clamping to the course start), the priority at s.t, the evidence and what
// the sentence names. The sentence itself is rendered (FindingText) only for
// the results an Evaluation keeps. One file per rule family, each with its
// check and its sentences: checks_dxa.cc, checks_bmd.cc, checks_btm.cc,
// checks_therapy.cc, checks_vitamin_d.cc.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bonewatch/rules/evaluation.h"
#include "state.h"

namespace bonewatch::rules::internal {

// Indices into kRuleCodes.
enum RuleIndex : size_t {
  kBaselineDxaMissing,
  kDxaFollowUpDue,
  kOsteoporosis,
  kOsteopenia,
  kLowBmdForAge,
  kBmdSignificantLoss,
  kBtm3MonthDue,
  kBtmRise,
  kAntiresorptiveIndicated,
  kVitaminDDeficient,
  kVitaminDInsufficient,
  kDenosumabOverdue,
  kRuleCount,
};
static_assert(std::size(kRuleCodes) == kRuleCount);

// What a finding's sentence names, so that the sentence is rendered only for
// the findings an Evaluation keeps (FindingText) and compared cheaply in
// between. The sentence is a function of the rule, these values, the rule
// set and the course: equal TextArgs give equal sentences. Per rule:
//   baseline-dxa-missing, btm-3-month-due: nothing (the course's dates);
//   dxa-follow-up-due: date = the latest session's date, months = the
//     interval, high_risk;
//   osteoporosis, osteopenia: fact = the lowest T-score;
//   low-bmd-for-age: fact = the lowest Z-score;
//   bmd-significant-loss: fact = the latest BMD, other = the baseline BMD,
//     percent;
//   btm-rise: fact = the baseline marker, other = the follow-up, percent;
//   antiresorptive-indicated: fact = the lowest T-score when named,
//     names_loss and percent (the loss), risk_factors when named;
//   vitamin-d-*: fact = the latest value;
//   denosumab-overdue: date = the last dose.
struct TextArgs {
  const Fact* fact = nullptr;
  const Fact* other = nullptr;
  Date date;
  int months = 0;
  bool high_risk = false;
  bool names_loss = false;
  double percent = 0;
  RiskFactorLabels risk_factors;

  friend bool operator==(const TextArgs&, const TextArgs&) = default;
};

struct Hold {
  Date episode_start;
  Priority priority = Priority::kMedium;
  SourceList evidence;
  TextArgs text;
};
using RuleResults = std::array<std::optional<Hold>, kRuleCount>;

// Every rule at s.t.
RuleResults EvaluateRulesAt(const State& s);

void CheckDxaScheduling(const State& s,
                        RuleResults& out);        // baseline-dxa-missing, dxa-follow-up-due
void CheckBmd(const State& s, RuleResults& out);  // osteoporosis, osteopenia, low-bmd-for-age, loss
void CheckBtm(const State& s, RuleResults& out);  // btm-3-month-due, btm-rise
void CheckTherapy(const State& s, RuleResults& out);  // antiresorptive-indicated, denosumab-overdue
void CheckVitaminD(const State& s, RuleResults& out);

// The sentence of rule `rule` for `hold` (which that rule's check filled).
std::string FindingText(RuleIndex rule, const Hold& hold, const Timeline& tl);
std::string DxaSchedulingText(RuleIndex rule, const TextArgs& args, const Timeline& tl);
std::string BmdText(RuleIndex rule, const TextArgs& args);
std::string BtmText(RuleIndex rule, const TextArgs& args, const Timeline& tl);
std::string TherapyText(RuleIndex rule, const TextArgs& args, const Timeline& tl);
std::string VitaminDText(RuleIndex rule, const TextArgs& args, const Timeline& tl);

// Same values, element by element (the evidence of two Holds may point to
// different but equal SourceRefs).
bool SameSources(const SourceList& a, const SourceList& b);
// The values, sorted and unique.
std::vector<SourceRef> SortedUniqueSources(const SourceList& refs);

SourceList SourcesOf(std::span<const Fact* const> facts);
SourceList CourseSources(const Course& course);

}  // namespace bonewatch::rules::internal
