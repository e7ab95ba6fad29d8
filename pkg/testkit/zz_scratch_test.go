package testkit

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestScratchCluster(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	c := StartClickHouseCluster(t, 2)
	fmt.Println("ADDRS", c.Nodes[0].Addr, c.Nodes[1].Addr, c.Nodes[0].Dir, c.Nodes[1].Dir)
	time.Sleep(40 * time.Minute)
}
