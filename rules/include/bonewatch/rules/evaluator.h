// Evaluator: (PatientRecord, now, RuleSet) -> Evaluation. Pure and deterministic.
//
// No I/O and no clock reads: `now` is the evaluation date, injected. Facts
// dated after `now` are ignored. The same inputs give byte-identical
// Evaluation::ToCanonicalString() output. Thread-safe (no shared state).
#pragma once

#include "bonewatch/rules/date.h"
#include "bonewatch/rules/evaluation.h"
#include "bonewatch/rules/model.h"
#include "bonewatch/rules/ruleset.h"

namespace bonewatch::rules {

Evaluation Evaluate(const PatientRecord& record, Date now, const RuleSet& rules = RuleSet());

}  // namespace bonewatch::rules
