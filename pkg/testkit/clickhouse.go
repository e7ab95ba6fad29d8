package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ClickHouse is a throwaway ClickHouse server run from the installed binary as
// a plain child process, with its config, data and logs in one directory.
type ClickHouse struct {
	// Addr is host:port of the native protocol (what clickhouse-go speaks).
	Addr string
	// HTTPAddr is host:port of the HTTP interface (/ping).
	HTTPAddr string
	// Dir holds config.xml, users.xml, the data directory and the logs.
	Dir string

	opts     ClickHouseOptions
	mu       sync.Mutex // guards cmd and stopping against a revival
	cmd      *exec.Cmd
	stopping bool
	revived  atomic.Int32
	exited   chan struct{} // closed once the process has been reaped for good
	waitErr  error         // set before exited is closed
	stop     sync.Once
	dbSeq    atomic.Int64
}

// How long a server may take to answer /ping, and to stop after SIGTERM.
const (
	clickHouseReadyTimeout = 60 * time.Second
	clickHouseStopTimeout  = 5 * time.Second
	// clickHouseQueryTimeout is max_execution_time, in seconds, on every test
	// connection: a runaway query fails the test instead of hanging it.
	clickHouseQueryTimeout = 60
)

// StartClickHouse starts a ClickHouse server of its own for this test, on free
// ports of 127.0.0.1, stopped by t.Cleanup. It fails the test, saying to run
// `make deps`, when no ClickHouse binary is installed. Starting a server costs
// a few seconds: most tests should share one with SharedClickHouse.
func StartClickHouse(t testing.TB) *ClickHouse {
	t.Helper()
	return StartClickHouseWith(t, ClickHouseOptions{})
}

// ClickHouseOptions change what a server of its own does.
type ClickHouseOptions struct {
	// LogQueries gives the server a system.query_log (flushed every second)
	// for connections that ask to log their queries (log_queries=1), and a
	// system.part_log of every part written and merged, as benchmarks need.
	LogQueries bool
	// ConfigD, when set, is written as config.d/kaoping.xml beside the
	// server's config, which the server merges into it (as an operator adds
	// a cluster's remote_servers, macros and zookeeper sections).
	ConfigD string
	// UsersD, when set, is written as users.d/kaoping-profile.xml beside the
	// server's users.xml, merged into it (profile settings a cluster needs).
	UsersD string
	// Revive starts the server again, on the same ports and data, when it
	// dies without being stopped (at most maxRevivals times). The test
	// server, ClickHouse 18.16, sometimes crashes in its ZooKeeper client
	// (a NULL read in zkutil::ZooKeeper::createImpl, seen in CI on a loaded
	// machine); a cluster's tests are about kaoping's schema and queries, so
	// its servers come back as an operator's supervisor would bring them.
	// Each revival is written to the server's stdout.log (see Logs).
	Revive bool
}

// maxRevivals bounds Revive: a server that keeps dying is a failure to see.
const maxRevivals = 3

// StartClickHouseWith is StartClickHouse with options.
func StartClickHouseWith(t testing.TB, o ClickHouseOptions) *ClickHouse {
	t.Helper()
	c, err := startClickHouse(t.TempDir(), o)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

var shared struct {
	once sync.Once
	mu   sync.Mutex
	ch   *ClickHouse
	err  error
}

// SharedClickHouse returns the one ClickHouse server of this test binary,
// started on first use. Tests keep apart by using their own database
// (NewDatabase). The server is stopped and its directory removed by Main, so a
// package that uses SharedClickHouse should have
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
//
// Without it the server still dies with the test binary (it is started with
// Pdeathsig), but its temporary directory is left behind.
func SharedClickHouse(t testing.TB) *ClickHouse {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "kaoping-clickhouse-")
		if err != nil {
			shared.err = fmt.Errorf("shared clickhouse dir: %w", err)
			return
		}
		ch, err := startClickHouse(dir, ClickHouseOptions{})
		if err != nil {
			_ = os.RemoveAll(dir)
			shared.err = err
			return
		}
		shared.mu.Lock()
		shared.ch = ch
		shared.mu.Unlock()
	})
	if shared.err != nil {
		t.Fatalf("testkit: shared ClickHouse: %v", shared.err)
	}
	return shared.ch
}

