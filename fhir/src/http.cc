#include "bonewatch/fhir/http.h"

#include <algorithm>
#include <cctype>

namespace bonewatch::fhir {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string_view UrlPath(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::size_t start = scheme == std::string_view::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string_view::npos) return {};
  std::string_view rest = url.substr(start);
  return rest.substr(0, rest.find_first_of("?#"));
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return Lower(x) < Lower(y); });
}

void HttpHeaders::Set(std::string_view name, std::string_view value) {
  auto it = map_.find(name);
  if (it == map_.end()) {
    map_.emplace(std::string(name), std::string(value));
  } else {
    it->second.assign(value);
  }
}

void HttpHeaders::Add(std::string_view name, std::string_view value) {
  auto it = map_.find(name);
  if (it == map_.end()) {
    map_.emplace(std::string(name), std::string(value));
  } else {
    it->second.append(", ").append(value);
  }
}

void HttpHeaders::Remove(std::string_view name) {
  auto it = map_.find(name);
  if (it != map_.end()) map_.erase(it);
}

std::optional<std::string> HttpHeaders::Get(std::string_view name) const {
  auto it = map_.find(name);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

bool IsIdempotent(const HttpRequest& request) {
  const std::string& m = request.method;
  if (EqualsIgnoreCase(m, "GET") || EqualsIgnoreCase(m, "HEAD") || EqualsIgnoreCase(m, "OPTIONS") ||
      EqualsIgnoreCase(m, "PUT") || EqualsIgnoreCase(m, "DELETE")) {
    return true;
  }
  if (EqualsIgnoreCase(m, "POST")) {
    if (request.headers.Has("If-None-Exist")) return true;
    std::string_view path = UrlPath(request.url);
    constexpr std::string_view kSearch = "/_search";
    return path.size() >= kSearch.size() && path.substr(path.size() - kSearch.size()) == kSearch;
  }
  return false;
}

std::string DescribeRequest(std::string_view method, std::string_view url) {
  std::string out(method);
  out += ' ';
  std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    std::size_t authority_end = url.find_first_of("/?#", scheme + 3);
    std::string_view authority = url.substr(scheme + 3, authority_end == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : authority_end - scheme - 3);
    std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      out.append(url.substr(0, scheme + 3));
      out.append(url.substr(scheme + 3 + at + 1));
      return out;
    }
  }
  out.append(url);
  return out;
}

}  // namespace bonewatch::fhir
