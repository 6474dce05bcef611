#include "ucum.h"

#include <array>
#include <cctype>

namespace bonewatch::mappings::internal {
namespace {

// Metric atoms (may take a prefix) and non-metric atoms (may not).
constexpr std::array<std::string_view, 12> kMetricAtoms = {
    "g", "L", "l", "mol", "m", "s", "U", "[IU]", "[iU]", "eq", "kat", "osm"};
constexpr std::array<std::string_view, 8> kPlainAtoms = {"min", "h", "d", "wk",
                                                         "mo",  "a", "%", "10*3"};
constexpr std::array<std::string_view, 20> kPrefixes = {"Y", "Z", "E",  "P", "T", "G", "M",
                                                        "k", "h", "da", "d", "c", "m", "u",
                                                        "n", "p", "f",  "a", "z", "y"};

bool IsAtom(std::string_view s, bool& metric) {
  for (auto a : kMetricAtoms) {
    if (s == a) return metric = true;
  }
  for (auto a : kPlainAtoms) {
    if (s == a) {
      metric = false;
      return true;
    }
  }
  return false;
}

bool IsSimpleUnit(std::string_view s) {
  bool metric = false;
  if (IsAtom(s, metric)) return true;
  for (auto p : kPrefixes) {
    if (s.size() > p.size() && s.starts_with(p) && IsAtom(s.substr(p.size()), metric) && metric) {
      return true;
    }
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::string Run() {
    if (pos_ < text_.size() && text_[pos_] == '/') ++pos_;  // "/min"
    std::string error = Term();
    if (error.empty() && pos_ != text_.size()) {
      error = "unexpected '" + std::string(1, text_[pos_]) + "'";
    }
    return error;
  }

 private:
  std::string Term() {
    std::string error = Component();
    while (error.empty() && pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == '/')) {
      ++pos_;
      error = Component();
    }
    return error;
  }

  std::string Component() {
    if (pos_ >= text_.size()) return "a unit is missing at the end";
    if (text_[pos_] == '{') return Annotation();
    if (text_[pos_] == '(') {
      ++pos_;
      std::string error = Term();
      if (!error.empty()) return error;
      if (pos_ >= text_.size() || text_[pos_] != ')') return "unbalanced '('";
      ++pos_;
      return "";
    }
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '[') {
        const size_t close = text_.find(']', pos_);
        if (close == std::string_view::npos) return "unbalanced '['";
        pos_ = close + 1;
        continue;
      }
      if (c == '.' || c == '/' || c == '{' || c == '(' || c == ')' ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') {
        break;
      }
      if (c == '*' || std::isspace(static_cast<unsigned char>(c))) break;
      ++pos_;
    }
    std::string_view symbol = text_.substr(start, pos_ - start);
    if (symbol.empty()) {
      // A pure number ("1", "10*3").
      const size_t digits = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      if (pos_ == digits) return "unexpected '" + std::string(1, text_[pos_]) + "'";
      if (pos_ < text_.size() && text_[pos_] == '*') {
        ++pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      }
    } else {
      if (!IsSimpleUnit(symbol)) return "'" + std::string(symbol) + "' is not a UCUM unit";
      // Optional exponent.
      size_t p = pos_;
      if (p < text_.size() && (text_[p] == '-' || text_[p] == '+')) ++p;
      const size_t digits = p;
      while (p < text_.size() && std::isdigit(static_cast<unsigned char>(text_[p]))) ++p;
      if (p > digits) pos_ = p;
    }
    if (pos_ < text_.size() && text_[pos_] == '{') return Annotation();
    return "";
  }

  std::string Annotation() {
    const size_t close = text_.find('}', pos_);
    if (close == std::string_view::npos) return "unbalanced '{'";
    pos_ = close + 1;
    return "";
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string CheckUcumUnit(std::string_view unit) {
  if (unit.empty()) return "";
  for (char c : unit) {
    if (std::isspace(static_cast<unsigned char>(c))) return "a UCUM unit has no spaces";
  }
  return Parser(unit).Run();
}

}  // namespace bonewatch::mappings::internal