// Main runs the tests of a package and then stops what they shared (the
// shared ClickHouse server), and exits with the tests' exit code. Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// StopShared stops the shared ClickHouse server, if one was started, and
// removes its directory. Main calls it; a TestMain with more to do after
// m.Run can call it itself.
func StopShared() {
	shared.mu.Lock()
	ch := shared.ch
	shared.mu.Unlock()
	if ch == nil {
		return
	}
	ch.Stop()
	_ = os.RemoveAll(ch.Dir)
}

// Options returns client options for the native protocol on database, with
// max_execution_time set so no test query can hang.
func (c *ClickHouse) Options(database string) *clickhouse.Options {
	return &clickhouse.Options{
		Addr:        []string{c.Addr},
		Auth:        clickhouse.Auth{Database: database, Username: "default"},
		DialTimeout: 10 * time.Second,
		Settings:    clickhouse.Settings{"max_execution_time": clickHouseQueryTimeout},
	}
}

// Connect opens a native connection to database ("" is "default"), closed by
// t.Cleanup.
func (c *ClickHouse) Connect(t testing.TB, database string) driver.Conn {
	t.Helper()
	if database == "" {
		database = "default"
	}
	conn, err := clickhouse.Open(c.Options(database))
	if err != nil {
		t.Fatalf("testkit: open clickhouse %s: %v", c.Addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// NewDatabase creates a fresh database with a unique name (test_<n>) and
// returns the name; t.Cleanup drops it.
func (c *ClickHouse) NewDatabase(t testing.TB) string {
	t.Helper()
	name := "test_" + strconv.FormatInt(c.dbSeq.Add(1), 10)
	conn, err := clickhouse.Open(c.Options("default"))
	if err != nil {
		t.Fatalf("testkit: open clickhouse %s: %v", c.Addr, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The name is ours (test_<n>), never input, so it may be spliced in.
	if err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testkit: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		select {
		case <-c.exited:
			return // the server is gone, and its data with it
		default:
		}
		conn, err := clickhouse.Open(c.Options("default"))
		if err != nil {
			return
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Logf("testkit: drop database %s: %v", name, err)
		}
	})
	return name
}

// AddUsers installs a users file (deploy/clickhouse/users.d/kaoping.xml) in
// the server's users.d, as an operator adds users, and reloads the server's
// configuration; the file stays across Restart. Values its from_env
// attributes name come from the server's environment, which is the test
// process's when the server started: set them (t.Setenv) before
// StartClickHouse.
func (c *ClickHouse) AddUsers(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testkit: users file: %v", err)
	}
	dir := filepath.Join(c.Dir, "users.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(path)), b, 0o644); err != nil {
		t.Fatalf("testkit: %v", err)
	}
	conn := c.Connect(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := conn.Exec(ctx, "SYSTEM RELOAD CONFIG"); err != nil {
		t.Fatalf("testkit: reload clickhouse config: %v", err)
	}
}

// Stop stops the server: SIGTERM, then SIGKILL if it has not exited in a few
// seconds. It is safe to call more than once.
func (c *ClickHouse) Stop() {
	c.stop.Do(func() {
		select {
		case <-c.exited:
			return
		default:
		}
		c.mu.Lock()
		c.stopping = true
		proc := c.cmd.Process
		c.mu.Unlock()
		_ = proc.Signal(syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(clickHouseStopTimeout):
			_ = proc.Kill()
			<-c.exited
		}
	})
}

// Pid is the server's process id.
func (c *ClickHouse) Pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cmd.Process.Pid
}

// Revivals is how many times Revive started the server again.
func (c *ClickHouse) Revivals() int { return int(c.revived.Load()) }

// ClickHouseBinary returns the command that runs a ClickHouse server:
// clickhouse-server, or `clickhouse server` where only the single binary of
// newer releases is installed.
func ClickHouseBinary() (path string, args []string, err error) {
	for _, name := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil, nil
		}
	}
	for _, name := range []string{"clickhouse", "/usr/bin/clickhouse"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, []string{"server"}, nil
		}
	}
	return "", nil, errors.New("no ClickHouse server installed (neither clickhouse-server nor clickhouse found): run `make deps`")
}

