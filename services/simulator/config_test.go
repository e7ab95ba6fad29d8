package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestParseConfigPrecedence(t *testing.T) {
	tests := []struct {
		name    string
		command string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c config)
		wantErr string
	}{
		{name: "defaults", command: "demo", check: func(t *testing.T, c config) {
			if c.Seed != 1 || c.Complaints != 30000 || c.Chunk != 2000 || c.NATS.URL != "nats://127.0.0.1:4222" ||
				c.ScorerURL != "http://127.0.0.1:8082" || c.APIURL != "http://127.0.0.1:8080" || c.Token != "kaoping-dev-token" ||
				c.Out != "out" || c.RunTimeout != 5*time.Minute || c.Period != "" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "env fills what the command line leaves", command: "publish",
			env: map[string]string{"KAOPING_SIMULATOR_SEED": "9", "KAOPING_NATS_URL": "nats://n:1", "KAOPING_PERIOD": "2026-08"},
			check: func(t *testing.T, c config) {
				if c.Seed != 9 || c.NATS.URL != "nats://n:1" || c.Period != "2026-08" {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "command line wins", command: "publish", args: []string{"--seed", "3", "--period=2026Q2"},
			env: map[string]string{"KAOPING_SIMULATOR_SEED": "9", "KAOPING_PERIOD": "2026-08"},
			check: func(t *testing.T, c config) {
				if c.Seed != 3 || c.Period != "2026Q2" {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "env of another command is ignored", command: "generate", env: map[string]string{"KAOPING_NATS_URL": "bad"},
			check: func(t *testing.T, c config) {}},
		{name: "bad env", command: "demo", env: map[string]string{"KAOPING_DEMO_RUN_TIMEOUT": "soon"}, wantErr: "KAOPING_DEMO_RUN_TIMEOUT"},
		{name: "flag of another command", command: "generate", args: []string{"--nats-url", "x"}, wantErr: "does not take --nats-url"},
		{name: "unknown flag", command: "publish", args: []string{"--colour"}, wantErr: "colour"},
		{name: "stray argument", command: "publish", args: []string{"now"}, wantErr: "unexpected"},
		{name: "negative complaints", command: "publish", args: []string{"--complaints=-1"}, wantErr: "complaints"},
		{name: "zero chunk", command: "publish", args: []string{"--chunk=0"}, wantErr: "chunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.command, tt.args, env(tt.env), &bytes.Buffer{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"simulator", "--help"}, env(nil), &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, want := range []string{"publish", "demo", "generate", "--nats-url", "KAOPING_NATS_URL", "--scorer-url", "KAOPING_TOKEN", "default 2000"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(t.Context(), []string{"simulator", "publish", "-h"}, env(nil), &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "--chunk") || strings.Contains(s, "--scorer-url") {
		t.Errorf("publish --help lists the wrong flags:\n%s", s)
	}
	if _, err := parseConfig("publish", []string{"--help"}, env(nil), &out); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: err = %v", err)
	}
	if err := run(t.Context(), []string{"simulator", "frobnicate"}, env(nil), &out); err == nil {
		t.Error("an unknown command is no error")
	}
	if err := run(t.Context(), []string{"simulator"}, env(nil), &out); err == nil {
		t.Error("no command is no error")
	}
}

func TestLastCompleteQuarter(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 12, 0, 0, 0, cst), "2026Q3"},
		{time.Date(2026, 10, 1, 0, 0, 0, 0, cst), "2026Q3"},
		{time.Date(2026, 9, 30, 23, 59, 0, 0, cst), "2026Q2"},
		{time.Date(2027, 2, 1, 0, 0, 0, 0, cst), "2026Q4"},
	} {
		if got := lastCompleteQuarter(tt.now); got != tt.want {
			t.Errorf("lastCompleteQuarter(%s) = %s, want %s", tt.now, got, tt.want)
		}
	}
	p, err := resolvePeriod("", time.Date(2026, 11, 23, 16, 43, 0, 0, time.UTC))
	if err != nil || p.Label != "2026Q3" || p.Start.Format(time.RFC3339) != "2026-07-01T00:00:00+08:00" {
		t.Errorf("resolvePeriod = %+v, %v", p, err)
	}
	if _, err := resolvePeriod("2026-Q3", time.Now()); err == nil {
		t.Error("a bad label is no error")
	}
}
