package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestKubernetesManifests checks deploy/k8s without a cluster: every
// document decodes strictly (an unknown or misspelt field is an error) into
// the Kubernetes API's own types; every workload's selector matches its pods;
// every Service selects a workload and targets a port its container has;
// every volume, ConfigMap, Secret and claim a pod uses exists (ConfigMaps from
// kustomization.yaml, Secrets from the commands of docs/operations.md); every
// variable given to a kaoping container is one its binary reads; the NATS
// StatefulSet's pods are the routes of its configuration.
func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob("k8s/*.yaml")
	if len(files) < 8 {
		t.Fatalf("%d manifests in k8s/", len(files))
	}
	var kust struct {
		Resources          []string
		ConfigMapGenerator []struct {
			Name  string
			Files []string
		} `json:"configMapGenerator"`
	}
	decodeStrictYAML(t, "kustomization.yaml", readFile(t, "kustomization.yaml"), &kust, false)
	configMaps := map[string]bool{}
	for _, g := range kust.ConfigMapGenerator {
		configMaps[g.Name] = true
		size := 0
		for _, f := range g.Files {
			_, path, _ := strings.Cut(f, "=")
			if path == "" {
				path = f
			}
			b := readFile(t, path)
			size += len(b)
		}
		if size > 1<<20-4096 {
			t.Errorf("ConfigMap %s would hold %d bytes: past Kubernetes' 1 MiB", g.Name, size)
		}
		if g.Name == "grafana-dashboards" {
			boards, _ := filepath.Glob("grafana/dashboards/*.json")
			for _, b := range boards {
				if !slices.Contains(g.Files, b) {
					t.Errorf("board %s is not in the ConfigMap grafana-dashboards", b)
				}
			}
		}
	}
	for _, f := range files {
		if !slices.Contains(kust.Resources, f) {
			t.Errorf("%s is not among kustomization.yaml's resources", f)
		}
	}
	secrets := documentedSecrets(t)

	type workload struct {
		name     string
		selector *metav1.LabelSelector
		pod      corev1.PodTemplateSpec
		claims   []string
		replicas int32
	}
	var workloads []workload
	var services []corev1.Service
	claims := map[string]bool{}
	for _, f := range files {
		for i, doc := range bytes.Split(readFile(t, f), []byte("\n---\n")) {
			where := fmt.Sprintf("%s document %d", f, i+1)
			var meta metav1.TypeMeta
			decodeStrictYAML(t, where, doc, &meta, false)
			switch meta.Kind {
			case "Deployment":
				var d appsv1.Deployment
				decodeStrictYAML(t, where, doc, &d, true)
				workloads = append(workloads, workload{d.Name, d.Spec.Selector, d.Spec.Template, nil, ptrOr(d.Spec.Replicas, 1)})
			case "StatefulSet":
				var s appsv1.StatefulSet
				decodeStrictYAML(t, where, doc, &s, true)
				w := workload{s.Name, s.Spec.Selector, s.Spec.Template, nil, ptrOr(s.Spec.Replicas, 1)}
				for _, c := range s.Spec.VolumeClaimTemplates {
					w.claims = append(w.claims, c.Name)
				}
				workloads = append(workloads, w)
				if s.Name == "nats" {
					checkNATSRoutes(t, int(w.replicas), s.Spec.ServiceName)
				}
			case "Service":
				var s corev1.Service
				decodeStrictYAML(t, where, doc, &s, true)
				services = append(services, s)
			case "PersistentVolumeClaim":
				var c corev1.PersistentVolumeClaim
				decodeStrictYAML(t, where, doc, &c, true)
				claims[c.Name] = true
			case "ServiceAccount":
				decodeStrictYAML(t, where, doc, &corev1.ServiceAccount{}, true)
			case "Role":
				decodeStrictYAML(t, where, doc, &rbacv1.Role{}, true)
			case "RoleBinding":
				decodeStrictYAML(t, where, doc, &rbacv1.RoleBinding{}, true)
			default:
				t.Errorf("%s: kind %q is not checked by this test", where, meta.Kind)
			}
		}
	}

	helps := binaryVariables(t)
	for _, w := range workloads {
		labels := w.pod.Labels
		if w.selector == nil || len(w.selector.MatchLabels) == 0 || !subset(w.selector.MatchLabels, labels) {
			t.Errorf("%s: selector %v does not match its pods' labels %v", w.name, w.selector, labels)
		}
		volumes := map[string]bool{}
		for _, c := range w.claims {
			volumes[c] = true
		}
		for _, v := range w.pod.Spec.Volumes {
			volumes[v.Name] = true
			switch {
			case v.ConfigMap != nil && !configMaps[v.ConfigMap.Name]:
				t.Errorf("%s: ConfigMap %s is made by no generator of kustomization.yaml", w.name, v.ConfigMap.Name)
			case v.Secret != nil && secrets[v.Secret.SecretName] == nil:
				t.Errorf("%s: Secret %s is not created in docs/operations.md", w.name, v.Secret.SecretName)
			case v.PersistentVolumeClaim != nil && !claims[v.PersistentVolumeClaim.ClaimName]:
				t.Errorf("%s: claim %s is declared nowhere", w.name, v.PersistentVolumeClaim.ClaimName)
			}
		}
		for _, c := range w.pod.Spec.Containers {
			ports := map[string]bool{}
			for _, p := range c.Ports {
				ports[p.Name] = true
				ports[fmt.Sprint(p.ContainerPort)] = true
			}
			for _, m := range c.VolumeMounts {
				if !volumes[m.Name] {
					t.Errorf("%s/%s mounts volume %s it does not have", w.name, c.Name, m.Name)
				}
			}
			for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
				if p != nil && p.HTTPGet != nil && !ports[p.HTTPGet.Port.String()] {
					t.Errorf("%s/%s: a probe uses port %s the container does not have", w.name, c.Name, p.HTTPGet.Port.String())
				}
			}
			defined := map[string]bool{}
			env := map[string]string{}
			for _, e := range c.Env {
				for _, ref := range regexp.MustCompile(`\$\(([A-Za-z_0-9]+)\)`).FindAllStringSubmatch(e.Value, -1) {
					if !defined[ref[1]] {
						t.Errorf("%s/%s: %s uses $(%s) before it is defined", w.name, c.Name, e.Name, ref[1])
					}
				}
				defined[e.Name] = true
				env[e.Name] = e.Value
				if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil {
					if keys := secrets[r.SecretKeyRef.Name]; !slices.Contains(keys, r.SecretKeyRef.Key) {
						t.Errorf("%s/%s: secret %s key %s is not created in docs/operations.md (it creates %v)", w.name, c.Name, r.SecretKeyRef.Name, r.SecretKeyRef.Key, keys)
					}
				}
			}
			if c.Image != "kaoping" {
				continue
			}
			if len(c.Args) != 1 || helps[c.Args[0]] == nil {
				t.Errorf("%s/%s: args %v name no kaoping binary", w.name, c.Name, c.Args)
				continue
			}
			checkServiceEnv(t, w.name, c.Args[0], env, helps[c.Args[0]], func(name string) bool {
				return strings.Contains(strings.Join(mapValues(env), " "), "$("+name+")")
			})
		}
	}
	for _, s := range services {
		var target *workload
		for i := range workloads {
			if len(s.Spec.Selector) > 0 && subset(s.Spec.Selector, workloads[i].pod.Labels) {
				target = &workloads[i]
			}
		}
		if target == nil {
			t.Errorf("Service %s selects no workload (%v)", s.Name, s.Spec.Selector)
			continue
		}
		for _, p := range s.Spec.Ports {
			found := false
			for _, c := range target.pod.Spec.Containers {
				for _, cp := range c.Ports {
					found = found || cp.Name == p.TargetPort.String() || fmt.Sprint(cp.ContainerPort) == p.TargetPort.String()
				}
			}
			if !found {
				t.Errorf("Service %s port %s targets %s, which %s's containers do not have", s.Name, p.Name, p.TargetPort.String(), target.name)
			}
		}
	}

	// The Prometheus of deploy/k8s discovers pods; Debian's promtool is built
	// without Kubernetes discovery and cannot check it, so this reads it: the
	// rules where the manifest mounts them, and the job named after the pod's
	// app.kubernetes.io/name label, which the alert rules' job names rely on.
	var prom struct {
		RuleFiles     []string `json:"rule_files"`
		ScrapeConfigs []struct {
			JobName        string           `json:"job_name"`
			RelabelConfigs []map[string]any `json:"relabel_configs"`
		} `json:"scrape_configs"`
	}
	decodeStrictYAML(t, "k8s/prometheus.yml", readFile(t, "k8s/prometheus.yml"), &prom, false)
	jobLabel := false
	for _, sc := range prom.ScrapeConfigs {
		for _, r := range sc.RelabelConfigs {
			jobLabel = jobLabel || r["target_label"] == "job" && fmt.Sprint(r["source_labels"]) == "[__meta_kubernetes_pod_label_app_kubernetes_io_name]"
		}
	}
	if !jobLabel || !slices.Equal(prom.RuleFiles, []string{"/etc/prometheus/rules/*.yml"}) {
		t.Errorf("k8s/prometheus.yml: job from the pod's name label %v, rule files %v", jobLabel, prom.RuleFiles)
	}
}

