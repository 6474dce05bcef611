#include "timeline.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <tuple>

namespace bonewatch::rules::internal {
namespace {

bool UseBefore(const MedicationUse* a, const MedicationUse* b) {
  return std::tie(a->start, a->source, a->end) < std::tie(b->start, b->source, b->end);
}

bool RiskBefore(const RiskFactorFact* a, const RiskFactorFact* b) {
  return std::tie(a->date, a->source, a->kind) < std::tie(b->date, b->source, b->kind);
}

// Keeps `best` the first fact with the lowest value.
void KeepLowest(const Fact*& best, const Fact* f) {
  if (best == nullptr || *f->value < *best->value) best = f;
}

CourseDates DatesOf(const Course& course, const RuleSet& r) {
  const Date start = course.start;
  // Every month offset is from the start: its civil date is computed once.
  const Date::Civil civil = start.ToCivil();
  const auto plus_months = [&civil](int n) { return civil.AddMonths(n).ToDate(); };
  CourseDates d;
  d.baseline_lookback = plus_months(-r.baselineDxaLookbackMonths);
  d.baseline_dxa_due = plus_months(r.baselineDxaDueMonths);
  d.btm_baseline = {plus_months(-r.btmBaselineBeforeMonths), start.AddDays(r.btmBaselineAfterDays)};
  d.btm_follow_up = {plus_months(r.btmFollowUpWindowStartMonths),
                     plus_months(r.btmFollowUpWindowEndMonths)};
  d.btm_follow_up_due = plus_months(r.btmFollowUpDueMonths);
  d.btm_follow_up_scheduled_end = plus_months(r.btmFollowUpScheduledEndMonths);
  return d;
}

// The sessions as of each session date (see Timeline::dxa_sessions). Spec
// §2 (v1.1): sessions are formed once, from every DXA fact dated <= now, and
// a session enters on its date with all of its members, so no point of the
// sweep sees part of a session.
void BuildDxaSessions(Timeline& tl) {
  const std::vector<Session> all = BuildSessions(tl.dxa, tl.rules->dxaSessionGapDays);
  tl.dxa_session_dates.clear();
  tl.dxa_session_dates.reserve(all.size());
  for (const Session& session : all) tl.dxa_session_dates.push_back(session.date);
  tl.dxa_sessions.assign(all.size() + 1, DxaSessions{});
  const RuleSet& r = *tl.rules;
  const std::array<int, 2> intervals = {r.dxaIntervalMonths, r.dxaIntervalHighRiskMonths};
  for (size_t k = 0; k < all.size(); ++k) {
    DxaSessions& known = tl.dxa_sessions[k + 1];
    const DxaSessions& before = tl.dxa_sessions[k];
    // The sessions known at the k-th session's date: the first k + 1, whole.
    known.sessions.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k) + 1);
    known.latest = before.latest;
    known.baseline = before.baseline;
    known.latest_values = before.latest_values;
    known.baseline_values = before.baseline_values;
    const Session& session = all[k];
    const int index = static_cast<int>(k);
    const bool in_lookback = tl.course && session.date >= tl.course_dates.baseline_lookback;
    known.latest = index;
    if (known.baseline < 0 && in_lookback) known.baseline = index;
    if (session.has_values) {
      known.latest_values = index;
      if (known.baseline_values < 0 && in_lookback) known.baseline_values = index;
    }
    // The month arithmetic is done on civil dates: one conversion of the
    // latest session's date instead of one per derived date.
    const Date::Civil last = session.date.ToCivil();
    for (size_t i = 0; i < 2; ++i) {
      const Date::Civil due = last.AddMonths(intervals[i]);
      known.follow_up_due[i] = due.ToDate();
      known.follow_up_escalation[i] = due.AddMonths(r.dxaOverdueEscalationMonths).ToDate();
    }
  }
}

