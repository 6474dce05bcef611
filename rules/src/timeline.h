// Timeline: the derived structures of spec §2 that do not depend on the
// evaluation point: medication courses, DXA sessions, ages, and the
// patient's inputs filtered to `now` and sorted into a total order.
//
// Internal to bonewatch_rules. Pointers in these structs point into the
// PatientRecord passed to BuildTimeline, which must outlive them.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "bonewatch/rules/date.h"
#include "bonewatch/rules/model.h"
#include "bonewatch/rules/ruleset.h"

namespace bonewatch::rules::internal {

// Merged medication uses (spec §2 "AI course"). `end` is set only when every
// use in the course is finished (IsFinished()); otherwise the course is open.
struct Course {
  Date start;
  std::optional<Date> end;
  std::vector<const MedicationUse*> uses;  // in (start, source) order

  bool IsOpen() const { return !end.has_value(); }
  // Active at t: start <= t and (open, or t <= end).
  bool ActiveAt(Date t) const { return start <= t && (!end || t <= *end); }
};

// Sorts by (start, source) and merges: a use starting no more than `gap_days`
// after the running course end (the latest end so far; an open use makes the
// course open and absorbs every later use) continues the course.
std::vector<Course> MergeCourses(std::vector<const MedicationUse*> uses, int gap_days);

// A DXA session (spec §2): members sorted by date; a member more than
// `gap_days` after the previous member starts a new session. Built by
// BuildSessions: its members are a run of the fact list it was built from
// (which must outlive it), and it keeps the lowest values as members are
// added (they are read at every change point).
struct Session {
  Date date;  // its latest member
  std::span<const Fact* const> members;
  bool has_values = false;

  // Minimum T-score over the session's members, with the fact that gave it
  // (the first such member on ties).
  const Fact* LowestTScore() const { return lowest_t_score_; }
  const Fact* LowestZScore() const { return lowest_z_score_; }
  bool HasZScore() const { return LowestZScore() != nullptr; }
  // Lowest BMD value at a site, or nullptr.
  const Fact* BmdAt(Site site) const { return lowest_bmd_[static_cast<size_t>(site)]; }

 private:
  friend std::vector<Session> BuildSessions(std::span<const Fact* const> dxa, int gap_days);
  // Starts the session at list[0].
  explicit Session(std::span<const Fact* const> list) : members(list.first(0)) {}
  // Adds the member that follows the current ones in the list.
  void AddNext();

  const Fact* lowest_t_score_ = nullptr;
  const Fact* lowest_z_score_ = nullptr;
  std::array<const Fact*, 6> lowest_bmd_{};  // by Site
  static_assert(static_cast<size_t>(Site::kUnspecified) == 5, "one slot per Site");
};

// REQUIRES: `dxa` sorted by (effective, source). The sessions point into it.
std::vector<Session> BuildSessions(std::span<const Fact* const> dxa, int gap_days);

// The DXA sessions known at some date, with the latest and baseline sessions
// of spec §2 (indices into `sessions`, -1 when there is none). They change
// only on session dates, so the Timeline builds them once per session and
// every State shares them.
struct DxaSessions {
  std::vector<Session> sessions;
  int latest = -1;         // scheduling rules: the most recent session
  int baseline = -1;       // scheduling rules: the earliest on or after the lookback date
  int latest_values = -1;  // value rules: the same, among sessions with values
  int baseline_values = -1;
  // dxa-follow-up-due after the latest session, at the standard [0] and the
  // high-risk [1] interval: the due date, and the date after which it is
  // overdue enough to escalate (due + dxaOverdueEscalationMonths).
  std::array<Date, 2> follow_up_due{};
  std::array<Date, 2> follow_up_escalation{};
};

// The derived dates of the monitored course that the rules and the plan use
// at every change point (spec §3 and §4), computed once.
struct CourseDates {
  Date baseline_lookback;    // start - baselineDxaLookbackMonths
  Date baseline_dxa_due;     // start + baselineDxaDueMonths
  DateWindow btm_baseline;   // [start - btmBaselineBeforeMonths, start + btmBaselineAfterDays]
  DateWindow btm_follow_up;  // [start + btmFollowUpWindowStartMonths, + WindowEndMonths]
  Date btm_follow_up_due;    // start + btmFollowUpDueMonths
  Date btm_follow_up_scheduled_end;  // start + btmFollowUpScheduledEndMonths
};

// Whole years of age at `at`. A birthday is birth.AddMonths(12 * years), so a
// 29 February birthday falls on 28 February in non-leap years.
int AgeInYears(Date birth, Date at);
// The same with birth_civil = birth.ToCivil(), which the Timeline keeps
// (ages are read at every change point).
int AgeInYears(Date birth, const Date::Civil& birth_civil, Date at);
Date Birthday(Date birth, int years);

// Strict weak order used for every fact list: date, then source, then value.
bool FactBefore(const Fact* a, const Fact* b);
// The prefix of a FactBefore-sorted list dated <= t.
std::span<const Fact* const> FactsUpTo(const std::vector<const Fact*>& facts, Date t);

// A patient's inputs as of `now`, sorted, plus the monitored AI course.
// Move-only: the DXA sessions point into `dxa`.
struct Timeline {
  Timeline() = default;
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;
  Timeline(Timeline&&) = default;
  Timeline& operator=(Timeline&&) = default;

  const PatientRecord* record = nullptr;
  const RuleSet* rules = nullptr;
  Date now;
  std::optional<Course> course;  // the monitored AI course (start <= now)
  CourseDates course_dates;      // set with `course`
  Date::Civil birth_civil{};     // the birth date's, when the record has one

  std::vector<const Fact*> dxa;         // T, Z, BMD and procedures
  std::vector<const Fact*> resorption;  // ctx and ntx
  std::vector<const Fact*> vitamin_d;
  std::vector<const Fact*> bmi;
  std::vector<const MedicationUse*> ovarian_suppression;
  std::vector<const MedicationUse*> bisphosphonates;
  std::vector<const MedicationUse*> denosumab;
  std::vector<const MedicationUse*> glucocorticoids;
  std::vector<Course> glucocorticoid_courses;
  std::vector<const RiskFactorFact*> risk_factors;

  // The DXA sessions (spec §2, v1.1) are formed once from every DXA fact
  // dated <= now; a session is known from its date (its latest member) on,
  // with all of its members. dxa_sessions[0] has no session; dxa_sessions[k +
  // 1] holds the first k + 1 sessions, those known at dxa_session_dates[k]
  // (the session dates, ascending). Baselines are set only when there is a
  // course.
  std::vector<Date> dxa_session_dates;
  std::vector<DxaSessions> dxa_sessions;
  // The sessions known at t.
  const DxaSessions& DxaSessionsAt(Date t) const;
};

Timeline BuildTimeline(const PatientRecord& record, Date now, const RuleSet& rules);

// Dose date of a denosumab or zoledronic-acid use as known at t: its end when
// it is finished by t; nullopt when the use is open at t (or starts after t).
std::optional<Date> DoseDateAt(const MedicationUse& use, Date t);
bool IsZoledronicAcid(const MedicationUse& use);

}  // namespace bonewatch::rules::internal
