package deploy

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"kaoping/pkg/testkit"
)

// TestBoardsOnACluster runs every ClickHouse panel against the demo quarter
// stored on one server and on a ClickHouse cluster of two shards (the
// boards' SQL reads the Distributed tables under the names it always used)
// and finds every panel's rows the same.
func TestBoardsOnACluster(t *testing.T) {
	records := generateDemo(t)
	ch := testkit.SharedClickHouse(t)
	asOf := time.Now().Truncate(time.Second)
	single := loadDemoOn(t, records, ch.Addr, ch.NewDatabase(t), "", asOf)
	c := testkit.StartClickHouseCluster(t, 2)
	onCluster := loadDemoOn(t, records, c.Addr(), c.NewDatabase(t), c.Name, asOf)
	want := runBoards(t, clickhouseConn(t, single))
	got := runBoards(t, clickhouseConn(t, onCluster))
	if len(want) < 10 {
		t.Fatalf("%d panels: nothing to compare", len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: no result on the cluster", name)
			continue
		}
		if a, b := cells(g), cells(w); a != b {
			t.Errorf("%s differs on the cluster:\n got  %.600s\n want %.600s", name, a, b)
		}
	}
}

// cells is a result's columns and every row's values, as text.
func cells(r result) string {
	var b strings.Builder
	fmt.Fprintln(&b, r.Columns)
	for _, row := range r.Rows {
		for _, v := range row {
			fmt.Fprintf(&b, "%v\t", deref(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestComposeCluster: docker-compose accepts compose.yaml with the cluster
// option, which adds ZooKeeper and a second ClickHouse server, gives both
// servers the cluster's configuration and their own shard, and tells every
// service that reads ClickHouse the cluster's name (a variable it reads).
func TestComposeCluster(t *testing.T) {
	out := run(t, "compose", "docker-compose", "-f", "compose.yaml", "-f", "cluster.yaml", "config")
	var c struct {
		Services map[string]struct {
			Image       string
			Environment map[string]string
			Volumes     []any
		}
	}
	if err := yaml.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Services["zookeeper"].Image, "zookeeper:") {
		t.Errorf("no ZooKeeper: %+v", c.Services["zookeeper"])
	}
	hosts := clusterHosts(t, "compose/clickhouse/cluster.xml")
	if !slices.Equal(hosts, []string{"clickhouse", "clickhouse-2"}) {
		t.Errorf("the cluster's shards are %v", hosts)
	}
	shards := map[string]bool{}
	for _, h := range hosts {
		s := c.Services[h]
		mounts := fmtAll(s.Volumes)
		if !strings.Contains(mounts, "config.d/cluster.xml") || !strings.Contains(mounts, "users.d/cluster-profile.xml") {
			t.Errorf("%s lacks the cluster's configuration: %s", h, mounts)
		}
		if s.Environment["KAOPING_CLICKHOUSE_REPLICA"] != h || s.Environment["KAOPING_CLICKHOUSE_SHARD"] == "" {
			t.Errorf("%s: macros from %v", h, s.Environment)
		}
		shards[s.Environment["KAOPING_CLICKHOUSE_SHARD"]] = true
	}
	if len(shards) != 2 {
		t.Errorf("the two servers share a shard: %v", shards)
	}
	helps := binaryVariables(t)
	for _, svc := range []string{"aggregator", "scorer", "api"} {
		if c.Services[svc].Environment["KAOPING_CLICKHOUSE_CLUSTER"] != "kaoping" || !slices.Contains(helps[svc], "KAOPING_CLICKHOUSE_CLUSTER") {
			t.Errorf("%s is not told the cluster (or does not read KAOPING_CLICKHOUSE_CLUSTER)", svc)
		}
	}
}

// TestKubernetesClusterOverlay: the overlay k8s/cluster decodes strictly
// into the API's types, runs ClickHouse as as many pods as the cluster has
// shards, named as remote_servers reaches them through its headless
// Service, with the ConfigMap the base generates mounted, and tells every
// service that reads ClickHouse the cluster's name.
func TestKubernetesClusterOverlay(t *testing.T) {
	var kust struct {
		Resources []string
		Patches   []struct{ Path string }
	}
	decodeStrictYAML(t, "k8s/cluster/kustomization.yaml", readFile(t, "k8s/cluster/kustomization.yaml"), &kust, false)
	files := append([]string{}, kust.Resources[1:]...)
	for _, p := range kust.Patches {
		files = append(files, p.Path)
	}
	if kust.Resources[0] != "../.." || len(files) < 4 {
		t.Fatalf("overlay resources %v, patches %v", kust.Resources, kust.Patches)
	}
	hosts := clusterHosts(t, "k8s/cluster/clickhouse-cluster.xml")
	told := map[string]bool{}
	for _, f := range files {
		for i, doc := range bytes.Split(readFile(t, filepath.Join("k8s/cluster", f)), []byte("\n---\n")) {
			where := fmt.Sprintf("k8s/cluster/%s document %d", f, i+1)
			var meta metav1.TypeMeta
			decodeStrictYAML(t, where, doc, &meta, false)
			switch meta.Kind {
			case "StatefulSet":
				var s appsv1.StatefulSet
				decodeStrictYAML(t, where, doc, &s, true)
				if s.Name != "clickhouse" {
					continue
				}
				for i, h := range hosts {
					if h != fmt.Sprintf("clickhouse-%d.%s", i, s.Spec.ServiceName) {
						t.Errorf("shard %d is %s, not pod %d of the StatefulSet behind %s", i+1, h, i, s.Spec.ServiceName)
					}
				}
				if int(ptrOr(s.Spec.Replicas, 1)) != len(hosts) {
					t.Errorf("%d ClickHouse pods for %d shards", ptrOr(s.Spec.Replicas, 1), len(hosts))
				}
				if v := s.Spec.Template.Spec.Volumes; len(v) != 1 || v[0].ConfigMap == nil || v[0].ConfigMap.Name != "clickhouse-cluster-config" ||
					!strings.Contains(string(readFile(t, "kustomization.yaml")), "name: clickhouse-cluster-config") {
					t.Errorf("ClickHouse's cluster volume %+v is not the base's ConfigMap", v)
				}
			case "Deployment":
				var d appsv1.Deployment
				decodeStrictYAML(t, where, doc, &d, true)
				for _, e := range d.Spec.Template.Spec.Containers[0].Env {
					if e.Name == "KAOPING_CLICKHOUSE_CLUSTER" && e.Value == "kaoping" {
						told[d.Name] = true
					}
				}
			case "Service":
				var s corev1.Service
				decodeStrictYAML(t, where, doc, &s, true)
			default:
				t.Errorf("%s: kind %q is not checked", where, meta.Kind)
			}
		}
	}
	for _, svc := range []string{"aggregator", "scorer", "api"} {
		if !told[svc] {
			t.Errorf("%s is not told the cluster's name", svc)
		}
	}
}

// TestClusterProfile: the profile file every cluster server gets makes
// every IN subquery GLOBAL in each profile a kaoping or Grafana user has,
// as the test cluster's servers have it (testkit.ClusterProfile).
func TestClusterProfile(t *testing.T) {
	var doc struct {
		Profiles struct {
			Any []struct {
				XMLName xml.Name
				Mode    string `xml:"distributed_product_mode"`
			} `xml:",any"`
		} `xml:"profiles"`
	}
	if err := xml.Unmarshal(readFile(t, "clickhouse/cluster-profile.xml"), &doc); err != nil {
		t.Fatal(err)
	}
	global := map[string]bool{}
	for _, p := range doc.Profiles.Any {
		global[p.XMLName.Local] = p.Mode == "global"
	}
	used := regexp.MustCompile(`<profile>(\w+)</profile>`)
	for _, f := range []string{"clickhouse/users.d/kaoping.xml", "compose/clickhouse/users.xml"} {
		for _, m := range used.FindAllStringSubmatch(string(readFile(t, f)), -1) {
			if !global[m[1]] {
				t.Errorf("%s: profile %s does not set distributed_product_mode to global in clickhouse/cluster-profile.xml", f, m[1])
			}
		}
	}
	if !strings.Contains(testkit.ClusterProfile, "<distributed_product_mode>global</distributed_product_mode>") {
		t.Error("the test cluster's profile differs")
	}
}

// clusterHosts are the hosts of the shards of the cluster kaoping in a
// config.d file, in order.
func clusterHosts(t *testing.T, path string) []string {
	t.Helper()
	var doc struct {
		Remote struct {
			Kaoping struct {
				Shards []struct {
					Internal bool `xml:"internal_replication"`
					Replicas []struct {
						Host string `xml:"host"`
					} `xml:"replica"`
				} `xml:"shard"`
			} `xml:"kaoping"`
		} `xml:"remote_servers"`
		Macros struct {
			Shard struct {
				FromEnv string `xml:"from_env,attr"`
			} `xml:"shard"`
			Replica struct {
				FromEnv string `xml:"from_env,attr"`
			} `xml:"replica"`
		} `xml:"macros"`
		ZooKeeper []struct {
			Host string `xml:"host"`
		} `xml:"zookeeper>node"`
	}
	if err := xml.Unmarshal(readFile(t, path), &doc); err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, s := range doc.Remote.Kaoping.Shards {
		if !s.Internal || len(s.Replicas) == 0 {
			t.Errorf("%s: a shard %+v without internal_replication or replicas", path, s)
			continue
		}
		hosts = append(hosts, s.Replicas[0].Host)
	}
	if doc.Macros.Shard.FromEnv != "KAOPING_CLICKHOUSE_SHARD" || doc.Macros.Replica.FromEnv != "KAOPING_CLICKHOUSE_REPLICA" || len(doc.ZooKeeper) == 0 {
		t.Errorf("%s: macros %+v, zookeeper %+v", path, doc.Macros, doc.ZooKeeper)
	}
	if len(hosts) < 2 {
		t.Errorf("%s: %d shards", path, len(hosts))
	}
	return hosts
}
