// deploy/Dockerfile, checked without a Docker engine: the paths, ports, user and packages it
// names agree with the configuration defaults, the example configuration, the data-file lookup
// of the binary (BONEWATCH_DATA_DIR) and the shared libraries the built binary links.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/mappings/default_dir.h"
#include "config.h"
#include "deploy_test_util.h"
#include "ruleset_file.h"

namespace bonewatch::deploy_testing {
namespace {

using ::testing::HasSubstr;

// One instruction per entry (continuation lines joined, comments dropped), per stage.
struct Stage {
  std::string from;
  std::vector<std::string> instructions;
};

std::vector<Stage> ParseDockerfile(const std::string& text) {
  std::vector<Stage> stages;
  std::istringstream lines(text);
  std::string line;
  std::string pending;
  while (std::getline(lines, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    pending += line.substr(start);
    if (!pending.empty() && pending.back() == '\\') {
      pending.pop_back();
      pending += ' ';
      continue;
    }
    if (pending.starts_with("FROM ")) {
      stages.push_back(Stage{pending.substr(5), {}});
    } else if (!stages.empty()) {
      stages.back().instructions.push_back(pending);
    }
    pending.clear();
  }
  return stages;
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

// The instructions of `stage` that start with `keyword` (without it).
std::vector<std::string> Find(const Stage& stage, const std::string& keyword) {
  std::vector<std::string> found;
  for (const std::string& i : stage.instructions) {
    if (i.starts_with(keyword + " ")) found.push_back(i.substr(keyword.size() + 1));
  }
  return found;
}

// Packages after "apt-get install ... " up to the next "&&".
std::set<std::string> AptPackages(const Stage& stage) {
  std::set<std::string> packages;
  for (const std::string& run : Find(stage, "RUN")) {
    const size_t at = run.find("apt-get install");
    if (at == std::string::npos) continue;
    const size_t end = run.find("&&", at);
    for (const std::string& w : Words(run.substr(at, end - at))) {
      if (w != "apt-get" && w != "install" && !w.starts_with("-")) packages.insert(w);
    }
  }
  return packages;
}

class DockerfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stages_ = ParseDockerfile(ReadFile(SourcePath("deploy/Dockerfile")));
    ASSERT_EQ(stages_.size(), 2u);
    TempDir dir;
    WriteFile(dir / "c", "x");
    auto example = adapter::LoadConfig(SourcePath("deploy/bonewatch.example.json"),
                                       {{"BONEWATCH_SMART_PRIVATE_KEY", "k"},
                                        {"BONEWATCH_NOTIFY_SECRET", "s"},
                                        {"BONEWATCH_NOTIFY_TLS_CERT_FILE", dir / "c"},
                                        {"BONEWATCH_NOTIFY_TLS_KEY_FILE", dir / "c"}});
    ASSERT_TRUE(example.ok()) << example.status().message();
    example_ = *example;
  }
  const Stage& build() const { return stages_[0]; }
  const Stage& runtime() const { return stages_[1]; }
  std::string One(const std::string& keyword) const {
    const std::vector<std::string> found = Find(runtime(), keyword);
    EXPECT_EQ(found.size(), 1u) << keyword;
    return found.empty() ? "" : found[0];
  }

  std::vector<Stage> stages_;
  std::shared_ptr<const adapter::Config> example_;
  const adapter::Config defaults_;
};

TEST_F(DockerfileTest, BothStagesAreDebian12) {
  EXPECT_EQ(build().from, "debian:12 AS build");
  EXPECT_EQ(runtime().from, "debian:12 AS runtime");
  EXPECT_THAT(Find(build(), "RUN").back(), HasSubstr("-DCMAKE_BUILD_TYPE=Release"));
}

TEST_F(DockerfileTest, RuntimeInstallsEveryLibraryTheBinaryLinksAndNoDevPackages) {
  const std::set<std::string> runtime_packages = AptPackages(runtime());
  EXPECT_EQ(runtime_packages.count("ca-certificates"), 1u);
  // Read at run time, not linked: the IANA zones of `timeZone` (docs/configuration.md).
  EXPECT_EQ(runtime_packages.count("tzdata"), 1u);
  for (const std::string& p : runtime_packages) {
    EXPECT_FALSE(p.ends_with("-dev")) << p;
    EXPECT_NE(p, "curl") << "no curl in the image: HEALTHCHECK uses bonewatch healthcheck";
    EXPECT_NE(p, "wget");
  }
  // The packages of the libraries the built binary names in its NEEDED entries.
  const CommandResult needed =
      RunShell("for lib in $(readelf -d " + Quote(BONEWATCH_BINARY) +
               " | sed -n 's/.*Shared library: \\[\\(.*\\)\\]/\\1/p'); do"
               " path=$(ldd " +
               Quote(BONEWATCH_BINARY) +
               " | awk -v l=\"$lib\" '$1 == l {print $3}');"
               " dpkg -S \"$(readlink -f \"$path\")\" 2>/dev/null || dpkg -S \"$path\"; done"
               " | cut -d: -f1 | sort -u");
  ASSERT_EQ(needed.status, 0) << needed.output;
  // In debian:12 itself (Essential/priority required), or only in the sanitizer CI build.
  const std::set<std::string> base = {"libc6", "libstdc++6", "libgcc-s1", "libasan8", "libubsan1"};
  std::istringstream packages(needed.output);
  std::string package;
  int checked = 0;
  while (std::getline(packages, package)) {
    if (package.empty() || base.count(package) != 0) continue;
    ++checked;
    EXPECT_EQ(runtime_packages.count(package), 1u)
        << "the binary links a library of '" << package << "', not installed in the runtime stage";
  }
  EXPECT_GE(checked, 8) << needed.output;  // the Poco libraries and libcurl at least
}

TEST_F(DockerfileTest, UserIsNonRootWithAFixedUid) {
  EXPECT_EQ(One("USER"), "10001:10001");
  const std::string runs = Find(runtime(), "RUN")[1];
  EXPECT_THAT(runs, HasSubstr("useradd --system --uid 10001 --gid 10001"));
  EXPECT_THAT(runs, HasSubstr("install -d -o 10001 -g 10001 -m 0750 /var/lib/bonewatch"));
}

TEST_F(DockerfileTest, StateVolumeHoldsTheStore) {
  const std::string state_dir = std::filesystem::path(defaults_.store.path).parent_path().string();
  EXPECT_EQ(state_dir, "/var/lib/bonewatch");
  EXPECT_EQ(std::filesystem::path(example_->store.path).parent_path().string(), state_dir);
  EXPECT_EQ(One("VOLUME"), "[\"" + state_dir + "\"]");
  EXPECT_EQ(One("WORKDIR"), state_dir);
}

TEST_F(DockerfileTest, ExposedPortsAreTheConfiguredOnes) {
  EXPECT_EQ(example_->notifications.port, defaults_.notifications.port);
  EXPECT_EQ(example_->ops.port, defaults_.ops.port);
  EXPECT_EQ(One("EXPOSE"), std::to_string(example_->notifications.port) + " " +
                               std::to_string(example_->ops.port));
  // Reachable from outside the container.
  EXPECT_EQ(example_->notifications.listen_address, "0.0.0.0");
  EXPECT_EQ(example_->ops.listen_address, "0.0.0.0");
}

TEST_F(DockerfileTest, ConfigPathAndHealthcheckAgree) {
  const std::string config = "/etc/bonewatch/bonewatch.json";
  EXPECT_EQ(One("CMD"), "[\"run\", \"--config\", \"" + config + "\"]");
  EXPECT_EQ(One("ENTRYPOINT"), "[\"/usr/bin/bonewatch\"]");
  EXPECT_THAT(One("HEALTHCHECK"),
              HasSubstr("CMD [\"/usr/bin/bonewatch\", \"healthcheck\", \"--config\", \"" + config +
                        "\", \"--path\", \"/healthz\"]"));
  bool example_copied = false;
  bool binary_copied = false;
  for (const std::string& copy : Find(runtime(), "COPY")) {
    example_copied |= copy == "deploy/bonewatch.example.json " + config;
    binary_copied |= copy == "--from=build /build/adapter/bonewatch /usr/bin/bonewatch";
  }
  EXPECT_TRUE(example_copied);
  EXPECT_TRUE(binary_copied);
  EXPECT_THAT(Find(build(), "RUN").back(), HasSubstr("cmake --build /build --target bonewatch"));
  // The healthcheck subcommand exists in the binary.
  EXPECT_THAT(RunShell(std::string(BONEWATCH_BINARY) + " help").output, HasSubstr("healthcheck"));
}

TEST_F(DockerfileTest, DataFilesAreWhereTheBinaryLooks) {
  const std::string env = One("ENV");
  ASSERT_TRUE(env.starts_with("BONEWATCH_DATA_DIR=")) << env;
  const std::string data_dir = env.substr(env.find('=') + 1);
  std::string rules_dest;
  std::string mappings_dest;
  for (const std::string& copy : Find(runtime(), "COPY")) {
    const std::vector<std::string> w = Words(copy);
    if (w.size() != 2) continue;
    if (w[0] == "rules/default-rules.json") rules_dest = w[1];
    if (w[0] == "mappings/default/") mappings_dest = w[1];
    // Every source is in the repository and in the build context.
    EXPECT_TRUE(std::filesystem::exists(SourcePath(w[0]))) << w[0];
    EXPECT_FALSE(w[0].starts_with("tests/")) << "tests/ is in .dockerignore";
  }
  const char* saved = std::getenv("BONEWATCH_DATA_DIR");
  const std::string restore = saved == nullptr ? "" : saved;
  ::setenv("BONEWATCH_DATA_DIR", data_dir.c_str(), 1);
  const std::string rules = adapter::DefaultRuleSetPath();
  const std::string mappings = mappings::DefaultMappingsDir("/nowhere");
  if (saved == nullptr) {
    ::unsetenv("BONEWATCH_DATA_DIR");
  } else {
    ::setenv("BONEWATCH_DATA_DIR", restore.c_str(), 1);
  }
  EXPECT_EQ(rules_dest, rules);
  EXPECT_EQ(mappings_dest, mappings + "/");
  // The systemd unit sets the same directory.
  EXPECT_THAT(ReadFile(SourcePath("deploy/systemd/bonewatch.service")),
              HasSubstr("Environment=BONEWATCH_DATA_DIR=" + data_dir + "\n"));
}

TEST_F(DockerfileTest, DockerignoreKeepsWhatTheBuildNeeds) {
  const std::string ignore = ReadFile(SourcePath(".dockerignore"));
  for (const char* needed : {"adapter", "fhir", "rules", "mappings", "deploy", "CMakeLists.txt"}) {
    EXPECT_THAT(ignore, ::testing::Not(HasSubstr(std::string("\n") + needed + "\n"))) << needed;
  }
  EXPECT_THAT(ignore, HasSubstr("**/node_modules"));
  EXPECT_THAT(ignore, HasSubstr("build*/"));
}

}  // namespace
}  // namespace bonewatch::deploy_testing
