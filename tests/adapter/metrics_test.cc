// Metrics: the Prometheus text exposition format (0.0.4), byte for byte.
#include "metrics.h"

#include <gtest/gtest.h>

#include <charconv>
#include <string>
#include <thread>
#include <vector>

namespace bonewatch::adapter {
namespace {

TEST(MetricsTest, EmptyRegistryRendersNothing) {
  Metrics metrics;
  EXPECT_EQ(metrics.RenderPrometheus(), "");
}

TEST(MetricsTest, CounterWithHelpTypeAndLabels) {
  Metrics metrics;
  metrics.DescribeCounter("bonewatch_writes_total", "Resources written, by result.");
  metrics.Increment("bonewatch_writes_total", {{"result", "updated"}});
  metrics.Increment("bonewatch_writes_total", {{"result", "created"}}, 2);
  metrics.Increment("bonewatch_writes_total", {{"result", "updated"}});
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# HELP bonewatch_writes_total Resources written, by result.\n"
            "# TYPE bonewatch_writes_total counter\n"
            "bonewatch_writes_total{result=\"created\"} 2\n"
            "bonewatch_writes_total{result=\"updated\"} 2\n");
  EXPECT_EQ(metrics.Value("bonewatch_writes_total", {{"result", "updated"}}), 2);
  EXPECT_EQ(metrics.Total("bonewatch_writes_total"), 4);
  EXPECT_EQ(metrics.Value("bonewatch_writes_total", {{"result", "none"}}), 0);
  EXPECT_EQ(metrics.Value("bonewatch_unknown_total"), 0);
}

TEST(MetricsTest, UnlabelledSeriesHasNoBraces) {
  Metrics metrics;
  metrics.Increment("bonewatch_evaluations_total");
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# TYPE bonewatch_evaluations_total counter\n"
            "bonewatch_evaluations_total 1\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics metrics;
  metrics.DescribeGauge("g", "h");
  metrics.SetGauge("g", {{"reason", "a\"b\\c\nd"}}, 1.5);
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# HELP g h\n"
            "# TYPE g gauge\n"
            "g{reason=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

TEST(MetricsTest, SeveralLabelsKeepTheirOrder) {
  Metrics metrics;
  metrics.Increment("r", {{"method", "GET"}, {"status", "200"}});
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# TYPE r counter\n"
            "r{method=\"GET\",status=\"200\"} 1\n");
}

TEST(MetricsTest, GaugeIsSetNotAdded) {
  Metrics metrics;
  metrics.DescribeGauge("bonewatch_inbox_depth", "Items waiting.");
  metrics.SetGauge("bonewatch_inbox_depth", {}, 7);
  metrics.SetGauge("bonewatch_inbox_depth", {}, 3);
  EXPECT_EQ(metrics.Value("bonewatch_inbox_depth"), 3);
  EXPECT_NE(metrics.RenderPrometheus().find("bonewatch_inbox_depth 3\n"), std::string::npos);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Metrics metrics;
  metrics.DescribeHistogram("lat_seconds", "Latency.", {0.1, 0.5, 1});
  metrics.Observe("lat_seconds", {{"method", "GET"}}, 0.05);
  metrics.Observe("lat_seconds", {{"method", "GET"}}, 0.1);  // on the bound: le="0.1"
  metrics.Observe("lat_seconds", {{"method", "GET"}}, 0.7);
  metrics.Observe("lat_seconds", {{"method", "GET"}}, 3);  // only +Inf
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{method=\"GET\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{method=\"GET\",le=\"0.5\"} 2\n"
            "lat_seconds_bucket{method=\"GET\",le=\"1\"} 3\n"
            "lat_seconds_bucket{method=\"GET\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{method=\"GET\"} 3.85\n"
            "lat_seconds_count{method=\"GET\"} 4\n");
  EXPECT_EQ(metrics.Value("lat_seconds", {{"method", "GET"}}), 4);
}

TEST(MetricsTest, UnlabelledHistogramHasOnlyTheLeLabel) {
  Metrics metrics;
  metrics.DescribeHistogram("h", "", {1});
  metrics.Observe("h", {}, 2);
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\n"
            "h_bucket{le=\"+Inf\"} 1\n"
            "h_sum 2\n"
            "h_count 1\n");
}

TEST(MetricsTest, UndeclaredHistogramUsesDefaultLatencyBuckets) {
  Metrics metrics;
  metrics.Observe("h", {}, 0.02);
  const std::string text = metrics.RenderPrometheus();
  for (double bound : DefaultLatencyBuckets()) {
    char buf[64];
    const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, bound);  // shortest
    const std::string le(buf, r.ptr);
    EXPECT_NE(text.find("h_bucket{le=\"" + le + "\"}"), std::string::npos) << le;
  }
  EXPECT_NE(text.find("h_bucket{le=\"0.01\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("h_bucket{le=\"0.025\"} 1\n"), std::string::npos);
}

TEST(MetricsTest, FamiliesAreSortedByName) {
  Metrics metrics;
  metrics.Increment("b_total");
  metrics.Increment("a_total");
  EXPECT_EQ(metrics.RenderPrometheus(),
            "# TYPE a_total counter\na_total 1\n# TYPE b_total counter\nb_total 1\n");
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Metrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 1000; ++i) metrics.Increment("c_total", {{"k", "v"}});
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(metrics.Value("c_total", {{"k", "v"}}), 4000);
}

}  // namespace
}  // namespace bonewatch::adapter
