#include "evaluate_command_summary.h"

#include <algorithm>
#include <string>

namespace bonewatch::adapter {
namespace {

constexpr size_t kRuleWidth = 24;  // "antiresorptive-indicated"
constexpr size_t kPriorityWidth = 8;
constexpr size_t kSinceWidth = 10;

void Pad(std::ostream& out, std::string_view text, size_t width) {
  out << text;
  for (size_t i = text.size(); i < width; ++i) out << ' ';
  out << "  ";
}

}  // namespace

SummaryWriter::SummaryWriter(std::ostream& out, size_t patient_width)
    : out_(out), patient_width_(std::max<size_t>(patient_width, 7)) {
  Row("PATIENT", "RULE", "PRIORITY", "SINCE", "TEXT");
}

void SummaryWriter::Row(std::string_view patient, std::string_view rule, std::string_view priority,
                        std::string_view since, std::string_view text) {
  Pad(out_, patient, patient_width_);
  Pad(out_, rule, kRuleWidth);
  Pad(out_, priority, kPriorityWidth);
  Pad(out_, since, kSinceWidth);
  out_ << text << "\n";
}

void SummaryWriter::Add(const rules::Evaluation& evaluation) {
  switch (evaluation.disposition) {
    case rules::Disposition::kOutOfScope:
      return;
    case rules::Disposition::kRetracted:
      ++in_scope_;
      ++retracted_;
      Row(evaluation.patient_id, "-", "-", "-",
          "Aromatase inhibitor record retracted: earlier BoneWatch flags and CarePlan become "
          "entered-in-error");
      return;
    case rules::Disposition::kCompleted:
      ++in_scope_;
      ++completed_;
      break;
    case rules::Disposition::kActive:
      ++in_scope_;
      ++active_course_;
      break;
  }
  const std::vector<const rules::Finding*> active = evaluation.ActiveFindings();
  for (const rules::Finding* finding : active) {
    ++findings_;
    Row(evaluation.patient_id, finding->rule, rules::PriorityCode(finding->priority),
        finding->episode_start.ToString(), finding->text);
  }
  if (!active.empty()) return;
  const rules::CourseSummary& course = *evaluation.course;
  if (evaluation.disposition == rules::Disposition::kCompleted) {
    Row(evaluation.patient_id, "-", "-", "-",
        "Aromatase inhibitor course " + course.start.ToString() + " to " +
            (course.end ? course.end->ToString() : std::string("?")) +
            " has ended: CarePlan completed");
  } else {
    Row(evaluation.patient_id, "-", "-", "-",
        "No active findings; aromatase inhibitor course since " + course.start.ToString() +
            ", CarePlan active");
  }
}

void SummaryWriter::Finish(uint64_t patients_read) {
  out_ << "\n"
       << patients_read << " patient(s) read: " << in_scope_ << " in scope (" << active_course_
       << " on an active aromatase inhibitor course, " << completed_ << " course ended, "
       << retracted_ << " retracted), " << (patients_read - in_scope_) << " out of scope; "
       << findings_ << " active finding(s)\n";
}

}  // namespace bonewatch::adapter
