package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestGroupFirstReturnStopsTheOthers(t *testing.T) {
	var g Group
	stopped := make(chan struct{})
	g.Go("server", func(ctx context.Context) error {
		<-ctx.Done()
		close(stopped)
		return ctx.Err() // a stopped part's cancellation is not an error
	})
	g.Go("consumer", func(ctx context.Context) error { return errors.New("lost the database") })
	err := g.Run(context.Background())
	if err == nil || err.Error() != "consumer: lost the database" {
		t.Fatalf("err = %v, want the consumer's error named", err)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("the server part was not stopped")
	}
}

func TestGroupStopsOnContextAndReportsNoError(t *testing.T) {
	var g Group
	for _, name := range []string{"a", "b"} {
		g.Go(name, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := g.Run(ctx); err != nil {
		t.Fatalf("err = %v", err)
	}
}

func TestGroupPartReturningNilStopsTheRest(t *testing.T) {
	var g Group
	g.Go("once", func(context.Context) error { return nil })
	g.Go("forever", func(ctx context.Context) error { <-ctx.Done(); return nil })
	done := make(chan error, 1)
	go func() { done <- g.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the group did not stop when a part returned")
	}
}

func TestExitCode(t *testing.T) {
	var out bytes.Buffer
	if code := ExitCode("api", nil, &out); code != 0 || out.Len() != 0 {
		t.Errorf("nil: %d %q", code, out.String())
	}
	if code := ExitCode("api", flag.ErrHelp, &out); code != 0 || out.Len() != 0 {
		t.Errorf("help: %d %q", code, out.String())
	}
	if code := ExitCode("api", errors.New(`KAOPING_API_ADDR="x": missing port`), &out); code != 1 ||
		out.String() != "api: KAOPING_API_ADDR=\"x\": missing port\n" || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("error: %d %q", code, out.String())
	}
}

func TestCleanupsRunAfterEveryPartInReverseOrder(t *testing.T) {
	var g Group
	var order []string
	partDone := make(chan struct{})
	g.Go("consumer", func(ctx context.Context) error {
		g.Cleanup(func() { order = append(order, "close nats") })
		g.Cleanup(func() { order = append(order, "close clickhouse") })
		return nil
	})
	g.Go("http", func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // a request in flight still uses the connections
		order = append(order, "http stopped")
		close(partDone)
		return nil
	})
	if err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-partDone
	if strings.Join(order, ", ") != "http stopped, close clickhouse, close nats" {
		t.Fatalf("order = %v", order)
	}
}
