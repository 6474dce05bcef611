#include "scheduler.h"

#include <string>
#include <vector>

#include "pipeline.h"

namespace bonewatch::adapter {

rules::Date Scheduler::Today() const { return TodayAt(deps_.clock.Now(), deps_.config.time_zone); }

StatusOr<size_t> Scheduler::RunOnce() { return RunOnce(Today()); }

StatusOr<size_t> Scheduler::RunOnce(rules::Date today) {
  ASSIGN_OR_RETURN(std::vector<std::string> due, deps_.store.DueForEvaluation(today));
  {
    // One store transaction for all the marks (one fsync, not one per patient).
    StoreBatch batch(deps_.store);
    for (const std::string& patient_id : due) RETURN_IF_ERROR(deps_.store.MarkDirty(patient_id));
    RETURN_IF_ERROR(batch.Commit());
  }
  deps_.metrics.Increment("bonewatch_scheduled_evaluations_total", {},
                          static_cast<double>(due.size()));
  if (!due.empty()) {
    deps_.logger.Info("scheduler.due",
                      {{"as_of", today.ToString()}, {"patients", std::to_string(due.size())}});
  }
  return due.size();
}

}  // namespace bonewatch::adapter
