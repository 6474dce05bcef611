// deploy/systemd/bonewatch.service: `systemd-analyze verify` accepts it without a single
// warning, and it says what the brief and docs/operations.md promise (command line, state
// directory = the store's directory, no restart loop on configuration errors, hardening).
//
// `systemd-analyze verify` also checks that ExecStart's binary exists. /usr/bin/bonewatch is not
// installed on a build machine, so the verified copy differs from the file in one line only:
// ExecStart points at the binary just built. The original's ExecStart is checked as text.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "config.h"
#include "deploy_test_util.h"
#include "run_services.h"

namespace bonewatch::deploy_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kUnit = SourcePath("deploy/systemd/bonewatch.service");
constexpr char kExecStart[] =
    "ExecStart=/usr/bin/bonewatch run --config /etc/bonewatch/bonewatch.json";

// The unit's "Key=value" lines (comments and sections dropped).
std::multiset<std::string> Lines(const std::string& text) {
  std::multiset<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    lines.insert(line);
  }
  return lines;
}

std::string WithBuiltBinary(const std::string& unit) {
  std::string copy = unit;
  const size_t at = copy.find(kExecStart);
  if (at == std::string::npos) return copy;
  copy.replace(at, std::string("ExecStart=/usr/bin/bonewatch").size(),
               std::string("ExecStart=") + BONEWATCH_BINARY);
  return copy;
}

CommandResult Verify(const std::string& unit_text, const TempDir& dir) {
  const std::string path = dir / "bonewatch.service";
  WriteFile(path, unit_text);
  return RunShell("cd " + Quote(dir.path()) + " && systemd-analyze verify ./bonewatch.service");
}

TEST(SystemdUnit, VerifiesWithoutWarnings) {
  TempDir dir;
  const std::string unit = ReadFile(kUnit);
  ASSERT_THAT(unit, HasSubstr(kExecStart));
  const CommandResult verified = Verify(WithBuiltBinary(unit), dir);
  EXPECT_EQ(verified.status, 0) << verified.output;
  EXPECT_THAT(verified.output, IsEmpty());
}

TEST(SystemdUnit, VerifyReallyChecks) {
  // The same check on broken copies fails or warns: the test above is not vacuous.
  TempDir dir;
  const std::string unit = WithBuiltBinary(ReadFile(kUnit));
  std::string typo = unit;
  typo.replace(typo.find("ProtectSystem=strict"), 20, "ProtectSystem=stirct");
  EXPECT_THAT(Verify(typo, dir).output, HasSubstr("stirct"));
  const CommandResult missing_binary = Verify(ReadFile(kUnit), dir);  // /usr/bin/bonewatch
  if (!std::filesystem::exists("/usr/bin/bonewatch")) {
    EXPECT_NE(missing_binary.status, 0) << missing_binary.output;
    EXPECT_THAT(missing_binary.output, HasSubstr("/usr/bin/bonewatch"));
  }
}

TEST(SystemdUnit, RunsTheDaemonWithItsStateInTheStoreDirectory) {
  const std::multiset<std::string> lines = Lines(ReadFile(kUnit));
  EXPECT_EQ(lines.count(kExecStart), 1u);
  EXPECT_EQ(lines.count("Type=simple"), 1u);
  // StateDirectory=bonewatch is /var/lib/bonewatch, the store's default directory.
  const adapter::Config defaults;
  EXPECT_EQ(std::filesystem::path(defaults.store.path).parent_path().string(),
            "/var/lib/bonewatch");
  EXPECT_EQ(lines.count("StateDirectory=bonewatch"), 1u);
  EXPECT_EQ(lines.count("WorkingDirectory=/var/lib/bonewatch"), 1u);
  // Configuration errors exit 78 and must not restart-loop; other failures restart.
  EXPECT_EQ(adapter::kExitConfig, 78);
  EXPECT_EQ(lines.count("Restart=on-failure"), 1u);
  EXPECT_EQ(lines.count("RestartPreventExitStatus=" + std::to_string(adapter::kExitConfig)), 1u);
  // The stop timeout leaves the daemon its default grace period.
  EXPECT_EQ(lines.count("TimeoutStopSec=30s"), 1u);
  EXPECT_LT(defaults.shutdown_grace_seconds, 30);
}

TEST(SystemdUnit, IsHardened) {
  const std::multiset<std::string> lines = Lines(ReadFile(kUnit));
  for (const char* required :
       {"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
        "PrivateTmp=yes", "PrivateDevices=yes", "CapabilityBoundingSet=", "AmbientCapabilities=",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
        "SystemCallArchitectures=native", "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
        "ProtectControlGroups=yes", "RestrictNamespaces=yes", "RestrictSUIDSGID=yes",
        "LockPersonality=yes", "MemoryDenyWriteExecute=yes", "UMask=0077"}) {
    EXPECT_EQ(lines.count(required), 1u) << required;
  }
  // Secrets are not in the unit: only credential files and an optional environment file.
  for (const std::string& line : lines) {
    if (line.starts_with("Environment=")) {
      EXPECT_THAT(line, ::testing::Not(HasSubstr("SECRET"))) << line;
      EXPECT_THAT(line, ::testing::Not(HasSubstr("TOKEN"))) << line;
    }
  }
  EXPECT_EQ(lines.count("EnvironmentFile=-/etc/bonewatch/bonewatch.env"), 1u);
}

}  // namespace
}  // namespace bonewatch::deploy_testing
