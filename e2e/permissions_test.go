package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	cejsm "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/event"
	"kaoping/pkg/publish"
	"kaoping/pkg/sources"
	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

// natsWithUsers starts an embedded NATS server from exactly the files deploy/
// ships (deploy/nats/kaoping.conf, which includes users.conf, generated from
// deploy/local/sources.yaml), on a free port and a temporary store, with the
// password of user u set to "pw-"+u. It returns the server's URL.
func natsWithUsers(t *testing.T) string {
	t.Helper()
	reg, err := sources.Load("../deploy/local/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	users, err := stream.Users(reg.Names())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		t.Setenv(stream.PasswordVar(u.Name), "pw-"+u.Name)
	}
	opts, err := server.ProcessConfigFile("../deploy/nats/kaoping.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Users) != len(users) {
		t.Fatalf("deploy/nats/kaoping.conf has %d users, the registry makes %d (regenerate users.conf)", len(opts.Users), len(users))
	}
	opts.Host, opts.Port, opts.StoreDir = "127.0.0.1", -1, t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns.ClientURL()
}

// violations collects the permission violations the server reports to a client.
type violations struct {
	mu   sync.Mutex
	seen []string
}

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		v.mu.Lock()
		v.seen = append(v.seen, err.Error())
		v.mu.Unlock()
	}
}

// wait waits until a violation naming subject is reported.
func (v *violations) wait(t *testing.T, what, subject string) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, func() error {
		v.mu.Lock()
		defer v.mu.Unlock()
		for _, s := range v.seen {
			if strings.Contains(s, what) && strings.Contains(s, `"`+subject+`"`) {
				return nil
			}
		}
		return fmt.Errorf("no permissions violation for %s to %q; seen %q", what, subject, v.seen)
	})
}

