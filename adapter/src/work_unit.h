// WorkUnit: one thing the pipeline must do, decoded from an inbox item.
//
// An inbox item holds what arrived, raw (a rest-hook body and headers, a page
// of poll results). DecodeInboxItem (ingest) turns it into work units:
//  - kResource: a full resource arrived; map and store it;
//  - kFetch:    only an id arrived (id-only notification, HAPI empty-body PUT
//               to {endpoint}/{type}/{id}); read it from the server first;
//  - kDelete:   the resource was deleted; retract its facts;
//  - kPollNow:  an empty notification: run the poller now.
// Decoding errors (malformed JSON, unknown shapes) are kInvalidArgument with a
// message naming the item and the field; the pipeline dead-letters them.
#pragma once

#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"
#include "store.h"

namespace bonewatch::adapter {

struct WorkUnit {
  enum class Kind { kResource, kFetch, kDelete, kPollNow };
  Kind kind = Kind::kResource;
  std::string resource_type;  // all kinds but kPollNow
  std::string resource_id;
  fhir::Json resource;  // kResource only
};

StatusOr<std::vector<WorkUnit>> DecodeInboxItem(const InboxItem& item);

}  // namespace bonewatch::adapter
