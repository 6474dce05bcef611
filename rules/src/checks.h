// Rule checks: each rule of spec §3 evaluated "as of" one State.
//
// A check either leaves its slot empty (the rule does not hold at s.t) or
// fills a Hold: the episode start the spec's table gives at s.t (before
// clamping to the course start), the priority at s.t, the evidence and the
// sentence. One file per rule family: checks_dxa.cc, checks_bmd.cc,
// checks_btm.cc, checks_therapy.cc, checks_vitamin_d.cc.
#pragma once

#include <array>
#include <optional>
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

struct Hold {
  Date episode_start;
  Priority priority = Priority::kMedium;
  std::vector<SourceRef> evidence;
  std::string text;
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

std::vector<SourceRef> SourcesOf(const std::vector<const Fact*>& facts);
std::vector<SourceRef> CourseSources(const Course& course);

}  // namespace bonewatch::rules::internal
