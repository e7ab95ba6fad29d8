package stream

import (
	"strings"
	"testing"
)

func TestUsers(t *testing.T) {
	users, err := Users([]string{"review", "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if got := strings.Join(names, " "); got != "natsd ingest aggregator scorer hotline review" {
		t.Errorf("users %s", got)
	}
	h := users[4]
	if strings.Join(h.PublishAllow, " ") != "kaoping.events.hotline kaoping.events.hotline.> $JS.API.STREAM.INFO.KAOPING_EVENTS" ||
		strings.Join(h.SubscribeAllow, " ") != "_INBOX_hotline.>" {
		t.Errorf("hotline may %+v", h)
	}
	for _, bad := range [][]string{{"ingest"}, {"a-b", "a_b"}, {"Natsd"}, {"a.b"}, {""}} {
		if _, err := Users(bad); err == nil {
			t.Errorf("Users(%q) accepted", bad)
		}
	}
	if v := PasswordVar("a-b"); v != "KAOPING_NATS_PASSWORD_A_B" {
		t.Errorf("PasswordVar = %s", v)
	}
	conf := AuthorizationConfig(users, "head\n\nline")
	for _, want := range []string{"# head\n#\n# line\n", `user: "hotline"`, "password: $KAOPING_NATS_PASSWORD_HOTLINE\n", `"$JS.ACK.KAOPING_EVENTS.aggregator.>"`} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
}

func TestRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                      "nats://127.0.0.1:4222",
		"nats://u:secret@a:4222,nats://b:4222":       "nats://u:xxxxx@a:4222,nats://b:4222",
		"nats://s3cr3t@a:4222":                       "nats://xxxxx@a:4222",
		"nats://a:4222, nats://ingest:p%40ss@b:4222": "nats://a:4222,nats://ingest:xxxxx@b:4222",
	} {
		if got := Redacted(in); got != want {
			t.Errorf("Redacted(%q) = %q, want %q", in, got, want)
		}
	}
}
