// Pipeline::EvaluateDirty: dirty patients -> Evaluate -> Writer -> schedule.
#include <utility>

#include "bonewatch/rules/evaluator.h"
#include "pipeline.h"

namespace bonewatch::adapter {
namespace {

constexpr char kEvaluationsTotal[] = "bonewatch_evaluations_total";
constexpr char kActiveFindings[] = "bonewatch_active_findings";

}  // namespace

StatusOr<size_t> Pipeline::EvaluateDirty(size_t max_patients) {
  ASSIGN_OR_RETURN(std::vector<DirtyMark> marks, deps_.store.PeekDirty(max_patients));
  const rules::Date today = TodayAt(deps_.clock.Now(), deps_.config.utc_offset_minutes);
  size_t evaluated = 0;
  Status first_error;
  for (const DirtyMark& mark : marks) {
    Status status = EvaluateOne(mark.patient_id, today);
    // Written: the mark goes, unless newer data marked the patient meanwhile.
    if (status.ok()) status = deps_.store.ClearDirty(mark);
    if (status.ok()) {
      ++evaluated;
      continue;
    }
    deps_.logger.Warn("pipeline.evaluate_failed",
                      {{"patient", mark.patient_id}, {"error", status.message()}});
    // The mark stays (retried on a later pass, or after a restart), behind the others.
    if (Status defer = deps_.store.DeferDirty(mark.patient_id); !defer.ok()) {
      deps_.logger.Error("pipeline.defer_dirty_failed",
                         {{"patient", mark.patient_id}, {"error", defer.message()}});
    }
    if (first_error.ok()) first_error = status;
  }
  if (!first_error.ok()) return first_error;
  return evaluated;
}

Status Pipeline::EvaluateOne(const std::string& patient_id, rules::Date today) {
  ASSIGN_OR_RETURN(rules::PatientRecord record, deps_.store.LoadRecord(patient_id));
  const rules::Evaluation evaluation = rules::Evaluate(record, today, deps_.ruleset);
  deps_.metrics.Increment(kEvaluationsTotal);
  std::set<std::string> active;
  for (const rules::Finding* finding : evaluation.ActiveFindings()) active.insert(finding->rule);
  TrackActiveFindings(patient_id, std::move(active));
  deps_.logger.Debug("pipeline.evaluated",
                     {{"patient", patient_id},
                      {"as_of", today.ToString()},
                      {"disposition", std::string(rules::DispositionCode(evaluation.disposition))},
                      {"active_findings", std::to_string(evaluation.ActiveFindings().size())}});
  RETURN_IF_ERROR(writer_.Write(evaluation));
  return deps_.store.SetNextEvaluation(patient_id, evaluation.next_evaluation);
}

void Pipeline::TrackActiveFindings(const std::string& patient_id, std::set<std::string> rules) {
  std::lock_guard<std::mutex> lock(findings_mutex_);
  std::set<std::string>& previous = active_rules_[patient_id];
  std::set<std::string> touched = previous;
  for (const std::string& rule : previous) --active_count_[rule];
  for (const std::string& rule : rules) {
    ++active_count_[rule];
    touched.insert(rule);
  }
  previous = std::move(rules);
  for (const std::string& rule : touched) {
    deps_.metrics.SetGauge(kActiveFindings, {{"rule", rule}},
                           static_cast<double>(active_count_[rule]));
  }
}

}  // namespace bonewatch::adapter
