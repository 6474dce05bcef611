#include "ops_metric_names.h"

#include <chrono>
#include <string>

namespace bonewatch::adapter::metric {

void DescribeDaemonMetrics(Metrics& metrics) {
  metrics.DescribeCounter(kNotificationsReceived,
                          "Rest-hook notifications, by result (stored, refused, ...).");
  metrics.DescribeCounter(kResourcesMapped,
                          "Resources through the mapper, by type and result "
                          "(mapped, ignored, rejected).");
  metrics.DescribeGauge(kFactsInStore, "Facts stored (currently held in the store).");
  metrics.DescribeCounter(kEvaluations, "Patient evaluations.");
  metrics.DescribeCounter(kScheduledEvaluations,
                          "Patients marked for re-evaluation by the scheduler (time alone).");
  metrics.DescribeGauge(kActiveFindings, "Active findings over monitored patients, by rule.");
  metrics.DescribeCounter(kWrites, "Write-back outcomes, by resource type and result.");
  metrics.DescribeCounter(kFhirRequests, "FHIR requests, by HTTP method and status.");
  metrics.DescribeCounter(kFhirReauthorizations,
                          "FHIR requests answered 401 and sent again with a renewed token.");
  metrics.DescribeHistogram(kFhirRequestSeconds, "FHIR request latency, retries included.",
                            DefaultLatencyBuckets());
  metrics.DescribeGauge(kInboxDepth, "Inbox items waiting to be processed.");
  metrics.DescribeGauge(kDeadLetterDepth, "Dead letters kept for inspection and replay.");
  metrics.DescribeCounter(kDeadLettered,
                          "Dead letters added, by reason code (an input refused again adds none).");
  metrics.DescribeCounter(kRejections,
                          "Inputs refused (each time, repeats included), by reason code.");
  metrics.DescribeGauge(kPollLag, "Seconds between now and the poll watermark, by type.");
  metrics.DescribeCounter(kPollResources, "Resources enqueued by the poller, by type.");
  metrics.DescribeCounter(kPollErrors, "Failed polls, by type.");
  metrics.DescribeGauge(kPatients, "Patients known to the store.");
  metrics.DescribeGauge(kDirtyPatients, "Patients waiting for evaluation.");
  metrics.DescribeGauge(kConverged,
                        "1 when the last worker pass found an empty inbox and no dirty patient.");
  metrics.DescribeCounter(kWorkerErrors, "Worker errors (logged and retried), by stage.");
  metrics.DescribeGauge(kUptime, "Seconds since the daemon started.");
  metrics.DescribeGauge(kSubscriptions,
                        "BoneWatch's rest-hook Subscriptions by status, as last read from the "
                        "FHIR server.");
  metrics.DescribeCounter(kSubscriptionRepairs,
                          "Subscriptions re-activated or re-created, by the status found.");
  metrics.DescribeCounter(kPolls, "Poll passes run by the worker.");
  metrics.DescribeGauge(kPollDegraded,
                        "1 while polling runs at the degraded interval (a Subscription does not "
                        "deliver).");
  // Series that should read 0 rather than be absent.
  metrics.SetGauge(kInboxDepth, {}, 0);
  metrics.SetGauge(kDeadLetterDepth, {}, 0);
  metrics.SetGauge(kConverged, {}, 0);
  metrics.Increment(kFhirReauthorizations, {}, 0);
  metrics.SetGauge(kFactsInStore, {}, 0);
}

std::function<void(const fhir::RequestMetrics&)> FhirRequestObserver(Metrics& metrics) {
  return [&metrics](const fhir::RequestMetrics& request) {
    metrics.Increment(kFhirRequests, {{"method", request.method},
                                      {"status", std::to_string(request.http_status)}});
    metrics.Observe(kFhirRequestSeconds, {{"method", request.method}},
                    std::chrono::duration<double>(request.latency).count());
    if (request.reauthorized) metrics.Increment(kFhirReauthorizations);
  };
}

}  // namespace bonewatch::adapter::metric
