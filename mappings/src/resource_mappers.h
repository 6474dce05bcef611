// Internal: one function per resource type; each fills ctx.result().
#pragma once

#include "map_context.h"

namespace bonewatch::mappings::internal {

void MapObservation(MapContext& ctx);
// MedicationStatement and MedicationRequest.
void MapMedication(MapContext& ctx);
void MapCondition(MapContext& ctx);
void MapProcedure(MapContext& ctx);
void MapPatient(MapContext& ctx);

}  // namespace bonewatch::mappings::internal
