// Evaluation: what the Evaluator concludes for one patient at one date.
//
// Plain data. Findings and plan activities come in a fixed, documented order
// so that the same inputs give byte-identical output (ToCanonicalString).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/rules/date.h"
#include "bonewatch/rules/model.h"

namespace bonewatch::rules {

// flag-priority codes: PL, PM, PH.
enum class Priority { kLow, kMedium, kHigh };
std::string_view PriorityCode(Priority p);

enum class FindingStatus { kActive, kInactive };

// The rule codes of spec §3, in the spec's table order. Findings are sorted by
// this order, then by episode start.
inline constexpr std::string_view kRuleCodes[] = {
    "baseline-dxa-missing", "dxa-follow-up-due",  "osteoporosis",
    "osteopenia",           "low-bmd-for-age",    "bmd-significant-loss",
    "btm-3-month-due",      "btm-rise",           "antiresorptive-indicated",
    "vitamin-d-deficient",  "vitamin-d-insufficient", "denosumab-overdue",
};
// Human display for a rule code ("Osteoporosis-range T-score", ...).
std::string_view RuleDisplay(std::string_view rule_code);

// One episode of one rule within the monitored course.
//   - active: the rule holds at the evaluation date; episode_end is empty.
//   - inactive: the episode ended on or before the evaluation date (resolved,
//     or cut by the course end, in which case episode_end is the course end).
// The Flag identifier is {patientId}.{rule}.{episode_start}.
struct Finding {
  std::string rule;
  FindingStatus status = FindingStatus::kActive;
  Date episode_start;
  std::optional<Date> episode_end;
  Priority priority = Priority::kMedium;  // at the evaluation date, or at the episode's end
  std::vector<SourceRef> evidence;        // sorted, unique
  std::string text;                       // one actionable sentence naming the values
};

// CarePlan activity statuses used by spec §4.
enum class ActivityStatus { kNotStarted, kScheduled, kInProgress, kCompleted, kCancelled };
std::string_view ActivityStatusCode(ActivityStatus s);  // "not-started", ...

// The activity keys of spec §4, in order.
inline constexpr std::string_view kActivityKeys[] = {
    "baseline-dxa",      "btm-baseline",          "btm-3-month",         "dxa-follow-up",
    "calcium-vitamin-d", "bone-directed-therapy", "denosumab-next-dose",
};

struct PlanActivity {
  std::string key;  // one of kActivityKeys
  ActivityStatus status = ActivityStatus::kNotStarted;
  std::optional<Date> scheduled_start;  // detail.scheduledPeriod.start
  std::optional<Date> scheduled_end;    // detail.scheduledPeriod.end
  std::string scheduled_text;           // detail.scheduledString, when no period applies
  std::string description;
  std::vector<SourceRef> outcome;  // the facts that completed it (sorted, unique)
};

enum class Disposition {
  kOutOfScope,  // no AI course: nothing is written
  kActive,      // the monitored course is open at the evaluation date
  kCompleted,   // the monitored course has ended: flags inactive, CarePlan completed
  kRetracted,   // AI sources were retracted and no course is left: entered-in-error
};
std::string_view DispositionCode(Disposition d);

struct CourseSummary {
  Date start;
  std::optional<Date> end;             // set when the course has ended
  std::vector<SourceRef> medications;  // the AI MedicationStatement/Request sources
};

struct Evaluation {
  std::string patient_id;
  Date as_of;
  Disposition disposition = Disposition::kOutOfScope;
  std::optional<CourseSummary> course;  // the monitored course (absent when out of scope)
  std::vector<Finding> findings;        // every episode of the monitored course up to as_of
  std::vector<PlanActivity> plan;       // in kActivityKeys order; absent activities omitted
  // The earliest date after as_of on which the result could change with no
  // new data (a due date passing, a window closing, an escalation). Empty when
  // nothing is pending.
  std::optional<Date> next_evaluation;

  // Only the active findings.
  std::vector<const Finding*> ActiveFindings() const;
  // A stable text rendering of everything above; equal evaluations give equal strings.
  std::string ToCanonicalString() const;
};

}  // namespace bonewatch::rules
