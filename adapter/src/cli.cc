#include "cli.h"

#include <iostream>
#include <string>
#include <string_view>

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kUsage =
    "usage: bonewatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  version        print the version\n"
    "  help           print this help\n";

}  // namespace

int RunCli(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "version" || command == "--version") {
    std::cout << "bonewatch " << BONEWATCH_VERSION << "\n";
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "bonewatch: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

}  // namespace bonewatch::adapter
