// Poller: catches what rest-hook notifications missed, and can be the only source (subscriptions
// off). Per ingest type (ingest_types.h) and code search parameter (CodeSearchParameters: code,
// and component-code for Observation) it keeps a `_lastUpdated` watermark in the Store cursor
// "poll:{Type}" ("poll:{Type}?{parameter}" for the others) and searches
//   {Type}?_lastUpdated=gt{watermark - overlap}&_sort=_lastUpdated&_count={page_size}[&code=...]
// (or &component-code=... with the same codes).
// (no _lastUpdated on the first run: everything that matches), following "next" links. Each
// non-empty page is enqueued as one InboxItem (origin "poll", body = the searchset Bundle), and
// only after that Enqueue succeeded is the cursor advanced to the highest meta.lastUpdated seen
// (architecture: "the watermark is stored only after the page has been processed"). The overlap
// re-reads a little: duplicates are harmless (the Store ignores equal versions).
//
// Our own writes need no filter here: the poller searches the ingest types only, and the
// pipeline decodes every page with the configured own tag ({canonicalBase}/CodeSystem/tag,
// Pipeline/OwnTagSystem), which drops resources BoneWatch wrote.
//
// Deletes cannot be seen by searching (fhir-servers.md); they arrive through notifications.
// The code filter is fixed by the criteria given at construction: when the mappings gain codes,
// older resources with those codes are found by a backfill, not by the poller.
//
// Metrics: bonewatch_poll_resources_total{type}; bonewatch_poll_lag_seconds{type} = seconds
// between now and the start of the last poll of that type that completed (how stale our view
// may be); bonewatch_poll_errors_total{type}.
//
// Ownership: borrows the client, Store, Metrics, Logger and Clock (REQUIRES: they outlive it).
// Thread-safety: RunOnce is not reentrant; call it from one thread (the scheduler) at a time.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/mappings/mapping_set.h"
#include "clock.h"
#include "config.h"
#include "ingest_types.h"
#include "logger.h"
#include "metrics.h"
#include "store.h"

namespace bonewatch::adapter {

struct PollerDeps : ServerReadDeps {
  size_t max_code_filter_chars = 1500;  // longer code lists: no code filter
  int max_pages_per_run = 10000;        // per type, against a server whose links loop
};

struct PollStats {
  int pages = 0;
  int resources = 0;
};

class Poller {
 public:
  Poller(Config::Poller config, Config::Inputs inputs, std::vector<mappings::Criteria> criteria,
         PollerDeps deps);
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Polls every type. A failing type does not stop the others; the first error is returned
  // (with the type named) after all were tried.
  Status RunOnce();
  // One type; `stats` (optional) receives what was enqueued.
  Status PollType(const std::string& type, PollStats* stats = nullptr);

  // The watermark cursor of a type's search by `parameter` ("code", or none, keeps the name
  // it always had).
  static std::string CursorName(const std::string& type, const std::string& parameter = "code") {
    return parameter.empty() || parameter == "code" ? "poll:" + type
                                                    : "poll:" + type + "?" + parameter;
  }

 private:
  // One search of a type with its own watermark: by one code search parameter, or (codes
  // empty) without a code filter.
  struct Stream {
    std::string type;
    std::string parameter;
    std::string codes;
    std::string cursor;
    std::string Name() const { return parameter.empty() ? type : type + "?" + parameter; }
  };
  std::vector<Stream> Streams(const std::string& type) const;
  Status PollStream(const Stream& stream, PollStats& stats);
  fhir::SearchParams Params(const Stream& stream, const std::optional<int64_t>& watermark) const;
  Status EnqueuePage(const Stream& stream, const fhir::SearchPage& page,
                     std::optional<int64_t>& watermark, PollStats& stats);

  const Config::Poller config_;
  const std::vector<std::string> types_;
  const std::vector<mappings::Criteria> criteria_;
  PollerDeps deps_;
  std::map<std::string, std::chrono::system_clock::time_point> last_complete_start_;
};

}  // namespace bonewatch::adapter
