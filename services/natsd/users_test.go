package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"kaoping/pkg/stream"
	"kaoping/pkg/testkit"
)

var update = flag.Bool("update", false, "rewrite deploy/nats/users.conf from deploy/local/sources.yaml")

// TestUsersConfIsGenerated: deploy/nats/users.conf is what `natsd users`
// makes of the local stack's registry; go test -run TestUsersConfIsGenerated
// -update rewrites it.
func TestUsersConfIsGenerated(t *testing.T) {
	const path = "../../deploy/nats/users.conf"
	var out bytes.Buffer
	if err := run(context.Background(), []string{"natsd", "users", "--sources", "../../deploy/local/sources.yaml"}, os.Getenv, &out); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, out.Bytes()) {
		t.Errorf("%s is not what natsd users makes of deploy/local/sources.yaml; regenerate it (go test ./services/natsd -run TestUsersConfIsGenerated -update)", path)
	}
	for _, user := range []string{"natsd", "ingest", "aggregator", "scorer", "dev", "org", "hotline", "supervision", "discipline", "review"} {
		if !strings.Contains(out.String(), "user: \""+user+"\"") {
			t.Errorf("no user %s", user)
		}
	}
	if err := run(context.Background(), []string{"natsd", "users"}, os.Getenv, &out); err == nil || !strings.Contains(err.Error(), "KAOPING_SOURCES") {
		t.Errorf("natsd users without a registry: %v", err)
	}
}

// TestRunWithUsers: natsd with deploy/nats/kaoping.conf declares the streams
// as its own user, refuses a client without a user or with a wrong password,
// and refuses to start while a user's password is missing.
func TestRunWithUsers(t *testing.T) {
	users, err := stream.Users([]string{"dev", "org", "hotline", "supervision", "discipline", "review"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		t.Setenv(stream.PasswordVar(u.Name), "pw-"+u.Name)
	}
	addr, httpAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	env := map[string]string{"KAOPING_NATSD_CONFIG": "../../deploy/nats/kaoping.conf", "KAOPING_NATS_PASSWORD": "pw-natsd"}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testkit.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"natsd", "--addr", addr, "--http-addr", httpAddr, "--store-dir", t.TempDir()}, func(k string) string { return env[k] }, logs)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("run did not return after cancel")
		}
	}()
	waitReadyz(t, httpAddr, done, logs)
	if nc, err := nats.Connect("nats://"+addr, nats.NoReconnect()); err == nil {
		nc.Close()
		t.Error("a client without a user was let in")
	}
	if nc, err := nats.Connect("nats://"+addr, append(stream.ClientOptions("scorer", "wrong"), nats.NoReconnect())...); err == nil {
		nc.Close()
		t.Error("a wrong password was let in")
	}
	nc, err := nats.Connect("nats://"+addr, stream.ClientOptions("scorer", "pw-scorer")...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if hw, err := stream.HighWater(sctx, js); err != nil || hw != 0 {
		t.Errorf("the scorer reads the stream's high water: %d, %v", hw, err)
	}

	// Without a user's password the server does not start.
	t.Setenv(stream.PasswordVar("review"), "")
	os.Unsetenv(stream.PasswordVar("review"))
	err = run(context.Background(), []string{"natsd", "--addr", testkit.FreeAddr(t), "--http-addr", testkit.FreeAddr(t), "--store-dir", t.TempDir()},
		func(k string) string { return env[k] }, &testkit.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "KAOPING_NATS_PASSWORD_REVIEW") {
		t.Errorf("natsd with a password missing: %v", err)
	}
}