// startClickHouse writes the config into dir and starts a server on free
// ports. A port taken between choosing and binding makes the server exit; it
// is then tried again on other ports.
func startClickHouse(dir string, o ClickHouseOptions) (*ClickHouse, error) {
	bin, args, err := ClickHouseBinary()
	if err != nil {
		return nil, err
	}
	return onFreePorts(2, func(ports []int) (*ClickHouse, error) {
		return launchClickHouse(dir, bin, args, ports, o)
	})
}

var errPortTaken = errors.New("port already in use")

// onFreePorts calls launch with n free ports of 127.0.0.1, and again with
// other ports, three tries in all, while it fails with errPortTaken: a port
// can be taken by another process between choosing it and binding it.
func onFreePorts[T any](n int, launch func(ports []int) (T, error)) (T, error) {
	var zero T
	var lastErr error
	for range 3 {
		ports, err := freePorts(n)
		if err != nil {
			return zero, err
		}
		v, err := launch(ports)
		if err == nil {
			return v, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return zero, lastErr
}

// Restart starts a stopped server again on the same ports and data, as an
// operator brings back a database that was away; t.Cleanup stops it.
func (c *ClickHouse) Restart(t testing.TB) {
	t.Helper()
	c.Stop()
	bin, args, err := ClickHouseBinary()
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	ports := make([]int, 2)
	for i, addr := range []string{c.Addr, c.HTTPAddr} {
		_, p, _ := net.SplitHostPort(addr)
		ports[i], _ = strconv.Atoi(p)
	}
	// The same value lives on: callers hold c.
	c.stop = sync.Once{}
	if err := c.launch(bin, args, ports); err != nil {
		t.Fatalf("testkit: restart clickhouse: %v", err)
	}
	t.Cleanup(c.Stop)
}

func launchClickHouse(dir, bin string, args []string, ports []int, o ClickHouseOptions) (*ClickHouse, error) {
	c := &ClickHouse{
		Addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		HTTPAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		Dir:      dir,
		opts:     o,
	}
	if err := c.launch(bin, args, ports); err != nil {
		return nil, err
	}
	return c, nil
}

// launch writes the configuration into c.Dir and starts the server on ports
// (native, HTTP), returning once it answers /ping.
func (c *ClickHouse) launch(bin string, args []string, ports []int) error {
	dir, o := c.Dir, c.opts
	cfg := clickHouseConfig{
		Dir:        dir,
		DataDir:    filepath.Join(dir, "data") + "/",
		TCPPort:    ports[0],
		HTTPPort:   ports[1],
		LogQueries: o.LogQueries,
	}
	for _, f := range []struct {
		name string
		tmpl *template.Template
	}{{"config.xml", configTemplate}, {"users.xml", usersTemplate}} {
		var b bytes.Buffer
		if err := f.tmpl.Execute(&b, cfg); err != nil {
			return fmt.Errorf("clickhouse %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("clickhouse %s: %w", f.name, err)
		}
	}
	if o.ConfigD != "" {
		if err := os.MkdirAll(filepath.Join(dir, "config.d"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "config.d", "kaoping.xml"), []byte(o.ConfigD), 0o644); err != nil {
			return fmt.Errorf("clickhouse config.d: %w", err)
		}
	}
	if o.UsersD != "" {
		if err := os.MkdirAll(filepath.Join(dir, "users.d"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "users.d", "kaoping-profile.xml"), []byte(o.UsersD), 0o644); err != nil {
			return fmt.Errorf("clickhouse users.d: %w", err)
		}
	}
	// Logs from an earlier attempt would confuse the diagnosis of this one.
	for _, name := range []string{"server.log", "server.err.log", "stdout.log"} {
		_ = os.Remove(filepath.Join(dir, name))
	}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		return fmt.Errorf("clickhouse stdout log: %w", err)
	}

	command := func() *exec.Cmd {
		cmd := exec.Command(bin, append(args, "--config-file="+filepath.Join(dir, "config.xml"))...)
		cmd.Dir = dir
		cmd.Stdout = out
		cmd.Stderr = out
		// Pdeathsig fires when the thread that started the child exits, not
		// the process: the child is started and waited for on one locked
		// thread, which therefore lives exactly as long as the test binary or
		// the server.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		return cmd
	}
	c.mu.Lock()
	c.cmd, c.exited, c.waitErr, c.stopping = command(), make(chan struct{}), nil, false
	c.mu.Unlock()
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		if err := c.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd := c.cmd
		for {
			err := cmd.Wait()
			if cmd = c.revive(command, err, out); cmd == nil {
				c.waitErr = err
				break
			}
		}
		_ = out.Close()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		_ = out.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}

	if err := c.waitReady(clickHouseReadyTimeout); err != nil {
		c.Stop()
		tail := c.logTail()
		if strings.Contains(tail, "Address already in use") {
			return fmt.Errorf("clickhouse: %w: %v", errPortTaken, err)
		}
		return fmt.Errorf("clickhouse in %s: %v\n--- tail of its logs ---\n%s", dir, err, tail)
	}
	return nil
}

// revive starts the server again after it died with err, when Revive asks
// for it and nobody stopped it; it returns the running command, or nil when
// the exit is final.
func (c *ClickHouse) revive(command func() *exec.Cmd, err error, log *os.File) *exec.Cmd {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.opts.Revive || c.stopping || c.revived.Load() >= maxRevivals {
		return nil
	}
	c.revived.Add(1)
	fmt.Fprintf(log, "testkit: the server died unasked (%v): starting it again (revival %d of at most %d)\n", err, c.revived.Load(), maxRevivals)
	cmd := command()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(log, "testkit: start again: %v\n", err)
		return nil
	}
	c.cmd = cmd
	return cmd
}