// The Timeline list a fact belongs to: 0 dxa, 1 resorption, 2 vitamin_d,
// 3 bmi; -1 for none.
int FactList(const Fact& f) {
  if (IsDxaConcept(f.kind)) return f.kind == Concept::kDxaProcedure || f.value ? 0 : -1;
  if (!f.value) return -1;
  switch (f.kind) {
    case Concept::kCtx:
    case Concept::kNtx:
      return 1;
    case Concept::kVitaminD25oh:
      return 2;
    case Concept::kBmi:
      return 3;
    default:
      return -1;
  }
}

}  // namespace

bool FactBefore(const Fact* a, const Fact* b) {
  return std::tie(a->effective, a->source, a->kind, a->site, a->value) <
         std::tie(b->effective, b->source, b->kind, b->site, b->value);
}

std::span<const Fact* const> FactsUpTo(const std::vector<const Fact*>& facts, Date t) {
  auto end = std::upper_bound(facts.begin(), facts.end(), t,
                              [](Date d, const Fact* f) { return d < f->effective; });
  return {facts.data(), static_cast<size_t>(end - facts.begin())};
}

std::vector<Course> MergeCourses(std::vector<const MedicationUse*> uses, int gap_days) {
  std::sort(uses.begin(), uses.end(), UseBefore);
  std::vector<Course> courses;
  bool open = false;  // the current course has an unfinished use
  Date running_end;   // the latest end so far (meaningless when open)
  bool all_finished = true;
  for (const MedicationUse* use : uses) {
    const bool continues =
        !courses.empty() && (open || use->start <= running_end.AddDays(gap_days));
    if (!continues) {
      if (!courses.empty() && all_finished) courses.back().end = running_end;
      courses.push_back(Course{use->start, std::nullopt, {}});
      open = false;
      all_finished = true;
      running_end = use->start;
    }
    courses.back().uses.push_back(use);
    if (use->IsFinished()) {
      running_end = std::max(running_end, *use->end);
    } else {
      open = true;
      all_finished = false;
    }
  }
  if (!courses.empty() && all_finished) courses.back().end = running_end;
  return courses;
}

void Session::AddNext() {
  members = {members.data(), members.size() + 1};
  const Fact* f = members.back();
  date = f->effective;
  if (!f->value) return;
  has_values = true;
  switch (f->kind) {
    case Concept::kDxaTScore:
      KeepLowest(lowest_t_score_, f);
      break;
    case Concept::kDxaZScore:
      KeepLowest(lowest_z_score_, f);
      break;
    case Concept::kDxaBmd:
      KeepLowest(lowest_bmd_[static_cast<size_t>(f->site)], f);
      break;
    default:
      break;
  }
}

std::vector<Session> BuildSessions(std::span<const Fact* const> dxa, int gap_days) {
  std::vector<Session> sessions;
  for (size_t i = 0; i < dxa.size(); ++i) {
    if (sessions.empty() || dxa[i]->effective > sessions.back().date.AddDays(gap_days)) {
      sessions.push_back(Session(dxa.subspan(i)));
    }
    sessions.back().AddNext();
  }
  return sessions;
}

const DxaSessions& Timeline::DxaSessionsAt(Date t) const {
  const auto known = std::upper_bound(dxa_session_dates.begin(), dxa_session_dates.end(), t);
  return dxa_sessions[static_cast<size_t>(known - dxa_session_dates.begin())];
}

Date Birthday(Date birth, int years) { return birth.AddMonths(12 * years); }

int AgeInYears(Date birth, Date at) { return AgeInYears(birth, birth.ToCivil(), at); }

int AgeInYears(Date birth, const Date::Civil& b, Date at) {
  if (at < birth) return -1;
  const Date::Civil a = at.ToCivil();
  int years = a.year - b.year;
  // Birthday(birth, years) falls in at's year, in birth's month, on birth's
  // day clamped to that month (read at every change point, so without
  // AddMonths).
  const int birthday = std::min(b.day, DaysInMonth(a.year, b.month));
  if (b.month > a.month || (b.month == a.month && birthday > a.day)) --years;
  return years;
}