// connectAs connects to url as user with its password, as a source or
// service does (stream.ClientOptions), reporting violations to v.
func connectAs(t *testing.T, url, user string, v *violations) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	opts := append(stream.ClientOptions(user, "pw-"+user), nats.PermissionErrOnSubscribe(true))
	if v != nil {
		opts = append(opts, nats.ErrorHandler(v.handler))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// TestNATSPermissions runs the whole stack on a NATS server configured with
// deploy/nats/: every service logs in as its own user, and so do the sources
// (the SDK, plain nats.go and the official CloudEvents JetStream sender). A
// source publishes on its own subjects and nowhere else, reads nothing of the
// stream, of the consumers or of another client's inbox; an event it
// publishes with another source's name is dead-lettered by the aggregator,
// with the reason; what ingest and the sources were let publish is stored
// and scored, and nothing else.
func TestNATSPermissions(t *testing.T) {
	url := natsWithUsers(t)
	registry, err := filepath.Abs("../deploy/local/sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Nobody gets in without a user.
	if nc, err := nats.Connect(url, nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("a client without a user was let in")
	}
	// natsd's user declares the streams, as natsd does at start.
	_, natsdJS := connectAs(t, url, stream.UserNatsd, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := stream.Ensure(ctx, natsdJS, stream.Config{}); err != nil {
		t.Fatal(err)
	}

	ch := testkit.SharedClickHouse(t)
	s := newStack(t, ch, url, "KAOPING_SOURCES="+registry)
	for _, svc := range []string{"aggregator", "ingest", "scorer", "api"} {
		s.startService(svc, "KAOPING_NATS_USER="+svc, "KAOPING_NATS_PASSWORD=pw-"+svc)
	}

	// Through ingest, as dev (kaoping-dev-token, in the registry by its hash).
	at := "2026-08-03T09:00:00+08:00"
	unit := ce("u-d", event.TypeUnitUpserted, "2026-01-01T00:00:00+08:00", map[string]any{"unit": "d", "name": "南湖区", "level": "district"})
	if r := s.send(unit); r.Accepted != 1 {
		t.Fatalf("ingest as dev: %+v", r)
	}

	// The SDK as hotline: its events are stored; sent twice, the second
	// copy is a duplicate (no read of the stream needed to tell).
	hv := &violations{}
	hotNC, hotJS := connectAs(t, url, "hotline", hv)
	pub, err := publish.New(hotJS, "hotline", "/sources/hotline", nil)
	if err != nil {
		t.Fatal(err)
	}
	assigned, err := pub.Event("a-H1", event.TypeComplaintAssigned, time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC),
		map[string]any{"complaint_id": "H1", "unit": "d", "category": "noise", "response_due": "2026-08-03T11:00:00Z", "resolve_due": "2026-08-10T09:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	for i, wantDup := range []bool{false, true} {
		res, err := pub.Publish(ctx, assigned)
		if err != nil || res.Duplicate != wantDup {
			t.Fatalf("SDK publish %d as hotline: %+v, %v", i, res, err)
		}
	}

	// Plain nats.go as hotline, on its own subject but naming another
	// source: the stream takes it, the aggregator dead-letters it.
	forged := `{"specversion":"1.0","id":"forged-1","source":"/sources/org","type":"kaoping.complaint.assigned","time":"` + at +
		`","data":{"complaint_id":"F1","unit":"d","category":"noise","response_due":"2026-08-03T11:00:00+08:00","resolve_due":"2026-08-10T09:00:00+08:00"}}`
	if _, err := hotJS.PublishMsg(ctx, &nats.Msg{Subject: stream.SourceSubject("hotline") + ".complaint", Data: []byte(forged)}); err != nil {
		t.Fatalf("hotline on its own subject: %v", err)
	}

	// The official CloudEvents JetStream sender as review, with its user
	// and inbox prefix: stream info and publish are all it needs.
	sender, err := cejsm.NewSender(url, stream.EventsStream, stream.SourceSubject("review"), stream.ClientOptions("review", "pw-review"), nil)
	if err != nil {
		t.Fatalf("CloudEvents sender as review: %v", err)
	}
	defer sender.Close(context.Background())
	client, err := cloudevents.NewClient(sender)
	if err != nil {
		t.Fatal(err)
	}
	ev := cloudevents.NewEvent()
	ev.SetID("rv-1")
	ev.SetSource("/sources/review")
	ev.SetType(event.TypeReviewRated)
	ev.SetTime(time.Date(2026, 9, 20, 9, 0, 0, 0, time.UTC))
	if err := ev.SetData(cloudevents.ApplicationJSON, map[string]any{"review_id": "rv-1", "subject_kind": "unit", "subject": "d",
		"period": "2026Q3", "rater_group": "peers", "score": 88}); err != nil {
		t.Fatal(err)
	}
	if res := client.Send(ctx, ev); cloudevents.IsUndelivered(res) || !cloudevents.IsACK(res) {
		t.Fatalf("CloudEvents sender as review: %v", res)
	}

	// What hotline may not do. A publish the server refuses is never
	// acknowledged (the client times out) and is reported as a violation.
	// The attempts run at once: each waits out its timeout.
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 2*time.Second) }
	var wg sync.WaitGroup
	denied := []string{stream.SourceSubject("org"), stream.SourceSubject("org") + ".x", stream.IngestSubject("hotline"), stream.DeadLetterSubjectPrefix + "1"}
	for _, subject := range denied {
		wg.Go(func() {
			c, cancel := short()
			defer cancel()
			if _, err := hotJS.PublishMsg(c, &nats.Msg{Subject: subject, Data: []byte(forged)}); err == nil {
				t.Errorf("hotline published on %s", subject)
			}
		})
	}
	for _, subject := range []string{"kaoping.>", stream.EventsSubjectPrefix + ">", stream.IngestSubjectPrefix + ">", "_INBOX.>",
		stream.InboxPrefix(stream.UserIngest) + ".>", stream.InboxPrefix(stream.UserAggregator) + ".>", stream.InboxPrefix("org") + ".>", ">"} {
		sub, err := hotNC.SubscribeSync(subject)
		if err == nil {
			_, err = sub.NextMsg(2 * time.Second)
		}
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Errorf("hotline subscribed to %s: %v", subject, err)
		}
		hv.wait(t, "Subscription", subject)
	}
	// Reading the stream: no message by sequence, no consumer of its own, no
	// pull from the aggregator's, no change to it.
	for what, call := range map[string]func(context.Context) error{
		"get a message": func(c context.Context) error {
			st, err := hotJS.Stream(c, stream.EventsStream)
			if err != nil {
				return err
			}
			_, err = st.GetMsg(c, 1)
			return err
		},
		"create a consumer": func(c context.Context) error {
			_, err := hotJS.OrderedConsumer(c, stream.EventsStream, jetstream.OrderedConsumerConfig{})
			return err
		},
		"pull from the aggregator's consumer": func(c context.Context) error {
			_, err := hotNC.RequestWithContext(c, "$JS.API.CONSUMER.MSG.NEXT."+stream.EventsStream+"."+stream.AggregatorConsumer, []byte(`{"batch":1}`))
			return err
		},
		"read the aggregator's consumer": func(c context.Context) error {
			_, err := hotJS.Consumer(c, stream.EventsStream, stream.AggregatorConsumer)
			return err
		},
		"delete the aggregator's consumer": func(c context.Context) error {
			return hotJS.DeleteConsumer(c, stream.EventsStream, stream.AggregatorConsumer)
		},
		"purge the stream": func(c context.Context) error {
			st, err := hotJS.Stream(c, stream.EventsStream)
			if err != nil {
				return err
			}
			return st.Purge(c)
		},
		"read the dead letters": func(c context.Context) error {
			_, err := hotJS.Stream(c, stream.DeadLetterStream)
			return err
		},
	} {
		wg.Go(func() {
			c, cancel := short()
			defer cancel()
			if err := call(c); err == nil {
				t.Errorf("hotline could %s", what)
			}
		})
	}
	wg.Wait()
	for _, subject := range denied {
		hv.wait(t, "Publish", subject)
	}
	hv.wait(t, "Publish", "$JS.API.STREAM.MSG.GET."+stream.EventsStream)
	hv.wait(t, "Publish", "$JS.API.CONSUMER.MSG.NEXT."+stream.EventsStream+"."+stream.AggregatorConsumer)

	// The aggregator dead-lettered the forged event, and says why.
	testkit.Eventually(t, 20*time.Second, func() error {
		code, b := s.call("GET", "http://"+s.aggregator+"/v1/deadletters", "", nil)
		if code != http.StatusOK || !contains(string(b), `"forged-1"`) || !contains(string(b), `is not \"/sources/hotline\"`) {
			return fmt.Errorf("dead letters: %d %s", code, b)
		}
		return nil
	})

	// A run sees what was let in (the scorer's read barrier works with its
	// user's rights); ClickHouse holds it, and nothing else.
	run := s.runPeriod("2026Q3")
	if c := run["counts"].(map[string]any); c["complaints"] != float64(1) || c["reviews"] != float64(1) {
		t.Errorf("run counts = %v, want the SDK's complaint and the CloudEvents sender's review", c)
	}
	conn, err := clickhouse.Open(ch.Options(envValue(s.env, "KAOPING_CLICKHOUSE_DATABASE")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT source, id, count() FROM events GROUP BY source, id ORDER BY source, id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var src, id string
		var n uint64
		if err := rows.Scan(&src, &id, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s ×%d", src, id, n))
	}
	rows.Close()
	want := []string{"/sources/dev u-d ×1", "/sources/hotline a-H1 ×1", "/sources/review rv-1 ×1"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("events stored:\n got %q\nwant %q", got, want)
	}
}

// envValue is the last value of variable name in env.
func envValue(env []string, name string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}
