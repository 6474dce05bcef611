// deploy/kubernetes/*.yaml, read with a real YAML parser (PyYAML through /usr/bin/python3) and
// checked against the configuration schema: the ConfigMap's bonewatch.json passes
// `bonewatch check-config` with the pod's mounts laid out in a temp dir and the pod's
// environment; ports and paths in probes, Services and volume mounts match the configuration;
// every BONEWATCH_* variable is an override the parser knows; the pod is locked down.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "config.h"
#include "deploy_test_util.h"
#include "ingest_server_access.h"

namespace bonewatch::deploy_testing {
namespace {

using fhir::Json;
using ::testing::HasSubstr;

std::string Str(const Json* j) { return j != nullptr && j->is_string() ? j->AsString() : ""; }
int64_t Int(const Json* j) {
  return j != nullptr && j->is_number() ? j->AsInt64().value_or(-1) : -1;
}
const std::vector<Json>& Items(const Json* j) {
  static const std::vector<Json> kNone;
  return j != nullptr && j->is_array() ? j->elements() : kNone;
}

class KubernetesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = SourcePath("deploy/kubernetes");
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".yaml") continue;
      for (Json& doc : YamlDocuments(entry.path().string())) {
        const std::string key = Str(doc.Find("kind")) + "/" + Str(doc.At({"metadata", "name"}));
        ASSERT_EQ(objects_.count(key), 0u) << "duplicate " << key;
        objects_[key] = std::move(doc);
      }
    }
    ASSERT_EQ(objects_.count("Deployment/bonewatch"), 1u);
    const Json& deployment = objects_["Deployment/bonewatch"];
    pod_ = deployment.At({"spec", "template", "spec"});
    ASSERT_NE(pod_, nullptr);
    ASSERT_EQ(Items(pod_->Find("containers")).size(), 1u);
    container_ = &Items(pod_->Find("containers"))[0];
    LayOutPod();
  }

  const Json& Object(const std::string& key) {
    EXPECT_EQ(objects_.count(key), 1u) << key;
    return objects_[key];
  }
  // The value of the Secret key (stringData).
  std::string SecretValue(const std::string& secret, const std::string& key) {
    return Str(Object("Secret/" + secret).At({"stringData", key}));
  }
  int ContainerPort(const std::string& name) const {
    for (const Json& p : Items(container_->Find("ports"))) {
      if (Str(p.Find("name")) == name) return static_cast<int>(Int(p.Find("containerPort")));
    }
    return -1;
  }
  std::string MountPath(const std::string& volume) const {
    for (const Json& m : Items(container_->Find("volumeMounts"))) {
      if (Str(m.Find("name")) == volume) return Str(m.Find("mountPath"));
    }
    return "";
  }
  const Json* Volume(const std::string& name) const {
    for (const Json& v : Items(pod_->Find("volumes"))) {
      if (Str(v.Find("name")) == name) return &v;
    }
    return nullptr;
  }

  // The pod's file system under root_: every ConfigMap/Secret volume's files at its mountPath,
  // and the pod's environment in env_. The config file's absolute paths are re-rooted there.
  void LayOutPod() {
    for (const Json& m : Items(container_->Find("volumeMounts"))) {
      const Json* volume = Volume(Str(m.Find("name")));
      ASSERT_NE(volume, nullptr) << Str(m.Find("name"));
      std::string kind;
      std::string name;
      if (const Json* cm = volume->Find("configMap")) {
        kind = "ConfigMap";
        name = Str(cm->Find("name"));
      } else if (const Json* s = volume->Find("secret")) {
        kind = "Secret";
        name = Str(s->Find("secretName"));
      } else {
        continue;
      }
      const Json& source = Object(kind + "/" + name);
      const Json* data = source.Find(kind == "Secret" ? "stringData" : "data");
      ASSERT_NE(data, nullptr) << name;
      const Json* items =
          (kind == "Secret" ? volume->Find("secret") : volume->Find("configMap"))->Find("items");
      for (const Json::Member& entry : data->members()) {
        std::string file = entry.key;
        if (items != nullptr) {
          file.clear();
          for (const Json& item : Items(items)) {
            if (Str(item.Find("key")) == entry.key) file = Str(item.Find("path"));
          }
          if (file.empty()) continue;
        }
        WriteFile(root_.path() + Str(m.Find("mountPath")) + "/" + file, Str(&entry.value));
      }
    }
    for (const Json& e : Items(container_->Find("env"))) {
      const std::string name = Str(e.Find("name"));
      if (const Json* ref = e.At({"valueFrom", "secretKeyRef"})) {
        env_[name] = SecretValue(Str(ref->Find("name")), Str(ref->Find("key")));
      } else {
        env_[name] = Str(e.Find("value"));
      }
    }
    config_path_ = root_.path() + "/etc/bonewatch/bonewatch.json";
    auto config_json = Json::Parse(ReadFile(config_path_));
    ASSERT_TRUE(config_json.ok()) << config_json.status().message();
    config_json_ = *config_json;
    Json rerooted = Reroot(config_json_);
    WriteFile(config_path_, rerooted.Serialize());
    auto config = adapter::ParseConfig(rerooted.Serialize(), config_path_, env_);
    ASSERT_TRUE(config.ok()) << config.status().message();
    config_ = *config;
  }
  Json Reroot(const Json& j) const {
    if (j.is_string() && j.AsString().starts_with("/")) return Json(root_.path() + j.AsString());
    if (!j.is_object()) return j;
    Json out = Json::Object();
    for (const Json::Member& m : j.members()) out.Set(m.key, Reroot(m.value));
    return out;
  }
  // A path of the config file as the pod sees it.
  std::string PodPath(std::initializer_list<std::string_view> key) const {
    return Str(config_json_.At(key));
  }

  std::map<std::string, Json> objects_;
  const Json* pod_ = nullptr;
  const Json* container_ = nullptr;
  TempDir root_;
  std::map<std::string, std::string> env_;
  std::string config_path_;
  Json config_json_;
  std::shared_ptr<const adapter::Config> config_;
};

