// Metrics: an in-process registry of counters, gauges and histograms, rendered
// in the Prometheus text exposition format (version 0.0.4) on the ops port.
//
// Names follow Prometheus conventions (bonewatch_*_total for counters,
// *_seconds for durations). Label values are escaped on output. A metric is
// declared once with its help text and type (Describe*); using an undeclared
// name declares it with an empty help. Histograms use fixed buckets given at
// declaration.
//
// Thread-safety: every method is thread-safe (one internal mutex; the hot
// paths are a map lookup and an add).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bonewatch::adapter {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void DescribeCounter(std::string_view name, std::string_view help);
  void DescribeGauge(std::string_view name, std::string_view help);
  void DescribeHistogram(std::string_view name, std::string_view help,
                         std::vector<double> bucket_upper_bounds);

  void Increment(std::string_view name, const MetricLabels& labels = {}, double by = 1);
  void SetGauge(std::string_view name, const MetricLabels& labels, double value);
  void Observe(std::string_view name, const MetricLabels& labels, double value);

  // The current value of a counter or gauge (0 when never touched); for a
  // histogram, its observation count. For tests and the status page.
  double Value(std::string_view name, const MetricLabels& labels = {}) const;
  // Sum over every label set of a counter or gauge.
  double Total(std::string_view name) const;

  // Prometheus text format, metrics and series sorted by name and labels.
  std::string RenderPrometheus() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;               // counter / gauge
    std::vector<uint64_t> buckets;  // histogram: cumulative counts per bound
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> bounds;
    std::map<MetricLabels, Series> series;
  };
  Family& FamilyFor(std::string_view name, Type type);  // REQUIRES: mutex_ held

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;  // GUARDED_BY(mutex_)
};

// Default latency buckets in seconds (5 ms .. 10 s).
std::vector<double> DefaultLatencyBuckets();

}  // namespace bonewatch::adapter
