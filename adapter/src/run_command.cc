#include "run_command.h"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <string>

#include "run_app.h"
#include "run_services.h"

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kRunUsage =
    "usage: bonewatch run --config FILE [--daemon] [--pidfile FILE]\n"
    "  runs the daemon in the foreground (systemd, Kubernetes); --daemon detaches.\n"
    "  SIGTERM/SIGINT drain in-flight work and exit 0 within shutdownGraceSeconds.\n";

// Blocks the termination signals in this thread before any other thread
// exists, so every thread inherits the mask and only
// ServerApplication::waitForTerminationRequest (sigwait) receives them.
void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int RunCommand(const std::vector<std::string_view>& args) {
  RunOptions options;
  std::string as_of_flag;
  std::vector<std::string> app_args = {"bonewatch"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if ((arg == "--config" || arg == "-c") && i + 1 < args.size()) {
      options.config_path = args[++i];
    } else if (arg.starts_with("--config=")) {
      options.config_path = arg.substr(9);
    } else if (arg == "--as-of" && i + 1 < args.size()) {  // TEST-ONLY
      as_of_flag = args[++i];
    } else if (arg == "--daemon") {
      app_args.emplace_back("--daemon");
    } else if (arg == "--pidfile" && i + 1 < args.size()) {
      app_args.emplace_back("--pidfile=" + std::string(args[++i]));
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kRunUsage;
      return 0;
    } else {
      std::cerr << "bonewatch run: unexpected argument '" << arg << "'\n" << kRunUsage;
      return kExitUsage;
    }
  }
  if (options.config_path.empty()) {
    std::cerr << "bonewatch run: --config FILE is required\n" << kRunUsage;
    return kExitUsage;
  }
  // --daemon changes the working directory to "/": resolve the path first.
  std::error_code ignored;
  const std::filesystem::path absolute = std::filesystem::absolute(options.config_path, ignored);
  if (!absolute.empty()) options.config_path = absolute.string();
  auto as_of = ResolveAsOf(as_of_flag);
  if (!as_of.ok()) {
    std::cerr << "bonewatch run: " << as_of.status().message() << "\n";
    return kExitUsage;
  }
  options.as_of = *as_of;

  BlockTerminationSignals();
  std::vector<char*> argv;
  for (std::string& a : app_args) argv.push_back(a.data());
  DaemonApp app(std::move(options));
  try {
    return app.run(static_cast<int>(argv.size()), argv.data());
  } catch (const std::exception& e) {
    std::cerr << "bonewatch run: " << e.what() << "\n";
    return kExitSoftware;
  }
}

}  // namespace bonewatch::adapter