TEST_F(KubernetesTest, EveryFileParsesAndHasKnownKinds) {
  std::set<std::string> kinds;
  for (const auto& [key, doc] : objects_) {
    kinds.insert(Str(doc.Find("kind")));
    EXPECT_FALSE(Str(doc.Find("apiVersion")).empty()) << key;
    EXPECT_EQ(Str(doc.At({"metadata", "labels", "app.kubernetes.io/name"})), "bonewatch") << key;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"ConfigMap", "Deployment", "PersistentVolumeClaim",
                                          "Secret", "Service", "ServiceMonitor"}));
}

TEST_F(KubernetesTest, ConfigMapPassesCheckConfigWithThePodsMountsAndEnvironment) {
  const CommandResult check = RunShell(
      std::string(BONEWATCH_BINARY) + " check-config --config " + Quote(config_path_), env_);
  EXPECT_EQ(check.status, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("labs.json: OK (ConceptMap hospital-labs"));
  // The container runs that file.
  std::vector<std::string> args;
  for (const Json& a : Items(container_->Find("args"))) args.push_back(Str(&a));
  EXPECT_EQ(args, (std::vector<std::string>{"run", "--config", "/etc/bonewatch/bonewatch.json"}));
}

TEST_F(KubernetesTest, EnvironmentNamesAreOverridesTheParserKnows) {
  std::set<std::string> known;
  for (const adapter::ConfigEnvOverride& o : adapter::ConfigEnvOverrides()) {
    known.insert(std::string(o.variable));
  }
  ASSERT_FALSE(env_.empty());
  for (const auto& [name, value] : env_) {
    EXPECT_EQ(known.count(name), 1u) << name << " is not a BONEWATCH_* override of the parser";
  }
  // Secrets come from Secrets, never inline.
  for (const Json& e : Items(container_->Find("env"))) {
    const std::string name = Str(e.Find("name"));
    for (const adapter::ConfigEnvOverride& o : adapter::ConfigEnvOverrides()) {
      if (o.variable == name && o.secret) {
        EXPECT_NE(e.At({"valueFrom", "secretKeyRef"}), nullptr) << name;
      }
    }
  }
}

