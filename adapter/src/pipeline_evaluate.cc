// Pipeline::EvaluateDirty: dirty patients -> Evaluate -> Writer -> schedule.
#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
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
  if (marks.empty()) return size_t{0};
  const rules::Date today = TodayAt(deps_.clock.Now(), deps_.config.time_zone);

  // 1. Evaluate and write back, up to Config::worker_threads patients at a
  //    time. Each patient's writes stay in order on one thread; nothing is
  //    stored yet (the store would serialise the threads on its fsyncs).
  std::vector<EvaluatedPatient> results(marks.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < marks.size(); i = next++) {
      try {
        results[i] = EvaluateOne(marks[i].patient_id, today);
      } catch (const std::exception& e) {  // never across the thread boundary
        results[i].status = InternalError(std::string("unexpected exception: ") + e.what());
      }
    }
  };
  const size_t threads =
      std::min(marks.size(), static_cast<size_t>(std::max(1, deps_.config.worker_threads)));
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();

  // 2. Record the whole pass in one store transaction: what was written
  //    (also for a patient that failed later), the schedule, and the marks.
  //    A crash before this commit loses only records of writes the server
  //    holds: the next pass finds them (If-Match 412 -> re-read -> same
  //    content -> recorded; conditional update by identifier).
  size_t evaluated = 0;
  Status first_error;
  StoreBatch batch(deps_.store);
  for (size_t i = 0; i < marks.size(); ++i) {
    const DirtyMark& mark = marks[i];
    EvaluatedPatient& result = results[i];
    for (const WrittenResource& written : result.written) {
      if (Status put = deps_.store.PutWritten(written); !put.ok() && result.status.ok()) {
        result.status = put;
      }
    }
    Status status = result.status;
    if (status.ok())
      status = deps_.store.SetNextEvaluation(mark.patient_id, result.next_evaluation);
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
  RETURN_IF_ERROR(batch.Commit());
  if (!first_error.ok()) return first_error;
  return evaluated;
}

Pipeline::EvaluatedPatient Pipeline::EvaluateOne(const std::string& patient_id, rules::Date today) {
  EvaluatedPatient result;
  StatusOr<rules::PatientRecord> record = deps_.store.LoadRecord(patient_id);
  if (!record.ok()) {
    result.status = record.status();
    return result;
  }
  const rules::Evaluation evaluation = rules::Evaluate(*record, today, deps_.ruleset);
  deps_.metrics.Increment(kEvaluationsTotal);
  RuleMask active = 0;
  for (const rules::Finding* finding : evaluation.ActiveFindings()) {
    for (size_t i = 0; i < std::size(rules::kRuleCodes); ++i) {
      if (rules::kRuleCodes[i] == finding->rule) active |= RuleMask{1} << i;
    }
  }
  TrackActiveFindings(patient_id, active);
  deps_.logger.Debug("pipeline.evaluated",
                     {{"patient", patient_id},
                      {"as_of", today.ToString()},
                      {"disposition", std::string(rules::DispositionCode(evaluation.disposition))},
                      {"active_findings", std::to_string(evaluation.ActiveFindings().size())}});
  result.status = writer_.Write(evaluation, &result.written);
  result.next_evaluation = evaluation.next_evaluation;
  return result;
}

void Pipeline::TrackActiveFindings(const std::string& patient_id, RuleMask rules) {
  static_assert(std::size(rules::kRuleCodes) <= sizeof(RuleMask) * 8);
  std::lock_guard<std::mutex> lock(findings_mutex_);
  RuleMask previous = 0;
  if (auto it = active_rules_.find(patient_id); it != active_rules_.end()) {
    previous = it->second;
    if (rules == 0) active_rules_.erase(it);
  }
  if (rules != 0) active_rules_[patient_id] = rules;
  for (size_t i = 0; i < active_count_.size(); ++i) {
    const RuleMask bit = RuleMask{1} << i;
    if (((previous | rules) & bit) == 0) continue;  // untouched: its gauge stays
    if (previous & bit) --active_count_[i];
    if (rules & bit) ++active_count_[i];
    deps_.metrics.SetGauge(kActiveFindings, {{"rule", std::string(rules::kRuleCodes[i])}},
                           static_cast<double>(active_count_[i]));
  }
}

}  // namespace bonewatch::adapter
