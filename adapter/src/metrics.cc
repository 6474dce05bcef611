#include "metrics.h"

#include <charconv>
#include <cstdio>
#include <sstream>

namespace bonewatch::adapter {
namespace {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// The shortest text that reads back as the same double ("0.1", not "0.10000000000000001").
std::string FormatNumber(double v) {
  char buf[64];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string LabelText(const MetricLabels& labels, const std::string& extra_key = "",
                      const std::string& extra_value = "") {
  if (labels.empty() && extra_key.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + EscapeLabelValue(v) + "\"";
  }
  if (!extra_key.empty()) {
    if (!first) out += ",";
    out += extra_key + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

}  // namespace

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Metrics::Family& Metrics::FamilyFor(std::string_view name, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.type = type;
    if (type == Type::kHistogram) it->second.bounds = DefaultLatencyBuckets();
  }
  return it->second;
}

void Metrics::DescribeCounter(std::string_view name, std::string_view help) {
  std::lock_guard lock(mutex_);
  FamilyFor(name, Type::kCounter).help = help;
}

void Metrics::DescribeGauge(std::string_view name, std::string_view help) {
  std::lock_guard lock(mutex_);
  FamilyFor(name, Type::kGauge).help = help;
}

void Metrics::DescribeHistogram(std::string_view name, std::string_view help,
                                std::vector<double> bucket_upper_bounds) {
  std::lock_guard lock(mutex_);
  Family& f = FamilyFor(name, Type::kHistogram);
  f.help = help;
  f.bounds = std::move(bucket_upper_bounds);
}

void Metrics::Increment(std::string_view name, const MetricLabels& labels, double by) {
  std::lock_guard lock(mutex_);
  FamilyFor(name, Type::kCounter).series[labels].value += by;
}

void Metrics::SetGauge(std::string_view name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mutex_);
  FamilyFor(name, Type::kGauge).series[labels].value = value;
}

void Metrics::Observe(std::string_view name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mutex_);
  Family& f = FamilyFor(name, Type::kHistogram);
  Series& s = f.series[labels];
  if (s.buckets.size() != f.bounds.size()) s.buckets.assign(f.bounds.size(), 0);
  for (size_t i = 0; i < f.bounds.size(); ++i) {
    if (value <= f.bounds[i]) ++s.buckets[i];
  }
  s.sum += value;
  ++s.count;
}

double Metrics::Value(std::string_view name, const MetricLabels& labels) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(labels);
  if (s == it->second.series.end()) return 0;
  return it->second.type == Type::kHistogram ? static_cast<double>(s->second.count)
                                             : s->second.value;
}

double Metrics::Total(std::string_view name) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  double total = 0;
  for (const auto& [labels, s] : it->second.series) {
    total += it->second.type == Type::kHistogram ? static_cast<double>(s.count) : s.value;
  }
  return total;
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    const char* type = f.type == Type::kCounter ? "counter"
                       : f.type == Type::kGauge ? "gauge"
                                                : "histogram";
    if (!f.help.empty()) out << "# HELP " << name << " " << f.help << "\n";
    out << "# TYPE " << name << " " << type << "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.type != Type::kHistogram) {
        out << name << LabelText(labels) << " " << FormatNumber(s.value) << "\n";
        continue;
      }
      for (size_t i = 0; i < f.bounds.size(); ++i) {
        out << name << "_bucket" << LabelText(labels, "le", FormatNumber(f.bounds[i])) << " "
            << (i < s.buckets.size() ? s.buckets[i] : 0) << "\n";
      }
      out << name << "_bucket" << LabelText(labels, "le", "+Inf") << " " << s.count << "\n";
      out << name << "_sum" << LabelText(labels) << " " << FormatNumber(s.sum) << "\n";
      out << name << "_count" << LabelText(labels) << " " << s.count << "\n";
    }
  }
  return out.str();
}

}  // namespace bonewatch::adapter
