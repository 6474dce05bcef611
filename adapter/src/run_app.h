// DaemonApp: the Poco ServerApplication behind `bonewatch run` (run_command.h
// has the contract). Values come in through RunOptions; nothing reads
// Application::instance().
//
// Thread-safety: run from main() only.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <optional>
#include <string>
#include <vector>

#include "bonewatch/rules/date.h"

namespace bonewatch::adapter {

struct RunOptions {
  std::string config_path;
  std::optional<rules::Date> as_of;  // TEST-ONLY
};

class DaemonApp final : public Poco::Util::ServerApplication {
 public:
  explicit DaemonApp(RunOptions options) : options_(std::move(options)) {}

 protected:
  int main(const std::vector<std::string>& args) override;

 private:
  RunOptions options_;
};

}  // namespace bonewatch::adapter