TEST_F(KubernetesTest, OneReplicaRecreatedBecauseTheStoreIsSingleWriter) {
  const Json& deployment = Object("Deployment/bonewatch");
  EXPECT_EQ(Int(deployment.At({"spec", "replicas"})), 1);
  EXPECT_EQ(Str(deployment.At({"spec", "strategy", "type"})), "Recreate");
  EXPECT_THAT(ReadFile(SourcePath("deploy/kubernetes/deployment.yaml")),
              HasSubstr("SQLite file (single writer)"));
  // SIGTERM drains within shutdownGraceSeconds; Kubernetes waits longer than that.
  EXPECT_GT(Int(pod_->Find("terminationGracePeriodSeconds")), config_->shutdown_grace_seconds);
}

TEST_F(KubernetesTest, ProbesAndServicesUseTheConfiguredPorts) {
  EXPECT_EQ(ContainerPort("ops"), config_->ops.port);
  EXPECT_EQ(ContainerPort("notify"), config_->notifications.port);
  // Probes reach the ops port from outside the pod.
  EXPECT_FALSE(adapter::IsLoopbackListenAddress(config_->ops.listen_address));
  EXPECT_EQ(Str(container_->At({"livenessProbe", "httpGet", "path"})), "/healthz");
  EXPECT_EQ(Str(container_->At({"livenessProbe", "httpGet", "port"})), "ops");
  EXPECT_EQ(Str(container_->At({"readinessProbe", "httpGet", "path"})), "/readyz");
  EXPECT_EQ(Str(container_->At({"readinessProbe", "httpGet", "port"})), "ops");

  const Json& notify = Object("Service/bonewatch-notify");
  const Json& metrics = Object("Service/bonewatch-metrics");
  for (const Json* service : {&notify, &metrics}) {
    EXPECT_EQ(Str(service->At({"spec", "selector", "app.kubernetes.io/name"})),
              Str(pod_ == nullptr ? nullptr
                                  : Object("Deployment/bonewatch")
                                        .At({"spec", "template", "metadata", "labels",
                                             "app.kubernetes.io/name"})));
  }
  const Json& notify_port = Items(notify.At({"spec", "ports"}))[0];
  EXPECT_EQ(Str(notify_port.Find("targetPort")), "notify");
  EXPECT_EQ(Int(notify_port.Find("port")), config_->notifications.port);
  const Json& metrics_port = Items(metrics.At({"spec", "ports"}))[0];
  EXPECT_EQ(Str(metrics_port.Find("targetPort")), "ops");

  // The endpoint the FHIR server calls: HTTPS (TLS is on), the notify Service's port.
  EXPECT_FALSE(config_->notifications.tls_cert_file.empty());
  EXPECT_THAT(config_->notifications.public_endpoint,
              ::testing::StartsWith("https://bonewatch-notify."));
  EXPECT_THAT(config_->notifications.public_endpoint,
              HasSubstr(":" + std::to_string(Int(notify_port.Find("port"))) + "/fhir/notify"));

  const Json& monitor = Object("ServiceMonitor/bonewatch");
  const Json* match = monitor.At({"spec", "selector", "matchLabels"});
  ASSERT_NE(match, nullptr);
  for (const Json::Member& label : match->members()) {
    EXPECT_EQ(Str(metrics.At({"metadata", "labels"})->Find(label.key)), Str(&label.value))
        << label.key;
  }
  EXPECT_NE(Str(notify.At({"metadata", "labels"})->Find("app.kubernetes.io/component")), "metrics");
  const Json& endpoint = Items(monitor.At({"spec", "endpoints"}))[0];
  EXPECT_EQ(Str(endpoint.Find("port")), Str(metrics_port.Find("name")));
  EXPECT_EQ(Str(endpoint.Find("path")), "/metrics");
}

