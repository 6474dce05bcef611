#include "ingest_poller.h"

#include <algorithm>
#include <set>
#include <utility>

#include "bonewatch/fhir/datetime.h"
#include "ingest_types.h"

namespace bonewatch::adapter {
namespace {

constexpr char kResources[] = "bonewatch_poll_resources_total";
constexpr char kLag[] = "bonewatch_poll_lag_seconds";
constexpr char kErrors[] = "bonewatch_poll_errors_total";

int64_t EpochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<int64_t> ParseWatermark(const std::optional<std::string>& text) {
  if (!text.has_value() || text->empty()) return std::nullopt;
  StatusOr<fhir::DateTime> parsed = fhir::DateTime::ParseInstant(*text);
  if (!parsed.ok()) return std::nullopt;
  return parsed->ToEpochMillis();
}

}  // namespace

Poller::Poller(Config::Poller config, Config::Inputs inputs,
               std::vector<mappings::Criteria> criteria, PollerDeps deps)
    : config_(config), types_(WatchedTypes(inputs)), criteria_(std::move(criteria)), deps_(deps) {
  deps_.metrics->DescribeCounter(kResources, "Resources received by the poller, by type.");
  deps_.metrics->DescribeGauge(kLag, "Seconds since the start of the last completed poll.");
  deps_.metrics->DescribeCounter(kErrors, "Failed polls, by type.");
}

Status Poller::RunOnce() {
  Status first_error;
  for (const std::string& type : types_) {
    Status status = PollType(type);
    if (!status.ok()) {
      deps_.metrics->Increment(kErrors, {{"type", type}});
      deps_.logger->Warn("poll.failed", {{"type", type}, {"reason", status.message()}});
      if (first_error.ok()) first_error = status;
    }
    const auto now = deps_.clock->Now();
    auto it = last_complete_start_.find(type);
    if (it != last_complete_start_.end()) {
      deps_.metrics->SetGauge(kLag, {{"type", type}},
                              std::chrono::duration<double>(now - it->second).count());
    }
  }
  return first_error;
}

std::vector<Poller::Stream> Poller::Streams(const std::string& type) const {
  const std::optional<std::string> codes =
      CodeFilter(FindCriteria(criteria_, type), deps_.max_code_filter_chars);
  if (!codes.has_value()) return {Stream{type, "", "", CursorName(type)}};
  std::vector<Stream> streams;
  for (const std::string& parameter : CodeSearchParameters(type)) {
    streams.push_back(Stream{type, parameter, *codes, CursorName(type, parameter)});
  }
  return streams;
}

fhir::SearchParams Poller::Params(const Stream& stream,
                                  const std::optional<int64_t>& watermark) const {
  fhir::SearchParams params;
  if (watermark.has_value()) {
    const int64_t since = *watermark - int64_t{config_.overlap_seconds} * 1000;
    params.emplace_back("_lastUpdated", "gt" + fhir::FormatInstant(since));
  }
  params.emplace_back("_sort", "_lastUpdated");
  params.emplace_back("_count", std::to_string(config_.page_size));
  if (!stream.codes.empty()) params.emplace_back(stream.parameter, stream.codes);
  return params;
}

Status Poller::EnqueuePage(const Stream& stream, const fhir::SearchPage& page,
                           std::optional<int64_t>& watermark, PollStats& stats) {
  ++stats.pages;
  if (page.resources.empty()) return Status::Ok();
  std::optional<int64_t> page_max;
  std::string page_max_text;
  for (const fhir::Json& resource : page.resources) {
    const fhir::Json* meta = resource.Find("meta");
    const std::optional<std::string> last_updated =
        meta != nullptr ? meta->GetString("lastUpdated") : std::nullopt;
    std::optional<int64_t> ms = ParseWatermark(last_updated);
    if (ms.has_value() && (!page_max.has_value() || *ms > *page_max)) {
      page_max = ms;
      page_max_text = *last_updated;
    }
  }
  InboxItem item;
  item.origin = "poll";
  item.received_at = fhir::FormatInstant(EpochMillis(deps_.clock->Now()));
  item.body = page.result.resource.Serialize();
  StatusOr<int64_t> id = deps_.store->Enqueue(item);
  if (!id.ok()) return id.status().WithContext("poll " + stream.Name() + ": enqueue");
  const int count = static_cast<int>(page.resources.size());
  stats.resources += count;
  deps_.metrics->Increment(kResources, {{"type", stream.type}}, count);
  // Only now, with the page durable, may the watermark move.
  if (page_max.has_value() && (!watermark.has_value() || *page_max > *watermark)) {
    RETURN_IF_ERROR(deps_.store->SetCursor(stream.cursor, page_max_text)
                        .WithContext("poll " + stream.Name() + ": store watermark"));
    watermark = page_max;
  }
  return Status::Ok();
}

Status Poller::PollType(const std::string& type, PollStats* stats_out) {
  const auto started = deps_.clock->Now();
  PollStats stats;
  for (const Stream& stream : Streams(type)) RETURN_IF_ERROR(PollStream(stream, stats));
  last_complete_start_[type] = started;
  deps_.logger->Debug("poll.done", {{"type", type},
                                    {"pages", std::to_string(stats.pages)},
                                    {"resources", std::to_string(stats.resources)}});
  if (stats_out != nullptr) *stats_out = stats;
  return Status::Ok();
}

Status Poller::PollStream(const Stream& stream, PollStats& stats) {
  const std::string name = stream.Name();
  StatusOr<std::optional<std::string>> cursor = deps_.store->GetCursor(stream.cursor);
  if (!cursor.ok()) return cursor.status().WithContext("poll " + name + ": read watermark");
  std::optional<int64_t> watermark = ParseWatermark(*cursor);
  const std::optional<int64_t> start_watermark = watermark;
  if (!watermark.has_value() && stream.type == "Medication") {
    // Medications are read when a resource references them; only their later changes matter,
    // so the first poll starts the watermark now instead of reading the formulary.
    return deps_.store
        ->SetCursor(stream.cursor, fhir::FormatInstant(EpochMillis(deps_.clock->Now())))
        .WithContext("poll " + name + ": start watermark");
  }

  const int pages_before = stats.pages;
  StatusOr<fhir::SearchPage> page =
      deps_.client->Search(stream.type, Params(stream, start_watermark));
  std::set<std::string> seen_links;
  while (true) {
    if (!page.ok()) return page.status().WithContext("poll " + name);
    RETURN_IF_ERROR(EnqueuePage(stream, *page, watermark, stats));
    if (!page->next_url.has_value() || page->resources.empty()) break;
    if (!seen_links.insert(*page->next_url).second ||
        stats.pages - pages_before >= deps_.max_pages_per_run) {
      deps_.logger->Warn("poll.paging_stopped",
                         {{"type", name}, {"pages", std::to_string(stats.pages - pages_before)}});
      break;
    }
    page = deps_.client->FetchPage(*page->next_url);
  }
  return Status::Ok();
}

}  // namespace bonewatch::adapter
