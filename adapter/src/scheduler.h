// Scheduler: re-evaluation when time alone changes a result (daemon issue
// "Scheduler"; Evaluation::next_evaluation).
//
// RunOnce(today) marks dirty every patient whose stored next evaluation date
// (Store::SetNextEvaluation, written by the Pipeline after each evaluation) is
// on or before `today`; the Pipeline's EvaluateDirty then re-evaluates them and
// stores their next date. So dxa-follow-up-due appears on its due date, and
// btm-3-month-due resolves when its window closes, with no new data.
// Today() gives the date of the injected Clock in Config::time_zone.
//
// Ownership: the deps are references the caller keeps alive. Thread-safety:
// as thread-safe as the Store; RunOnce holds no state between calls.
#pragma once

#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/date.h"
#include "clock.h"
#include "config.h"
#include "logger.h"
#include "metrics.h"
#include "store.h"

namespace bonewatch::adapter {

struct SchedulerDeps {
  const Config& config;
  Store& store;
  Metrics& metrics;
  Logger& logger;
  const Clock& clock;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerDeps deps) : deps_(deps) {}
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Marks the due patients dirty; returns how many.
  [[nodiscard]] StatusOr<size_t> RunOnce(rules::Date today);
  // RunOnce(Today()).
  [[nodiscard]] StatusOr<size_t> RunOnce();
  rules::Date Today() const;

 private:
  SchedulerDeps deps_;
};

}  // namespace bonewatch::adapter