TEST_F(KubernetesTest, PathsOfTheConfigAreMounted) {
  // Every absolute path of the config lies under a volume mount of the container.
  const std::vector<std::string> paths = {
      PodPath({"store", "path"}), PodPath({"notifications", "tlsCertFile"}),
      PodPath({"notifications", "tlsKeyFile"}), PodPath({"fhir", "smartPrivateKeyFile"}),
      PodPath({"mappingsDir"})};
  for (const std::string& path : paths) {
    ASSERT_TRUE(path.starts_with("/")) << path;
    bool mounted = false;
    for (const Json& m : Items(container_->Find("volumeMounts"))) {
      const std::string at = Str(m.Find("mountPath"));
      mounted |= path == at || path.starts_with(at + "/");
    }
    EXPECT_TRUE(mounted) << path << " is not under a volume mount";
  }
  // The store is on the PVC, writable; everything else the pod mounts is read-only.
  const std::string state_mount =
      std::filesystem::path(PodPath({"store", "path"})).parent_path().string();
  EXPECT_EQ(state_mount, MountPath("state"));
  const Json* state = Volume("state");
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(Str(state->At({"persistentVolumeClaim", "claimName"})),
            Str(Object("PersistentVolumeClaim/bonewatch-state").At({"metadata", "name"})));
  for (const Json& m : Items(container_->Find("volumeMounts"))) {
    const std::string name = Str(m.Find("name"));
    const bool read_only = m.GetBool("readOnly").value_or(false);
    if (name == "state" || name == "tmp") {
      EXPECT_FALSE(read_only) << name;
    } else {
      EXPECT_TRUE(read_only) << name;
    }
  }
  EXPECT_EQ(MountPath("config"), "/etc/bonewatch");
}

TEST_F(KubernetesTest, PodIsLockedDown) {
  EXPECT_EQ(pod_->At({"securityContext", "runAsNonRoot"})->AsBool(), true);
  // The image's user (deploy/Dockerfile USER 10001:10001).
  EXPECT_EQ(Int(pod_->At({"securityContext", "runAsUser"})), 10001);
  EXPECT_EQ(Int(pod_->At({"securityContext", "fsGroup"})), 10001);
  EXPECT_THAT(ReadFile(SourcePath("deploy/Dockerfile")), HasSubstr("\nUSER 10001:10001\n"));
  EXPECT_EQ(Str(pod_->At({"securityContext", "seccompProfile", "type"})), "RuntimeDefault");
  EXPECT_EQ(pod_->GetBool("automountServiceAccountToken"), std::optional<bool>(false));
  const Json* sc = container_->Find("securityContext");
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(sc->GetBool("readOnlyRootFilesystem"), std::optional<bool>(true));
  EXPECT_EQ(sc->GetBool("allowPrivilegeEscalation"), std::optional<bool>(false));
  EXPECT_EQ(sc->GetBool("runAsNonRoot"), std::optional<bool>(true));
  ASSERT_EQ(Items(sc->At({"capabilities", "drop"})).size(), 1u);
  EXPECT_EQ(Str(&Items(sc->At({"capabilities", "drop"}))[0]), "ALL");
  EXPECT_EQ(Str(sc->At({"seccompProfile", "type"})), "RuntimeDefault");
  for (const char* kind : {"requests", "limits"}) {
    for (const char* resource : {"cpu", "memory"}) {
      EXPECT_NE(container_->At({"resources", kind, resource}), nullptr) << kind << resource;
    }
  }
  // Secret files are readable by the pod's group only.
  for (const char* name : {"secrets", "tls"}) {
    EXPECT_EQ(Int(Volume(name)->At({"secret", "defaultMode"})), 0440) << name;
  }
}

TEST_F(KubernetesTest, SecretsArePlaceholdersOnly) {
  for (const auto& [key, doc] : objects_) {
    if (Str(doc.Find("kind")) != "Secret") continue;
    EXPECT_EQ(doc.Find("data"), nullptr) << key << ": use stringData placeholders";
    for (const Json::Member& m : doc.Find("stringData")->members()) {
      EXPECT_THAT(Str(&m.value), HasSubstr("REPLACE-ME")) << key << " " << m.key;
    }
  }
  EXPECT_EQ(Str(Object("Secret/bonewatch-tls").Find("type")), "kubernetes.io/tls");
}

}  // namespace
}  // namespace bonewatch::deploy_testing