// checkServiceEnv: every variable is one the binary reads (or a helper other
// values use as $(NAME)), every service listens beyond loopback, and one on
// NATS lists three nodes with three replicas.
func checkServiceEnv(t *testing.T, where, binary string, env map[string]string, known []string, helper func(string) bool) {
	t.Helper()
	for name := range env {
		if !slices.Contains(known, name) && !helper(name) {
			t.Errorf("%s: %s does not read %s (%s --help)", where, binary, name, binary)
		}
	}
	if addr := env["KAOPING_"+strings.ToUpper(binary)+"_ADDR"]; !strings.HasPrefix(addr, "0.0.0.0:") {
		t.Errorf("%s: KAOPING_%s_ADDR %q: the default listens on 127.0.0.1 only", where, strings.ToUpper(binary), addr)
	}
	if slices.Contains(known, "KAOPING_NATS_URL") {
		if n := len(strings.Split(env["KAOPING_NATS_URL"], ",")); n != 3 || env["KAOPING_STREAM_REPLICAS"] != "3" {
			t.Errorf("%s: KAOPING_NATS_URL lists %d servers, KAOPING_STREAM_REPLICAS %q; want the 3 nodes and 3", where, n, env["KAOPING_STREAM_REPLICAS"])
		}
	}
}

// checkNATSRoutes: the routes of k8s/nats.conf are the StatefulSet's pods.
func checkNATSRoutes(t *testing.T, replicas int, service string) {
	t.Helper()
	conf := string(readFile(t, "k8s/nats.conf"))
	var want []string
	for i := 0; i < replicas; i++ {
		want = append(want, fmt.Sprintf("nats-route://nats-%d.%s:6222", i, service))
	}
	got := regexp.MustCompile(`nats-route://[^\s,\]]+`).FindAllString(conf, -1)
	if !slices.Equal(got, want) {
		t.Errorf("k8s/nats.conf routes %v, the StatefulSet's pods are %v", got, want)
	}
}

