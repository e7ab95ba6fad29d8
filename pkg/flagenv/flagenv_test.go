package flagenv

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestCommandLineWinsOverEnvironmentOverDefault(t *testing.T) {
	fs := flag.NewFlagSet("svc", flag.ContinueOnError)
	a := fs.String("a", "def-a", "")
	b := fs.String("b", "def-b", "")
	c := fs.Int("c", 1, "")
	env := map[string]string{"a": "X_A", "b": "X_B", "c": "X_C"}
	getenv := func(k string) string { return map[string]string{"X_A": "env-a", "X_B": "env-b"}[k] }
	if err := Parse(fs, []string{"--b", "cli-b"}, getenv, env, "", &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if *a != "env-a" || *b != "cli-b" || *c != 1 {
		t.Errorf("a=%s b=%s c=%d", *a, *b, *c)
	}
}

func TestBadEnvironmentValueIsNamed(t *testing.T) {
	fs := flag.NewFlagSet("svc", flag.ContinueOnError)
	fs.Int("n", 1, "")
	err := Parse(fs, nil, func(string) string { return "many" }, map[string]string{"n": "X_N"}, "", &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "X_N") {
		t.Fatalf("err = %v", err)
	}
}

func TestHelpListsEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("svc", flag.ContinueOnError)
	fs.String("addr", ":1", "listen address")
	var out bytes.Buffer
	err := Parse(fs, []string{"--help"}, func(string) string { return "" }, map[string]string{"addr": "X_ADDR"}, "A service.", &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "X_ADDR") {
		t.Fatalf("err=%v out=%s", err, out.String())
	}
}

func TestBadFlagIsOneLineAndPrintsNothing(t *testing.T) {
	fs := flag.NewFlagSet("svc", flag.ContinueOnError)
	fs.Int("batch-size", 1, "")
	var out bytes.Buffer
	err := Parse(fs, []string{"--batch-size", "many"}, func(string) string { return "" }, map[string]string{"batch-size": "X_BATCH"}, "", &out)
	if err == nil || !strings.Contains(err.Error(), "batch-size") || strings.Contains(err.Error(), "\n") || out.Len() != 0 {
		t.Fatalf("err=%v out=%q", err, out.String())
	}
	if err := Parse(flag.NewFlagSet("svc", flag.ContinueOnError), []string{"extra"}, func(string) string { return "" }, nil, "", &out); err == nil {
		t.Fatal("a stray argument was accepted")
	}
}

func TestMerge(t *testing.T) {
	got := Merge(map[string]string{"a": "A"}, map[string]string{"b": "B"})
	if len(got) != 2 || got["a"] != "A" || got["b"] != "B" {
		t.Fatalf("%v", got)
	}
}
