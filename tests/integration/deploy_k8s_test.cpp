// deploy/k8s, checked without a cluster: the manifests parse and refer to
// each other consistently, and the ConfigMap's start-node script renders a
// config for a StatefulSet pod that passes --check-config, with the pod's
// name as node id and its headless-Service DNS name advertised.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <tuple>

#include "datasync/config.h"
#include "deploy_util.h"

namespace datasync::testutil {
namespace {

const char* const kManifests[] = {"datasync-config.yaml", "datasync-coordinator.yaml",
                                  "datasync-node.yaml"};

// kind/name -> the object, from every manifest of deploy/k8s.
std::map<std::string, YAML::Node> LoadObjects() {
  std::map<std::string, YAML::Node> objects;
  for (const char* file : kManifests) {
    std::string error;
    std::vector<YAML::Node> docs =
        LoadYamlDocuments(SourcePath("deploy/k8s/") + file, &error);
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_FALSE(docs.empty()) << file;
    for (const YAML::Node& doc : docs) {
      EXPECT_TRUE(doc["apiVersion"] && doc["kind"] && doc["metadata"]["name"]) << file;
      if (!doc["kind"] || !doc["metadata"]["name"]) continue;
      objects[doc["kind"].Scalar() + "/" + doc["metadata"]["name"].Scalar()] = doc;
    }
  }
  return objects;
}

// The container of a Deployment or StatefulSet (each has one).
YAML::Node Container(const YAML::Node& workload) {
  return workload["spec"]["template"]["spec"]["containers"][0];
}

// Whether `selector` (matchLabels or a Service selector) selects the pods
// of `workload`.
bool Selects(const YAML::Node& selector, const YAML::Node& workload) {
  const YAML::Node labels = workload["spec"]["template"]["metadata"]["labels"];
  if (!selector.IsMap() || selector.size() == 0) return false;
  for (const auto& kv : selector) {
    if (!labels[kv.first.Scalar()] ||
        labels[kv.first.Scalar()].Scalar() != kv.second.Scalar()) {
      return false;
    }
  }
  return true;
}

std::map<std::string, int> ContainerPorts(const YAML::Node& container) {
  std::map<std::string, int> ports;
  for (const YAML::Node& p : container["ports"]) {
    ports[p["name"].Scalar()] = p["containerPort"].as<int>();
  }
  return ports;
}

std::map<std::string, int> ServicePorts(const YAML::Node& service) {
  std::map<std::string, int> ports;
  for (const YAML::Node& p : service["spec"]["ports"]) {
    EXPECT_EQ(p["port"].as<int>(), p["targetPort"].as<int>());
    ports[p["name"].Scalar()] = p["port"].as<int>();
  }
  return ports;
}

// The ConfigMap's files, written into `dir`.
void WriteConfigMap(const YAML::Node& config_map, const std::string& dir) {
  for (const auto& kv : config_map["data"]) {
    std::ofstream(dir + "/" + kv.first.Scalar()) << kv.second.Scalar();
  }
}

// Mounts the ConfigMap `name` at `path` in `workload`'s pod.
bool MountsConfigMap(const YAML::Node& workload, const std::string& name,
                     const std::string& path) {
  std::string volume;
  for (const YAML::Node& v : workload["spec"]["template"]["spec"]["volumes"]) {
    if (v["configMap"] && v["configMap"]["name"].Scalar() == name)
      volume = v["name"].Scalar();
  }
  for (const YAML::Node& m : Container(workload)["volumeMounts"]) {
    if (m["name"].Scalar() == volume && m["mountPath"].Scalar() == path) return true;
  }
  return false;
}

TEST(DeployK8sTest, ManifestsReferToEachOther) {
  auto objects = LoadObjects();
  ASSERT_TRUE(objects.count("ConfigMap/datasync-config"));
  ASSERT_TRUE(objects.count("Deployment/datasync-coordinator"));
  ASSERT_TRUE(objects.count("Service/datasync-coordinator"));
  ASSERT_TRUE(objects.count("StatefulSet/datasync-node"));
  ASSERT_TRUE(objects.count("Service/datasync-node"));
  const YAML::Node coordinator = objects["Deployment/datasync-coordinator"];
  const YAML::Node nodes = objects["StatefulSet/datasync-node"];
  const YAML::Node headless = objects["Service/datasync-node"];

  EXPECT_TRUE(Selects(coordinator["spec"]["selector"]["matchLabels"], coordinator));
  EXPECT_TRUE(
      Selects(objects["Service/datasync-coordinator"]["spec"]["selector"], coordinator));
  EXPECT_FALSE(
      Selects(objects["Service/datasync-coordinator"]["spec"]["selector"], nodes));
  EXPECT_TRUE(Selects(nodes["spec"]["selector"]["matchLabels"], nodes));
  EXPECT_TRUE(Selects(headless["spec"]["selector"], nodes));
  EXPECT_FALSE(Selects(headless["spec"]["selector"], coordinator));

  // Stable per-pod names: a headless Service named by serviceName, whose
  // DNS names exist before the pods are ready (they sync from the start).
  EXPECT_EQ(nodes["spec"]["serviceName"].Scalar(), "datasync-node");
  EXPECT_EQ(headless["spec"]["clusterIP"].Scalar(), "None");
  EXPECT_EQ(headless["spec"]["publishNotReadyAddresses"].as<bool>(false), true);

  // A volume per pod for its store.
  const YAML::Node claims = nodes["spec"]["volumeClaimTemplates"];
  ASSERT_TRUE(claims.IsSequence() && claims.size() == 1);
  bool data_mounted = false;
  for (const YAML::Node& m : Container(nodes)["volumeMounts"]) {
    data_mounted |= m["name"].Scalar() == claims[0]["metadata"]["name"].Scalar() &&
                    m["mountPath"].Scalar() == "/var/lib/datasync";
  }
  EXPECT_TRUE(data_mounted);
  EXPECT_TRUE(MountsConfigMap(nodes, "datasync-config", "/etc/datasync"));
  EXPECT_TRUE(MountsConfigMap(coordinator, "datasync-config", "/etc/datasync"));

  // The pod name reaches start-node.
  bool pod_name = false;
  for (const YAML::Node& e : Container(nodes)["env"]) {
    pod_name |= e["name"].Scalar() == "POD_NAME" &&
                e["valueFrom"]["fieldRef"]["fieldPath"].Scalar() == "metadata.name";
  }
  EXPECT_TRUE(pod_name);
  EXPECT_EQ(Strings(Container(nodes)["command"]),
            (std::vector<std::string>{"/bin/sh", "/etc/datasync/start-node"}));

  // Readiness through syncctl, on the ports the configs bind.
  const auto node_probe = Strings(Container(nodes)["readinessProbe"]["exec"]["command"]);
  EXPECT_TRUE(Contains(node_probe, "status") &&
              Contains(node_probe, "tcp://127.0.0.1:7101"))
      << YAML::Dump(Container(nodes)["readinessProbe"]);
  EXPECT_EQ(node_probe.at(0), "syncctl");
  const auto coordinator_probe =
      Strings(Container(coordinator)["readinessProbe"]["exec"]["command"]);
  EXPECT_TRUE(Contains(coordinator_probe, "members") &&
              Contains(coordinator_probe, "tcp://127.0.0.1:7000"))
      << YAML::Dump(Container(coordinator)["readinessProbe"]);

  const auto pod_security = nodes["spec"]["template"]["spec"]["securityContext"];
  EXPECT_TRUE(pod_security["runAsNonRoot"].as<bool>(false));
  EXPECT_EQ(pod_security["fsGroup"].as<int>(0), 10001)
      << "the image's user owns the volume";
}

// The pod datasync-node-1 gets node id datasync-node-1, advertises its DNS
// name, binds the ports the pod and the headless Service declare, and finds
// the coordinator through its Service.
TEST(DeployK8sTest, StartNodeRendersAPodConfig) {
  auto objects = LoadObjects();
  ASSERT_TRUE(objects.count("ConfigMap/datasync-config"));
  TempDir temp("deploy-k8s");
  WriteConfigMap(objects["ConfigMap/datasync-config"], temp.path());

  CtlResult coordinator_check =
      CheckConfig(temp.path(), "sync-coordinator", temp.Sub("coordinator.yaml"));
  EXPECT_EQ(coordinator_check.code(), 0) << coordinator_check.Describe();

  const char* path = getenv("PATH");
  CtlResult rendered =
      RunTool(temp.path(),
              {.binary = "/bin/sh",
               .args = {temp.Sub("start-node"), "--check-config"},
               .env = {{"POD_NAME", "datasync-node-1"},
                       {"NODE_TEMPLATE", temp.Sub("node.yaml.in")},
                       {"NODE_CONFIG", temp.Sub("node.yaml")},
                       {"PATH", BinaryDir() + ":" + (path ? path : "/usr/bin:/bin")}}});
  ASSERT_EQ(rendered.code(), 0) << rendered.Describe();
  Result<NodeConfig> config = LoadNodeConfig(temp.Sub("node.yaml"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->id(), "datasync-node-1");

  const auto container_ports =
      ContainerPorts(Container(objects["StatefulSet/datasync-node"]));
  const auto service_ports = ServicePorts(objects["Service/datasync-node"]);
  for (const auto& [name, bound, advertised] :
       {std::tuple{"api", config->endpoints.api, config->advertised.api},
        {"pub", config->endpoints.pub, config->advertised.pub},
        {"sync", config->endpoints.sync, config->advertised.sync}}) {
    SCOPED_TRACE(name);
    const auto b = TcpHostPort(bound);
    const auto a = TcpHostPort(advertised);
    ASSERT_TRUE(b && a) << bound << " " << advertised;
    EXPECT_EQ(b->first, "*");
    EXPECT_EQ(a->first, "datasync-node-1.datasync-node");
    EXPECT_EQ(a->second, b->second);
    EXPECT_EQ(container_ports.count(name) ? container_ports.at(name) : -1, b->second);
    EXPECT_EQ(service_ports.count(name) ? service_ports.at(name) : -1, b->second);
  }

  Result<CoordinatorConfig> coordinator =
      LoadCoordinatorConfig(temp.Sub("coordinator.yaml"));
  ASSERT_TRUE(coordinator.ok()) << coordinator.status().message();
  const int coordinator_port = TcpHostPort(coordinator->bind)->second;
  EXPECT_EQ(config->coordinator.value_or(""),
            "tcp://datasync-coordinator:" + std::to_string(coordinator_port));
  EXPECT_EQ(ServicePorts(objects["Service/datasync-coordinator"])["coordinator"],
            coordinator_port);
  EXPECT_EQ(ContainerPorts(
                Container(objects["Deployment/datasync-coordinator"]))["coordinator"],
            coordinator_port);
  // The store on the pod's volume.
  EXPECT_EQ(config->data_dir.rfind("/var/lib/datasync/", 0), 0u) << config->data_dir;
}

TEST(DeployK8sTest, StartNodeRefusesToRunWithoutPodName) {
  auto objects = LoadObjects();
  ASSERT_TRUE(objects.count("ConfigMap/datasync-config"));
  TempDir temp("deploy-k8s");
  WriteConfigMap(objects["ConfigMap/datasync-config"], temp.path());
  CtlResult r = RunTool(temp.path(), {.binary = "/usr/bin/env",
                                      .args = {"-u", "POD_NAME", "/bin/sh",
                                               temp.Sub("start-node"), "--check-config"},
                                      .env = {{"NODE_TEMPLATE", temp.Sub("node.yaml.in")},
                                              {"NODE_CONFIG", temp.Sub("node.yaml")}}});
  EXPECT_NE(r.code(), 0) << r.Describe();
  EXPECT_NE(r.err.find("POD_NAME"), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace datasync::testutil
