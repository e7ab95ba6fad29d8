package testkit

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ZooKeeper is a standalone ZooKeeper server run from Debian's package (its
// jar, started the way zkServer.sh start-foreground does, without the
// package's /etc config) on a free loopback port, its data in a temporary
// directory: what a ClickHouse cluster's replicated tables and ON CLUSTER
// DDL need.
type ZooKeeper struct {
	Addr   string // host:port of the client port
	Dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// zooKeeperJar is the server's jar; its manifest's Class-Path names the
// libraries it needs, all installed with it.
var zooKeeperJar = []string{"/usr/share/java/zookeeper.jar", "/usr/share/zookeeper/zookeeper.jar"}

// StartZooKeeper starts a ZooKeeper server for this test; t.Cleanup stops it.
// It fails the test, saying to run `make deps`, when ZooKeeper or Java is not
// installed.
func StartZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	z, err := startZooKeeper(t.TempDir())
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(z.Stop)
	return z
}

func startZooKeeper(dir string) (*ZooKeeper, error) {
	jar := ""
	for _, p := range zooKeeperJar {
		if _, err := os.Stat(p); err == nil {
			jar = p
			break
		}
	}
	java, err := exec.LookPath("java")
	if jar == "" || err != nil {
		return nil, errors.New("ZooKeeper is not installed (Debian's zookeeper package and a Java runtime): run `make deps`")
	}
	return onFreePorts(1, func(ports []int) (*ZooKeeper, error) {
		return launchZooKeeper(dir, java, jar, ports[0])
	})
}

func launchZooKeeper(dir, java, jar string, port int) (*ZooKeeper, error) {
	// A short tick makes sessions and elections quick; the admin server
	// (port 8080 by default) is off; srvr answers the readiness probe.
	cfg := fmt.Sprintf(`tickTime=500
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr
`, filepath.Join(dir, "data"), port)
	if err := os.WriteFile(filepath.Join(dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "zookeeper.log")
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	z := &ZooKeeper{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: dir, exited: make(chan struct{})}
	z.cmd = exec.Command(java, "-Xmx256m", "-XX:+UseSerialGC", "-Dzookeeper.log.dir="+dir,
		"-cp", jar+":/usr/share/java/slf4j-simple.jar", "org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(dir, "zoo.cfg"))
	z.cmd.Dir = dir
	z.cmd.Stdout, z.cmd.Stderr = out, out
	z.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // Pdeathsig follows the thread that started the child
		if err := z.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = z.cmd.Wait()
		_ = out.Close()
		close(z.exited)
	}()
	if err := <-started; err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("start zookeeper: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !z.serving() {
		select {
		case <-z.exited:
			log, _ := os.ReadFile(logPath)
			if strings.Contains(string(log), "Address already in use") {
				return nil, fmt.Errorf("zookeeper: %w", errPortTaken)
			}
			return nil, fmt.Errorf("zookeeper exited before it was ready:\n%s", log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			z.Stop()
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("zookeeper not ready after 60s:\n%s", log)
		}
	}
	return z, nil
}

// serving asks the server whether it serves requests: srvr names its mode
// only then (ruok answers imok before the server runs, and a ClickHouse 18.16
// that connects then loses its session and may crash in its DDL worker).
func (z *ZooKeeper) serving() bool {
	c, err := net.DialTimeout("tcp", z.Addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return false
	}
	b, _ := io.ReadAll(c)
	return strings.Contains(string(b), "Mode: standalone")
}

// Stop stops the server (SIGTERM, then SIGKILL after a few seconds).
func (z *ZooKeeper) Stop() {
	select {
	case <-z.exited:
		return
	default:
	}
	_ = z.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-z.exited:
	case <-time.After(5 * time.Second):
		_ = z.cmd.Process.Kill()
		<-z.exited
	}
}
