package deploy

import (
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// TestNATSConfiguration: nats-server itself reads the configuration of the
// compose and the Kubernetes cluster: JetStream on and syncing every
// message, one cluster of three routes, and users that keep kaoping.ingest.>
// to ingest and let a source publish on its own subjects only.
func TestNATSConfiguration(t *testing.T) {
	for _, v := range []string{"NATS_SERVER_NAME", "NATS_INGEST_PASSWORD", "NATS_AGGREGATOR_PASSWORD", "NATS_SCORER_PASSWORD", "NATS_HOTLINE_PASSWORD"} {
		t.Setenv(v, "test-"+v)
	}
	for _, f := range []string{"compose/nats/nats.conf", "k8s/nats.conf"} {
		o, err := server.ProcessConfigFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !o.JetStream || !o.SyncAlways || o.ServerName != "test-NATS_SERVER_NAME" || o.MaxPayload != 1<<20 {
			t.Errorf("%s: jetstream %v, sync always %v, server name %q, max payload %d", f, o.JetStream, o.SyncAlways, o.ServerName, o.MaxPayload)
		}
		if o.Cluster.Name != "kaoping" || len(o.Routes) != 3 || o.Cluster.Port != 6222 {
			t.Errorf("%s: cluster %q on %d with %d routes", f, o.Cluster.Name, o.Cluster.Port, len(o.Routes))
		}
		users := map[string]*server.User{}
		for _, u := range o.Users {
			users[u.Username] = u
			if u.Password != "test-NATS_"+map[string]string{"ingest": "INGEST", "aggregator": "AGGREGATOR", "scorer": "SCORER", "hotline": "HOTLINE"}[u.Username]+"_PASSWORD" {
				t.Errorf("%s: user %s's password does not come from its variable", f, u.Username)
			}
		}
		denies := func(user, subject string) bool {
			u := users[user]
			return u != nil && u.Permissions != nil && u.Permissions.Publish != nil && slices.Contains(u.Permissions.Publish.Deny, subject)
		}
		if !denies("ingest", "kaoping.events.>") || !denies("aggregator", "kaoping.ingest.>") || !denies("scorer", "kaoping.ingest.>") {
			t.Errorf("%s: only ingest may publish on kaoping.ingest.>, and ingest never as a source", f)
		}
		h := users["hotline"]
		if h == nil || h.Permissions == nil || h.Permissions.Publish == nil ||
			!slices.Contains(h.Permissions.Publish.Allow, "kaoping.events.hotline.>") || slices.Contains(h.Permissions.Publish.Allow, "kaoping.ingest.>") {
			t.Errorf("%s: the hotline source's user: %+v", f, h)
		}
	}
}
