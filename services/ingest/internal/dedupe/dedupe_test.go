package dedupe

import (
	"testing"
	"time"
)

func TestIndexRemembersForTheWindowOnly(t *testing.T) {
	x := New(time.Hour)
	t0 := time.Now()
	a, b := x.Key("/sources/hotline", "c-1"), x.Key("/sources/hotline", "c-2")
	if a == b || x.Key("/sources/hot", "line/sources/hotlinec-1") == a {
		t.Fatal("distinct events share a key")
	}
	if x.Key("a/b", "c") == x.Key("a", "/bc") {
		t.Fatal("the length prefix does not keep sources apart")
	}
	x.Add(t0, a)
	if !x.Seen(a, t0.Add(59*time.Minute)) || x.Seen(b, t0) {
		t.Fatal("seen wrong")
	}
	if x.Seen(a, t0.Add(time.Hour)) {
		t.Fatal("a key outlived the window")
	}
	// Keys are random per index: another process hashes differently.
	if New(time.Hour).Key("/sources/hotline", "c-1") == a {
		t.Fatal("keys are not keyed per process")
	}
}

func TestSweepForgetsExpiredKeys(t *testing.T) {
	x := New(16 * time.Millisecond)
	old := time.Now().Add(-time.Second)
	for i := range 100 {
		x.Add(old, Key{uint64(i), 0})
	}
	time.Sleep(2 * time.Millisecond)
	x.Add(time.Now(), Key{1000, 0})
	if n := x.Len(); n != 1 {
		t.Fatalf("%d keys after the sweep, want 1", n)
	}
}
