package cluster

import (
	"strings"
	"testing"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
)

// fastConfig is swarm3's zoo.cfg: a 1 s follower read timeout.
const fastConfig = `tickTime=500
initLimit=7
syncLimit=2
dataDir=/data
clientPort=2181
server.1=zk1:2888:3888
server.2=zk2:2888:3888
server.3=zk3:2888:3888
`

// TestDriftingClocksFireTimersOnTime: on a fast clock the true-time wait for a timer
// is truncated, so without care a timer fires a nanosecond before its deadline on the
// server's clock; the server re-arms it for the same instant and the world loops
// forever at one virtual instant (swarm3 seed 93: a follower's read timer, the leader
// paused). Here the leader pauses under drifting clocks; the followers' read timers
// must expire, a new leader must be elected, and the run must stay far from the step
// budget.
func TestDriftingClocksFireTimersOnTime(t *testing.T) {
	cfg, err := zab.ParseConfig(strings.NewReader(fastConfig), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for _, ppm := range []int64{72227, 8449, 1, -30011} {
		c, err := New(Options{Seed: 93, Config: cfg, MaxSteps: 2_000_000})
		if err != nil {
			t.Fatal(err)
		}
		for _, sid := range c.ServerIDs() {
			c.Drift(sid, ppm*sid)
		}
		ok, err := c.RunUntilCond(10*sim.Second, func() bool { _, ok := c.Leader(); return ok })
		if err != nil || !ok {
			t.Fatalf("ppm %d: no first leader (err %v)", ppm, err)
		}
		old, _ := c.Leader()
		before := len(c.Elections())
		c.Pause(old, 6*sim.Second)
		ok, err = c.RunUntilCond(20*sim.Second, func() bool { _, ok := c.Leader(); return ok && len(c.Elections()) > before })
		if err != nil {
			t.Fatalf("ppm %d: %v after %d steps", ppm, err, c.Steps())
		}
		if !ok {
			t.Fatalf("ppm %d: no leader established within 20s of pausing leader %d (at %v)", ppm, old, c.Now())
		}
		if errs := c.Errors(); len(errs) > 0 {
			t.Fatalf("ppm %d: harness errors: %v", ppm, errs)
		}
	}
}
