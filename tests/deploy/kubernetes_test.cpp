// deploy/kubernetes/ as users get it. `manifests`: both variants render with kubectl kustomize and
// validate against the Kubernetes OpenAPI schemas (tests/deploy/validate_kubernetes.js), and hold
// what the README promises. `pod`: podman kube play of the rendered manifests with the images
// built here, the application ready through heartbeatd, failing, and a ConfigMap edit reloaded.
#define BOOST_TEST_MODULE deploy_kubernetes
#include <yaml-cpp/yaml.h>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "containers.hpp"
#include "procfs.hpp"
#include "skip.hpp"

using namespace heartbeat::test;
namespace fs = std::filesystem;

namespace {

const std::string kube_dir = containers::source_dir() + "/deploy/kubernetes";
const std::string variant_dir = kube_dir + "/before-1.29";

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string without_first_line(const std::string& text) {
    return text.substr(text.find('\n') + 1);
}

/** Why kubectl or node cannot run here, or "". */
std::string tools_missing() {
    for (const char* tool : {"kubectl", "node"})
        if (containers::program(tool).empty())
            return std::string(tool) + " is not installed (scripts/setup.sh installs it)";
    auto r = run({containers::program("kubectl"), "version", "--client"});
    if (r.code != 0) return "kubectl cannot run here: " + r.err;
    return "";
}

/** `kubectl kustomize DIR`: fails the test (with kubectl's words) when it does not render. */
std::string kustomize(const std::string& dir) {
    auto r = run({containers::program("kubectl"), "kustomize", dir}, {}, 60000);
    BOOST_TEST_REQUIRE(r.code == 0, "kubectl kustomize " << dir << ": " << r.err);
    return r.out;
}

/** validate_kubernetes.js on `file`: its verdict and its lines. */
run_result validate(const std::string& file) {
    return run({containers::program("node"),
                containers::source_dir() + "/tests/deploy/validate_kubernetes.js", file},
               {}, 60000);
}

YAML::Node object_of(const std::string& rendered, const std::string& kind) {
    for (const auto& doc : YAML::LoadAll(rendered))
        if (doc["kind"].as<std::string>() == kind) return doc;
    BOOST_FAIL("no " << kind << " in the rendered manifests");
    return {};
}

YAML::Node named(const YAML::Node& list, const std::string& name) {
    for (const auto& item : list)
        if (item["name"].as<std::string>() == name) return item;
    BOOST_FAIL("nothing named " << name);
    return {};
}

/** Memory quantities as the manifests write them (Ki, Mi, Gi) in KiB. */
long kib_of(const std::string& quantity) {
    static const std::map<std::string, long> units = {{"Ki", 1}, {"Mi", 1024}, {"Gi", 1024 * 1024}};
    auto unit = quantity.substr(quantity.size() - 2);
    BOOST_TEST_REQUIRE(units.count(unit) == 1u, "unexpected memory quantity " << quantity);
    return std::stol(quantity.substr(0, quantity.size() - 2)) * units.at(unit);
}

/** The restricted Pod Security settings a container must carry, beside the pod's. */
void check_container_security(const YAML::Node& container) {
    auto name = container["name"].as<std::string>();
    auto sc = container["securityContext"];
    BOOST_TEST(sc["readOnlyRootFilesystem"].as<bool>(), name);
    BOOST_TEST(!sc["allowPrivilegeEscalation"].as<bool>(), name);
    BOOST_TEST(sc["capabilities"]["drop"][0].as<std::string>() == "ALL", name);
    BOOST_TEST(container["resources"]["limits"]["memory"].IsDefined(), name);
}

/** The application's three probes ask heartbeatd's port for the probe of the same name. */
void check_app_probes(const YAML::Node& app) {
    const std::vector<std::pair<std::string, std::string>> probes = {
        {"startupProbe", "startup"},
        {"livenessProbe", "liveliness"},
        {"readinessProbe", "readiness"}};
    for (const auto& [key, path] : probes) {
        BOOST_TEST(app[key]["httpGet"]["port"].as<int>() == 8080, key);
        BOOST_TEST(app[key]["httpGet"]["path"].as<std::string>() ==
                   "/.well-known/heartbeat/" + path);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(manifests)

BOOST_AUTO_TEST_CASE(both_variants_render_and_validate_against_the_kubernetes_schemas,
                     *skip_if(tools_missing)) {
    temp_dir dir;
    for (const auto& source : {kube_dir, variant_dir}) {
        auto file = dir.write("rendered.yaml", kustomize(source));
        auto r = validate(file);
        BOOST_TEST(r.code == 0, source << ":\n" << r.out << r.err);
        BOOST_TEST(r.out.find(": ok: 2 objects") != std::string::npos, r.out);
    }
}

BOOST_AUTO_TEST_CASE(the_validator_refuses_a_misspelt_field_and_a_wrong_type,
                     *skip_if(tools_missing)) {
    temp_dir dir;
    auto rendered = kustomize(kube_dir);
    auto typo =
        std::regex_replace(rendered, std::regex("readOnlyRootFilesystem"), "readOnlyRootFilesytem");
    auto r = validate(dir.write("typo.yaml", typo));
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out.find("Deployment/web: /spec/template/spec/containers/0/securityContext/"
                          "readOnlyRootFilesytem is not a field") != std::string::npos,
               r.out);
    auto wrong = std::regex_replace(rendered, std::regex("terminationGracePeriodSeconds: 30"),
                                    "terminationGracePeriodSeconds: soon");
    r = validate(dir.write("type.yaml", wrong));
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out.find("/spec/template/spec/terminationGracePeriodSeconds must be integer") !=
                   std::string::npos,
               r.out);
}

BOOST_AUTO_TEST_CASE(heartbeatd_is_a_native_sidecar_with_its_config_as_a_folder,
                     *skip_if(tools_missing)) {
    auto rendered = kustomize(kube_dir);
    auto spec = object_of(rendered, "Deployment")["spec"]["template"]["spec"];
    auto sidecar = named(spec["initContainers"], "heartbeat");
    BOOST_TEST(sidecar["restartPolicy"].as<std::string>() == "Always");
    BOOST_TEST(sidecar["startupProbe"]["httpGet"]["port"].as<int>() == 8080);
    check_app_probes(named(spec["containers"], "web"));

    // The ConfigMap's whole folder at /etc/heartbeat: never a subPath, which updates never reach.
    BOOST_TEST(rendered.find("subPath") == std::string::npos);
    auto mount = named(sidecar["volumeMounts"], "heartbeat-config");
    BOOST_TEST(mount["mountPath"].as<std::string>() == "/etc/heartbeat");
    auto volume = named(spec["volumes"], "heartbeat-config");
    auto config_map = object_of(rendered, "ConfigMap");
    // No hash suffix: an edit updates this ConfigMap in place (a reload, not a rollout).
    BOOST_TEST(volume["configMap"]["name"].as<std::string>() ==
               config_map["metadata"]["name"].as<std::string>());
    BOOST_TEST(config_map["metadata"]["name"].as<std::string>() == "web-heartbeat");

    // Pod Security "restricted", and a grace period longer than shutdown_delay (5s).
    BOOST_TEST(spec["securityContext"]["runAsNonRoot"].as<bool>());
    BOOST_TEST(spec["securityContext"]["seccompProfile"]["type"].as<std::string>() ==
               "RuntimeDefault");
    BOOST_TEST(spec["terminationGracePeriodSeconds"].as<int>() > 5);
    check_container_security(sidecar);
    check_container_security(named(spec["containers"], "web"));
}

BOOST_AUTO_TEST_CASE(the_configmap_is_the_example_config_and_heartbeatd_accepts_it,
                     *skip_if(tools_missing)) {
    auto config =
        object_of(kustomize(kube_dir), "ConfigMap")["data"]["heartbeat.yaml"].as<std::string>();
    auto example = read_file(containers::source_dir() + "/config/examples/kubernetes.yaml");
    BOOST_TEST(without_first_line(config) == without_first_line(example),
               "deploy/kubernetes/base/heartbeat.yaml and config/examples/kubernetes.yaml differ");
    temp_dir dir;
    auto r = run({HEARTBEAT_BINARY, "validate", "--config", dir.write("heartbeat.yaml", config)});
    BOOST_TEST(r.code == 0, r.out << r.err);
    BOOST_TEST(r.out.find("warning") == std::string::npos, r.out);
    // Only checks the default image can run: no exec (the image has no program to exec).
    BOOST_TEST(config.find("type: exec") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_variant_before_1_29_is_a_classic_second_container,
                     *skip_if(tools_missing)) {
    auto spec = object_of(kustomize(variant_dir), "Deployment")["spec"]["template"]["spec"];
    BOOST_TEST(!spec["initContainers"].IsDefined());
    auto sidecar = named(spec["containers"], "heartbeat");
    BOOST_TEST(!sidecar["restartPolicy"].IsDefined());
    BOOST_TEST(sidecar["startupProbe"].IsDefined());
    check_container_security(sidecar);
    check_app_probes(named(spec["containers"], "web"));
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

const std::string heartbeat_image = "localhost/heartbeatd:deploy-test";
const std::string app_image = "localhost/heartbeatd-deploy-app:test";
// Every pod, container and volume of this test has a name starting with this.
const std::string prefix = "heartbeatd-k8s-test-";
const std::string config_volume = prefix + "web-heartbeat";  // podman's volume for the ConfigMap
const std::string shared_volume = prefix + "shared";
const std::string pod = prefix + "web-pod-0";  // podman names a Deployment's pod NAME-pod-0
const std::string app = pod + "-web";
const std::string sidecar = pod + "-heartbeat";

/** Why the pod test cannot run here, or "". */
std::string pod_unavailable() {
    if (auto why = tools_missing(); !why.empty()) return why;
    return containers::unavailable_reason();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

/** Pods, containers and volumes of this test that exist now, one "kind name" each. */
std::vector<std::string> leftovers() {
    std::vector<std::string> found;
    const std::vector<std::pair<std::string, std::vector<std::string>>> listings = {
        {"pod", {"pod", "ps", "--format", "{{.Name}}"}},
        {"container", {"ps", "-a", "--format", "{{.Names}}"}},
        {"volume", {"volume", "ls", "--format", "{{.Name}}"}}};
    for (const auto& [kind, args] : listings)
        for (const auto& name : lines_of(containers::podman(args, 60).out))
            if (name.starts_with(prefix)) found.push_back(kind + " " + name);
    return found;
}

void remove_leftovers() {
    for (const auto& item : leftovers()) {
        auto space = item.find(' ');
        auto kind = item.substr(0, space), name = item.substr(space + 1);
        if (kind == "pod") containers::podman({"pod", "rm", "-f", "-t", "0", name}, 120);
        if (kind == "container") containers::podman({"rm", "-f", "-t", "0", name}, 120);
    }
    for (const auto& item : leftovers())
        if (item.starts_with("volume ")) containers::podman({"volume", "rm", "-f", item.substr(7)});
}

/** Removes what a run left, before it and after it, whatever the assertions did. */
struct pod_guard {
    pod_guard() { remove_leftovers(); }
    ~pod_guard() { remove_leftovers(); }
    pod_guard(const pod_guard&) = delete;
    pod_guard& operator=(const pod_guard&) = delete;
};

/** Renders `base` through an overlay of the test's own: its images, one replica, the test's names,
 * and no `ports`. Why no ports: podman 4.3 publishes every containerPort on 0.0.0.0 of the host;
 * here nothing is published, and the probes and this test's requests stay on the pod's loopback.
 * `patches` are JSON patch operations on the Deployment (with `test` ops, so that a change of the
 * base's layout fails the render instead of patching the wrong container). */
std::string render(const temp_dir& dir, const std::string& base, const std::string& patches) {
    auto rel = fs::relative(base, dir.path()).string();
    dir.write("kustomization.yaml", "resources:\n  - " + rel + "\nnamePrefix: " + prefix + R"(
images:
  - {name: registry.example/heartbeatd, newName: localhost/heartbeatd, newTag: deploy-test}
  - {name: registry.example/web, newName: localhost/heartbeatd-deploy-app, newTag: test}
replicas:
  - {name: web, count: 1}
patches:
  - target: {kind: Deployment}
    patch: |
)" + patches);
    return dir.write("rendered.yaml", kustomize(dir.path()));
}

/** The overlay's JSON patch operations; `place` is heartbeatd's place in the pod's spec
 * (`containers/1`, or `initContainers/0` in the native manifests). */
std::string test_patches(const std::string& place) {
    const std::string spec = "/spec/template/spec/";
    const std::vector<std::string> ops = {
        "{op: test, path: " + spec + place + "/name, value: heartbeat}",
        "{op: test, path: " + spec + "volumes/1/name, value: shared}",
        "{op: remove, path: " + spec + "containers/0/ports}",
        "{op: remove, path: " + spec + place + "/ports}",
        "{op: replace, path: " + spec + "volumes/1/name, value: " + shared_volume + "}",
        "{op: replace, path: " + spec +
            "containers/0/volumeMounts/0/name, value: " + shared_volume + "}",
        "{op: replace, path: " + spec + place + "/volumeMounts/1/name, value: " + shared_volume +
            "}"};
    std::string text;
    for (const auto& op : ops) text += "      - " + op + "\n";
    return text;
}

struct answer {
    int status = 0;
    std::string body;
};

/** GET of heartbeatd's `path` from inside the pod (curl in the application's container: the pod's
 * network is its own, nothing is published). */
answer in_pod_get(const std::string& path) {
    auto r = containers::podman({"exec", app, "curl", "-s", "-m", "5", "-w", "\n%{http_code}",
                                 "http://127.0.0.1:8080" + path},
                                30);
    auto cut = r.out.rfind('\n');
    if (r.code != 0 || cut == std::string::npos) return {0, r.out + r.err};
    return {std::atoi(r.out.c_str() + cut + 1), r.out.substr(0, cut)};
}

/** Whether readiness's JSON answer says the check `name` passes; nullopt when it has no such check.
 */
std::optional<bool> check_passes(const answer& a, const std::string& name) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(a.body, ec);
    if (ec || !doc.is_object()) return std::nullopt;
    const auto* checks = doc.as_object().if_contains("checks");
    if (!checks || !checks->is_object()) return std::nullopt;
    const auto* check = checks->as_object().if_contains(name);
    if (!check || !check->is_object()) return std::nullopt;
    const auto* status = check->as_object().if_contains("status");
    if (!status || !status->is_bool()) return std::nullopt;
    return status->as_bool();
}

/** Polls readiness until it answers `status` and its check `name` passes (or fails); the last
 * answer. */
answer wait_for_readiness(int status, const std::string& name, bool passes, int timeout_s) {
    answer last;
    poll_until(
        [&] {
            last = in_pod_get("/.well-known/heartbeat/readiness");
            return last.status == status && check_passes(last, name) == passes;
        },
        timeout_s * 1000);
    return last;
}

/** Replaces the ConfigMap's file the way the kubelet does: a new file, renamed over the old. */
void edit_config_map(const std::string& text) {
    auto folder = containers::inspect(config_volume, "{{.Mountpoint}}");
    BOOST_TEST_REQUIRE(fs::exists(folder + "/heartbeat.yaml"),
                       "no " << folder << "/heartbeat.yaml");
    {
        std::ofstream out(folder + "/.heartbeat.yaml.new");
        out << text;
    }
    fs::permissions(folder + "/.heartbeat.yaml.new", fs::perms(0644));
    fs::rename(folder + "/.heartbeat.yaml.new", folder + "/heartbeat.yaml");
}

/** `podman kube play FILE`, building nothing, run in FILE's folder. podman 4.3 looks for a folder
 * named as an image in its working directory, even with --build=false (and refuses --context-dir
 * without --build): in CTest's build folder it finds the file `heartbeatd` and fails. */
run_result kube_play(const std::string& file, int timeout_s) {
    auto folder = fs::path(file).parent_path().string();
    return containers::shell("cd '" + folder + "' && podman kube play --build=false '" + file + "'",
                             timeout_s);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pod)

// podman 4.3 knows no native sidecar: it refuses probes on an init container, and runs an init
// container to its exit before the application's. This case records what the engine does with the
// native manifests, so that a podman that can run them shows it; the classic variant is the run.
BOOST_AUTO_TEST_CASE(what_podman_does_with_the_native_sidecar, *skip_if(pod_unavailable)) {
    BOOST_REQUIRE(containers::build_heartbeatd("runtime", heartbeat_image));
    BOOST_REQUIRE(containers::build_test_image("app", app_image));
    temp_dir dir;
    auto file = render(dir, kube_dir, test_patches("initContainers/0"));
    {
        pod_guard guard;
        auto play = kube_play(file, 60);
        if (play.code == 0) {
            auto ready = wait_for_readiness(200, "app", true, 60);
            BOOST_TEST_MESSAGE("podman ran the native sidecar; readiness " << ready.status);
            BOOST_TEST(ready.status == 200, ready.body);
        } else {
            auto error = play.err.rfind("Error");
            BOOST_TEST_MESSAGE("podman cannot run the native sidecar (kube play exit "
                               << play.code
                               << "): " << play.err.substr(error == std::string::npos ? 0 : error));
            // The engine's refusal is the one known, not some failure of the manifests.
            BOOST_TEST(play.err.find("init container") != std::string::npos, play.err);
        }
    }
    BOOST_TEST(leftovers().empty());
}

BOOST_AUTO_TEST_CASE(the_application_turns_ready_through_heartbeatd_and_a_configmap_edit_reloads,
                     *skip_if(pod_unavailable)) {
    auto start = std::chrono::steady_clock::now();
    BOOST_REQUIRE(containers::build_heartbeatd("runtime", heartbeat_image));
    BOOST_REQUIRE(containers::build_test_image("app", app_image));
    temp_dir dir;
    auto file = render(dir, variant_dir, test_patches("containers/1"));
    auto rendered = read_file(file);
    pod_guard guard;
    auto played_at = std::chrono::steady_clock::now();
    auto play = kube_play(file, 180);
    BOOST_REQUIRE_MESSAGE(play.code == 0, "podman kube play: " << play.out << play.err);

    // Ready through heartbeatd: its readiness passes once the application's health URL does.
    auto ready = wait_for_readiness(200, "app", true, 90);
    BOOST_TEST_REQUIRE(ready.status == 200, ready.body);
    BOOST_TEST((check_passes(ready, "app") == true), ready.body);
    BOOST_TEST_MESSAGE("ready through heartbeatd " << seconds_since(played_at)
                                                   << " s after kube play");
    // podman 4.3 turns the livenessProbe (not readiness or startup) into the container's
    // healthcheck; without systemd no timer runs it, so run it once by hand, once liveliness
    // passes: its file check failed while the application had not yet touched the file, and
    // passes at its next run, which may come after readiness's.
    auto alive = [] { return in_pod_get("/.well-known/heartbeat/liveliness").status == 200; };
    BOOST_TEST_REQUIRE(poll_until(alive, 30000),
                       in_pod_get("/.well-known/heartbeat/liveliness").body);
    BOOST_TEST(containers::inspect(app, "{{json .Config.Healthcheck.Test}}")
                   .find("heartbeat/liveliness") != std::string::npos);
    auto health = containers::podman({"healthcheck", "run", app}, 60);
    BOOST_TEST(health.code == 0, "the application's healthcheck: " << health.out << health.err);

    // heartbeatd's memory in the pod, against the request the manifests make.
    auto pid = std::stoi(containers::inspect(sidecar, "{{.State.Pid}}"));
    auto rss = resident_kib(pid);
    auto sidecar_spec = named(
        object_of(rendered, "Deployment")["spec"]["template"]["spec"]["containers"], "heartbeat");
    auto request = kib_of(sidecar_spec["resources"]["requests"]["memory"].as<std::string>());
    BOOST_TEST_MESSAGE("heartbeatd's VmRSS in the pod: " << rss << " KiB (request " << request
                                                         << " KiB)");
    BOOST_TEST(rss > 0);
    BOOST_TEST(rss < request);

    // The application fails: readiness fails naming it, and so does the application's healthcheck.
    auto fail =
        containers::podman({"exec", app, "curl", "-s", "http://127.0.0.1:5000/control/fail"});
    BOOST_TEST_REQUIRE(fail.code == 0, fail.err);
    auto failing = wait_for_readiness(500, "app", false, 60);
    BOOST_TEST(failing.status == 500, failing.body);
    BOOST_TEST((check_passes(failing, "app") == false), failing.body);
    BOOST_TEST(failing.body.find("503") != std::string::npos, failing.body);
    health = containers::podman({"healthcheck", "run", app}, 60);
    BOOST_TEST(health.code != 0, "the healthcheck passes while the application fails");
    containers::podman({"exec", app, "curl", "-s", "http://127.0.0.1:5000/control/recover"});
    BOOST_TEST(wait_for_readiness(200, "app", true, 60).status == 200);

    // An edit of the ConfigMap's file: heartbeatd reloads it, and is not restarted.
    auto started = containers::inspect(sidecar, "{{.State.StartedAt}} {{.RestartCount}}");
    auto config = object_of(rendered, "ConfigMap")["data"]["heartbeat.yaml"].as<std::string>();
    edit_config_map(
        config +
        "  - {name: app-home, type: http, url: \"http://127.0.0.1:5000/\", probes: [readiness]}\n");
    auto reloaded = wait_for_readiness(200, "app-home", true, 30);
    BOOST_TEST((check_passes(reloaded, "app-home") == true), reloaded.body);
    auto logs = containers::podman({"logs", sidecar});
    BOOST_TEST((logs.out + logs.err).find("reloaded (file changed)") != std::string::npos,
               logs.err);
    BOOST_TEST(containers::inspect(sidecar, "{{.State.StartedAt}} {{.RestartCount}}") == started);

    // kube down removes the pod, its containers and the emptyDir's volume. podman 4.3 keeps the
    // ConfigMap's volume (named volumes outlive their pods; its kube down has no option to remove
    // them): that one must be removed by hand, and then nothing is left.
    auto down = containers::podman({"kube", "down", file}, 180);
    BOOST_TEST(down.code == 0, down.out << down.err);
    auto left = leftovers();
    for (const auto& item : left) {
        BOOST_TEST_MESSAGE("left after kube down: " << item);
        BOOST_TEST(item == "volume " + config_volume);
    }
    containers::podman({"volume", "rm", config_volume});
    BOOST_TEST(leftovers().empty());
    BOOST_TEST_MESSAGE("the pod test took " << seconds_since(start) << " s");
}

BOOST_AUTO_TEST_SUITE_END()