std::optional<Date> DoseDateAt(const MedicationUse& use, Date t) {
  if (use.start > t || !use.IsFinished() || *use.end > t) return std::nullopt;
  return *use.end;
}

bool IsZoledronicAcid(const MedicationUse& use) {
  // Whether the ingredient's letters, lowercased, spell `name` (compared in
  // place: this is read at every change point).
  const auto letters_are = [&use](std::string_view name) {
    size_t matched = 0;
    for (char c : use.ingredient) {
      if (!std::isalpha(static_cast<unsigned char>(c))) continue;
      if (matched == name.size() ||
          static_cast<char>(std::tolower(static_cast<unsigned char>(c))) != name[matched]) {
        return false;
      }
      ++matched;
    }
    return matched == name.size();
  };
  // Local mappings may carry the RxNorm ingredient code or the ATC code as the
  // ingredient: those are compared as written (the letters-only name drops digits).
  return letters_are("zoledronicacid") || letters_are("zoledronate") || use.ingredient == "77655" ||
         use.ingredient == "M05BA08";
}

Timeline BuildTimeline(const PatientRecord& record, Date now, const RuleSet& rules) {
  Timeline tl;
  tl.record = &record;
  tl.rules = &rules;
  tl.now = now;
  if (record.demographics.birth_date) tl.birth_civil = record.demographics.birth_date->ToCivil();
  // Counted first, so that each list is allocated once.
  const std::array<std::vector<const Fact*>*, 4> lists = {&tl.dxa, &tl.resorption, &tl.vitamin_d,
                                                          &tl.bmi};
  std::array<size_t, 4> counts{};
  for (const Fact& f : record.facts) {
    if (f.effective > now) continue;
    if (const int list = FactList(f); list >= 0) ++counts[static_cast<size_t>(list)];
  }
  for (size_t i = 0; i < lists.size(); ++i) lists[i]->reserve(counts[i]);
  for (const Fact& f : record.facts) {
    if (f.effective > now) continue;
    if (const int list = FactList(f); list >= 0) lists[static_cast<size_t>(list)]->push_back(&f);
  }
  for (auto* list : {&tl.dxa, &tl.resorption, &tl.vitamin_d, &tl.bmi}) {
    std::sort(list->begin(), list->end(), FactBefore);
  }

  std::vector<const MedicationUse*> ai;
  ai.reserve(record.medications.size());
  for (const MedicationUse& m : record.medications) {
    if (m.start > now) continue;
    switch (m.medication_class) {
      case MedicationClass::kAromataseInhibitor:
        ai.push_back(&m);
        break;
      case MedicationClass::kOvarianSuppression:
        tl.ovarian_suppression.push_back(&m);
        break;
      case MedicationClass::kBisphosphonate:
        tl.bisphosphonates.push_back(&m);
        break;
      case MedicationClass::kDenosumab:
        tl.denosumab.push_back(&m);
        break;
      case MedicationClass::kGlucocorticoid:
        tl.glucocorticoids.push_back(&m);
        break;
    }
  }
  for (auto* list :
       {&tl.ovarian_suppression, &tl.bisphosphonates, &tl.denosumab, &tl.glucocorticoids}) {
    std::sort(list->begin(), list->end(), UseBefore);
  }
  std::vector<Course> ai_courses = MergeCourses(std::move(ai), rules.courseGapDays);
  if (!ai_courses.empty()) tl.course = std::move(ai_courses.back());
  tl.glucocorticoid_courses = MergeCourses(tl.glucocorticoids, rules.courseGapDays);

  tl.risk_factors.reserve(record.risk_factors.size());
  for (const RiskFactorFact& r : record.risk_factors) {
    if (r.date <= now) tl.risk_factors.push_back(&r);
  }
  std::sort(tl.risk_factors.begin(), tl.risk_factors.end(), RiskBefore);

  if (tl.course) tl.course_dates = DatesOf(*tl.course, rules);
  BuildDxaSessions(tl);
  return tl;
}

}  // namespace bonewatch::rules::internal
