// Package lifecycle is how a kaoping binary lives: main hands the process's
// signals, arguments, environment and stdout to run (Main), and run runs its
// long-lived parts (HTTP server, consumer, embedded server…) as one Group, in
// which the first part to return stops the others.
package lifecycle

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// RunFunc is the whole of a binary, testable without a process: args[0] is the
// program name, getenv reads the environment, stdout takes logs and --help.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error

// Main runs run with the process's arguments and environment until SIGINT or
// SIGTERM, and exits: 0 on success or after --help, 1 with one line on stderr
// otherwise.
func Main(name string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout)
	stop()
	os.Exit(ExitCode(name, err, os.Stderr))
}

// ExitCode is the exit status for run's error, which it prints to stderr as
// one line prefixed with the program name.
func ExitCode(name string, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

// stopped reports whether err only says that the part was told to stop.
func stopped(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// Group runs named parts together. Each part gets a context that ends when
// the group's context ends or when any part returns; Run waits for every part
// and returns the first error (a part that returns nil also stops the others,
// as oklog/run does: a part that ends early has nothing left to serve with).
type Group struct {
	parts []part

	mu       sync.Mutex
	cleanups []func()
}

type part struct {
	name string
	run  func(ctx context.Context) error
}

// Go adds a part. It starts when Run is called.
func (g *Group) Go(name string, run func(ctx context.Context) error) {
	g.parts = append(g.parts, part{name, run})
}

// Cleanup registers f to run once every part has returned, the last
// registered first (as t.Cleanup does). Parts register the connections they
// open, so that nothing closes while another part still uses it: requests in
// flight finish and the last batch is flushed before NATS or ClickHouse go.
func (g *Group) Cleanup(f func()) {
	g.mu.Lock()
	g.cleanups = append(g.cleanups, f)
	g.mu.Unlock()
}

// Run starts every part and returns once all have returned. The error names
// the part that failed first; a part that returns its context's error after it
// was stopped has not failed.
func (g *Group) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, p := range g.parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.run(ctx)
			if err != nil && !stopped(ctx, err) {
				once.Do(func() { first = fmt.Errorf("%s: %w", p.name, err) })
			}
			cancel()
		}()
	}
	wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.cleanups) - 1; i >= 0; i-- {
		g.cleanups[i]()
	}
	g.cleanups = nil
	return first
}
