#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include "bonewatch/fhir/datetime.h"
#include "commands.h"
#include "run_services.h"

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kUsage =
    "usage: bonewatch dead-letters list --config FILE [--limit N]\n"
    "       bonewatch dead-letters replay --config FILE (ID... | --all)\n";

std::string Clip(const std::string& text, size_t width) {
  std::string one_line = text;
  for (char& c : one_line) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return one_line.size() <= width ? one_line : one_line.substr(0, width - 1) + "~";
}

int List(Store& store, size_t limit) {
  auto letters = store.ListDeadLetters(limit);
  if (!letters.ok()) {
    std::cerr << "bonewatch dead-letters: " << letters.status().message() << "\n";
    return 1;
  }
  std::cout << std::left << std::setw(6) << "ID"
            << "  " << std::setw(24) << "CREATED"
            << "  " << std::setw(9) << "ORIGIN"
            << "  " << std::setw(36) << "RESOURCE"
            << "  " << std::setw(5) << "SEEN"
            << "  "
            << "REASON\n";
  for (const DeadLetter& d : *letters) {
    std::cout << std::left << std::setw(6) << d.id << "  " << std::setw(24) << d.created_at << "  "
              << std::setw(9) << d.origin << "  " << std::setw(36)
              << Clip(d.resource.empty() ? "-" : d.resource, 36) << "  " << std::setw(5)
              << d.times_seen << "  " << Clip(d.reason_code + ": " + d.reason, 200) << "\n";
  }
  auto depth = store.DeadLetterDepth();
  std::cout << letters->size() << " dead letter(s) shown";
  if (depth.ok()) std::cout << " of " << *depth;
  std::cout << "\n";
  return 0;
}

int Replay(DaemonServices& s, const std::vector<int64_t>& ids, bool all) {
  std::vector<int64_t> todo = ids;
  if (all) {
    auto letters = s.store->ListDeadLetters(1000000);
    if (!letters.ok()) {
      std::cerr << "bonewatch dead-letters: " << letters.status().message() << "\n";
      return 1;
    }
    for (const DeadLetter& d : *letters) todo.push_back(d.id);
  }
  int failures = 0;
  for (int64_t id : todo) {
    auto letter = s.store->TakeDeadLetter(id);
    if (!letter.ok()) {
      std::cerr << "bonewatch dead-letters: replay " << id << ": " << letter.status().message()
                << "\n";
      ++failures;
      continue;
    }
    InboxItem item;
    item.received_at = fhir::FormatInstant(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               s.system_clock.Now().time_since_epoch())
                                               .count());
    item.origin = "replay";
    item.headers_json = "{}";
    item.body = letter->payload;
    item.hint = letter->resource;
    auto inbox_id = s.store->Enqueue(item);
    if (!inbox_id.ok()) {
      // Put it back so that nothing is lost.
      (void)s.store->AddDeadLetter(*letter);
      std::cerr << "bonewatch dead-letters: replay " << id << ": " << inbox_id.status().message()
                << "\n";
      ++failures;
      continue;
    }
    std::cout << "dead letter " << id << " -> inbox item " << *inbox_id
              << (letter->resource.empty() ? "" : " (" + letter->resource + ")") << "\n";
  }
  std::cout << (todo.size() - static_cast<size_t>(failures)) << " replayed, " << failures
            << " failed\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace

int DeadLettersCommand(const std::vector<std::string_view>& args) {
  if (args.empty() || (args[0] != "list" && args[0] != "replay")) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const bool replay = args[0] == "replay";
  std::string config_path;
  size_t limit = 100;
  bool all = false;
  std::vector<int64_t> ids;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string arg(args[i]);
    if (arg == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (!replay && arg == "--limit" && i + 1 < args.size()) {
      limit = std::strtoull(std::string(args[++i]).c_str(), nullptr, 10);
    } else if (replay && arg == "--all") {
      all = true;
    } else if (replay && !arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
      ids.push_back(std::stoll(arg));
    } else {
      std::cerr << "bonewatch dead-letters: unexpected argument '" << arg << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  if (config_path.empty() || (replay && ids.empty() && !all) || (all && !ids.empty())) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  ServicesOptions options;
  options.config_path = config_path;
  options.with_pipeline = false;
  options.log_level = LogLevel::kWarning;
  auto services = OpenServices(options);
  if (!services.ok()) {
    std::cerr << "bonewatch dead-letters: " << services.status().message() << "\n";
    return services.status().code() == StatusCode::kInvalidArgument ? kExitConfig : 1;
  }
  return replay ? Replay(**services, ids, all) : List(*(*services)->store, limit);
}

}  // namespace bonewatch::adapter
