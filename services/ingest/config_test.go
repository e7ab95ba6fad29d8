package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"kaoping/pkg/obs"
	"kaoping/pkg/stream"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	defaults := Config{
		HTTP: obs.HTTPConfig{Addr: "127.0.0.1:8081", ReadTimeout: obs.DefaultReadTimeout, WriteTimeout: obs.DefaultWriteTimeout, IdleTimeout: obs.DefaultIdleTimeout}, MaxBodyBytes: 10 << 20, PublishTimeout: 10 * time.Second, Rate: DefaultRate, MemoryLimitMiB: 200,
		NATS: stream.Options{URL: "nats://127.0.0.1:4222", Config: stream.Config{Replicas: 1, DuplicateWindow: 24 * time.Hour, DeadLetterMaxAge: 30 * 24 * time.Hour}},
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(c *Config)
		wantErr string
	}{
		{name: "defaults", want: func(*Config) {}},
		{
			name: "environment",
			env: map[string]string{
				"KAOPING_INGEST_ADDR": ":9000", "KAOPING_NATS_URL": "nats://n:4222", "KAOPING_SOURCES": "/etc/s.yaml",
				"KAOPING_INGEST_MAX_BODY_BYTES": "1024", "KAOPING_INGEST_DRAIN_DELAY": "5s",
				"KAOPING_INGEST_PUBLISH_TIMEOUT": "3s", "KAOPING_STREAM_REPLICAS": "3", "KAOPING_STREAM_DUPLICATE_WINDOW": "2h",
				"KAOPING_INGEST_RATE": "5000", "KAOPING_INGEST_BURST": "20000", "KAOPING_INGEST_MEMORY_LIMIT_MIB": "0",
			},
			want: func(c *Config) {
				c.HTTP.Addr, c.NATS.URL, c.Sources, c.MaxBodyBytes, c.HTTP.DrainDelay = ":9000", "nats://n:4222", "/etc/s.yaml", 1024, 5*time.Second
				c.PublishTimeout, c.NATS.Replicas, c.NATS.DuplicateWindow = 3*time.Second, 3, 2*time.Hour
				c.Rate, c.Burst, c.MemoryLimitMiB = 5000, 20000, 0
			},
		},
		{
			name: "the command line wins",
			args: []string{"--addr", ":9001", "-max-body-bytes=2048", "--drain-delay=1s"},
			env:  map[string]string{"KAOPING_INGEST_ADDR": ":9000", "KAOPING_INGEST_MAX_BODY_BYTES": "1024"},
			want: func(c *Config) { c.HTTP.Addr, c.MaxBodyBytes, c.HTTP.DrainDelay = ":9001", 2048, time.Second },
		},
		{name: "bad environment value", env: map[string]string{"KAOPING_INGEST_MAX_BODY_BYTES": "10MiB"}, wantErr: "KAOPING_INGEST_MAX_BODY_BYTES"},
		{name: "zero limit", args: []string{"--max-body-bytes", "0"}, wantErr: "max-body-bytes"},
		{name: "no rate limit", args: []string{"--rate", "0"}, want: func(c *Config) { c.Rate = 0 }},
		{name: "negative rate", env: map[string]string{"KAOPING_INGEST_RATE": "-1"}, wantErr: "KAOPING_INGEST_RATE"},
		{name: "negative burst", args: []string{"--burst=-5"}, wantErr: "KAOPING_INGEST_BURST"},
		{name: "unknown flag", args: []string{"--port", "1"}, wantErr: "port"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "serve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := parseConfig(append([]string{"ingest"}, tt.args...), envOf(tt.env), &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tt.want(&want)
			if got != want {
				t.Errorf("config\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	_, err := parseConfig([]string{"ingest", "--help"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error %v, want flag.ErrHelp", err)
	}
	for flagName, env := range map[string]string{
		"addr": "KAOPING_INGEST_ADDR", "nats-url": "KAOPING_NATS_URL", "sources": "KAOPING_SOURCES",
		"max-body-bytes": "KAOPING_INGEST_MAX_BODY_BYTES", "drain-delay": "KAOPING_INGEST_DRAIN_DELAY",
		"publish-timeout": "KAOPING_INGEST_PUBLISH_TIMEOUT", "stream-replicas": "KAOPING_STREAM_REPLICAS",
		"duplicate-window": "KAOPING_STREAM_DUPLICATE_WINDOW",
		"rate":             "KAOPING_INGEST_RATE", "burst": "KAOPING_INGEST_BURST",
	} {
		if !strings.Contains(out.String(), "--"+flagName) || !strings.Contains(out.String(), env) {
			t.Errorf("--help lacks %s / %s:\n%s", flagName, env, out.String())
		}
	}
}