// waitReady polls /ping until the server answers Ok., it exits, or timeout.
func (c *ClickHouse) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	url := "http://" + c.HTTPAddr + "/ping"
	for {
		resp, err := client.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("server exited before it was ready: %v", c.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %s (last /ping: %v)", timeout, err)
		}
	}
}

// logTail is the end of the error log and of the captured stdout and stderr.
func (c *ClickHouse) logTail() string {
	var b strings.Builder
	for _, name := range []string{"server.err.log", "stdout.log"} {
		data, err := os.ReadFile(filepath.Join(c.Dir, name))
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(&b, "%s:\n%s\n", name, strings.Join(lines, "\n"))
	}
	if b.Len() == 0 {
		return "(no log output)"
	}
	return b.String()
}

// handedOut holds every port freePorts returned in this process.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1 that this
// process has not handed out before.
func freePorts(n int) ([]int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	ports := make([]int, 0, n)
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		lns = append(lns, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		if handedOut.ports[port] {
			continue
		}
		handedOut.ports[port] = true
		ports = append(ports, port)
	}
	return ports, nil
}

type clickHouseConfig struct {
	Dir, DataDir      string
	TCPPort, HTTPPort int
	LogQueries        bool
}

// The config is the smallest one both 18.16 (Debian) and current releases
// accept: the root element <yandex> is still read by current releases. Caches
// are small because tests hold little data and the machines are small.
var configTemplate = template.Must(template.New("config.xml").Parse(`<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>{{.Dir}}/server.log</log>
        <errorlog>{{.Dir}}/server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{{.TCPPort}}</tcp_port>
    <http_port>{{.HTTPPort}}</http_port>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <path>{{.DataDir}}</path>
    <tmp_path>{{.DataDir}}tmp/</tmp_path>
    <user_files_path>{{.DataDir}}user_files/</user_files_path>
    <format_schema_path>{{.DataDir}}format_schemas/</format_schema_path>
    <users_config>{{.Dir}}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
{{- if .LogQueries}}
    <query_log>
        <database>system</database>
        <table>query_log</table>
        <flush_interval_milliseconds>1000</flush_interval_milliseconds>
    </query_log>
    <part_log>
        <database>system</database>
        <table>part_log</table>
        <flush_interval_milliseconds>1000</flush_interval_milliseconds>
    </part_log>
{{- end}}
</yandex>
`))

var usersTemplate = template.Must(template.New("users.xml").Parse(`<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>

        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`))
