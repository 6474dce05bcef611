// The daemon's metrics (architecture "Contracts: Metrics"), declared in one
// place: every name is a constant here, and DescribeDaemonMetrics() gives each
// its help text and type so that /metrics shows the whole set from the start.
//
// Components take a Metrics& and use these constants; labels are documented
// next to each name. Label values are short codes (resource types, rule
// codes, HTTP methods/status), never clinical values or identifiers of
// people.
//
// Thread-safety: the constants are immutable; DescribeDaemonMetrics is as
// thread-safe as Metrics (it is called once at start).
#pragma once

#include <functional>
#include <string_view>

#include "bonewatch/fhir/client.h"
#include "metrics.h"

namespace bonewatch::adapter::metric {

// counter{result="stored"|"ignored"|"unauthorized"|"too_large"|"malformed"|...}: rest-hook
// requests (NotificationServer).
inline constexpr std::string_view kNotificationsReceived = "bonewatch_notifications_received_total";
// counter{type="Observation",result="mapped"|"ignored"|"rejected"}: resources through the Mapper.
inline constexpr std::string_view kResourcesMapped = "bonewatch_resources_total";
// gauge: facts stored (currently in the store).
inline constexpr std::string_view kFactsInStore = "bonewatch_facts";
// counter: patient evaluations.
inline constexpr std::string_view kEvaluations = "bonewatch_evaluations_total";
// counter: patients the scheduler marked for re-evaluation (time alone).
inline constexpr std::string_view kScheduledEvaluations = "bonewatch_scheduled_evaluations_total";
// gauge{rule="dxa-follow-up-due"}: active findings by rule, over every monitored patient.
inline constexpr std::string_view kActiveFindings = "bonewatch_active_findings";
// counter{type="Flag"|"CarePlan"|...,result="created"|"updated"|"unchanged"|"human-edited"|"failed"}
inline constexpr std::string_view kWrites = "bonewatch_writes_total";
// counter{method="GET",status="200"}: FHIR requests (status "0" = no answer).
inline constexpr std::string_view kFhirRequests = "bonewatch_fhir_requests_total";
// counter: FHIR requests answered 401 that were sent again with a renewed token (a server that
// forgot its tokens early, e.g. Medplum after a Redis restart).
inline constexpr std::string_view kFhirReauthorizations = "bonewatch_fhir_reauthorizations_total";
// histogram{method="GET"}: FHIR request latency in seconds, retries included.
inline constexpr std::string_view kFhirRequestSeconds = "bonewatch_fhir_request_duration_seconds";
// gauge: inbox items waiting.
inline constexpr std::string_view kInboxDepth = "bonewatch_inbox_depth";
// gauge: dead letters kept.
inline constexpr std::string_view kDeadLetterDepth = "bonewatch_dead_letters";
// counter{reason="..."}: dead letters added (reason_code); an input refused again adds none.
inline constexpr std::string_view kDeadLettered = "bonewatch_dead_lettered_total";
// counter{reason="..."}: every refusal of an input (reason_code, as above), repeats included.
inline constexpr std::string_view kRejections = "bonewatch_rejections_total";
// gauge{type="Observation"}: seconds between now and the poll watermark.
inline constexpr std::string_view kPollLag = "bonewatch_poll_lag_seconds";
// counter{type}: resources the poller enqueued; counter{type}: failed polls.
inline constexpr std::string_view kPollResources = "bonewatch_poll_resources_total";
inline constexpr std::string_view kPollErrors = "bonewatch_poll_errors_total";
// gauge: patients known to the store.
inline constexpr std::string_view kPatients = "bonewatch_patients";
// gauge: patients marked dirty and not yet evaluated.
inline constexpr std::string_view kDirtyPatients = "bonewatch_dirty_patients";
// gauge: 1 when the last worker pass found no inbox item and no dirty patient.
inline constexpr std::string_view kConverged = "bonewatch_converged";
// counter{stage="inbox"|"evaluate"|"schedule"|"poll"|"subscriptions"}: worker errors (retried).
inline constexpr std::string_view kWorkerErrors = "bonewatch_worker_errors_total";
// gauge{status="active"|"requested"|"error"|"off"|"other"}: our rest-hook Subscriptions as last
// read from the FHIR server (SubscriptionHealth).
inline constexpr std::string_view kSubscriptions = "bonewatch_subscriptions";
// counter{status="requested"|"error"|"off"|...}: Subscriptions repaired (re-activated or
// re-created), by the status they were found in.
inline constexpr std::string_view kSubscriptionRepairs = "bonewatch_subscription_repairs_total";
// counter: poll passes run by the worker (every type polled once per pass).
inline constexpr std::string_view kPolls = "bonewatch_polls_total";
// gauge: 1 while the poller runs at poller.degradedIntervalSeconds because a Subscription does
// not deliver.
inline constexpr std::string_view kPollDegraded = "bonewatch_poll_degraded";
// gauge: seconds since the process started.
inline constexpr std::string_view kUptime = "bonewatch_uptime_seconds";

// Declares every metric above (help text, type, histogram buckets).
void DescribeDaemonMetrics(Metrics& metrics);

// A fhir::ClientOptions::on_request callback that counts requests by method
// and status and observes their latency. REQUIRES: `metrics` outlives it.
std::function<void(const fhir::RequestMetrics&)> FhirRequestObserver(Metrics& metrics);

}  // namespace bonewatch::adapter::metric