// documentedSecrets reads the `kubectl create secret generic NAME
// --from-literal=KEY=… --from-file=KEY=…` commands of docs/operations.md.
func documentedSecrets(t *testing.T) map[string][]string {
	t.Helper()
	doc := strings.ReplaceAll(string(readFile(t, "../docs/operations.md")), "\\\n", " ")
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(`create secret generic ([a-z0-9-]+)([^\n]*)`).FindAllStringSubmatch(doc, -1) {
		for _, k := range regexp.MustCompile(`--from-(?:literal|file)=([A-Za-z0-9._-]+)=`).FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], k[1])
		}
	}
	if len(out) == 0 {
		t.Fatal("docs/operations.md creates no secret")
	}
	return out
}

var helpOnce struct {
	sync.Once
	vars map[string][]string
	err  error
}

// binaryVariables builds the four services and reads the variables each
// lists in --help.
func binaryVariables(t *testing.T) map[string][]string {
	t.Helper()
	helpOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kaoping-deploy-bin-")
		if err != nil {
			helpOnce.err = err
			return
		}
		defer os.RemoveAll(dir)
		helpOnce.vars = map[string][]string{}
		for _, b := range []string{"ingest", "aggregator", "scorer", "api"} {
			build := exec.Command("go", "build", "-o", filepath.Join(dir, b), "./services/"+b)
			build.Dir = ".."
			if out, err := build.CombinedOutput(); err != nil {
				helpOnce.err = fmt.Errorf("build %s: %v\n%s", b, err, out)
				return
			}
			out, err := exec.Command(filepath.Join(dir, b), "--help").CombinedOutput()
			if err != nil {
				helpOnce.err = fmt.Errorf("%s --help: %v\n%s", b, err, out)
				return
			}
			for _, m := range regexp.MustCompile(`env (KAOPING_[A-Z0-9_]+)`).FindAllStringSubmatch(string(out), -1) {
				helpOnce.vars[b] = append(helpOnce.vars[b], m[1])
			}
		}
	})
	if helpOnce.err != nil {
		t.Fatal(helpOnce.err)
	}
	return helpOnce.vars
}

// decodeStrictYAML decodes YAML into v; strict: a field v does not have is
// an error.
func decodeStrictYAML(t *testing.T, where string, doc []byte, v any, strict bool) {
	t.Helper()
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		t.Errorf("%s: %v", where, err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func ptrOr(p *int32, d int32) int32 {
	if p == nil {
		return d
	}
	return *p
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
