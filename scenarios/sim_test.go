package scenarios

import (
	"strings"
	"testing"
	"time"
)

// TestSessionExpiryFailoverDeletesAbandonedEphemerals: the abandoned clients created
// their ephemerals, and after the failover every one of them is gone.
func TestSessionExpiryFailoverDeletesAbandonedEphemerals(t *testing.T) {
	sc, _ := Lookup("session-expiry-failover")
	for seed := uint64(1); seed <= 3; seed++ {
		o := sc.Options(seed)
		c, err := newSimCluster(o, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		r := &runner{c: c, res: &Result{Options: o}, drifted: map[int]bool{}}
		r.runGuarded(o)
		if r.res.Verdict != OK {
			t.Fatalf("seed %d: %s %s: %s\n%s", seed, r.res.Verdict, r.res.Check, r.res.Explanation, r.res.TimelineString())
		}
		if len(c.ephemeral) == 0 || !c.abandoned {
			t.Fatalf("seed %d: %d ephemeral clients, abandoned %v", seed, len(c.ephemeral), c.abandoned)
		}
		for _, e := range c.ephemeral {
			if e.next != ephemeralsPerClient {
				t.Errorf("seed %d: client %d created %d of %d ephemerals before it was abandoned", seed, e.cl.ID(), e.next, ephemeralsPerClient)
			}
		}
	}
}

// TestLeftoverEphemeralsAreReported: when the owners were not really gone (their hosts
// were never crashed), the probe finds their ephemerals and the run fails.
func TestLeftoverEphemeralsAreReported(t *testing.T) {
	sc, _ := Lookup("session-expiry-failover")
	o := sc.Options(1)
	o.Workload.AbandonAt = 0
	o.Schedule = nil
	c, err := newSimCluster(o, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RunUntil(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	c.abandoned = true // pretend: the sessions are still alive, so their nodes must remain
	j := c.Check()
	if j.Verdict != Liveness || j.Check != "abandoned-ephemerals-deleted" || !strings.Contains(j.Explanation, "/eph-") {
		t.Fatalf("verdict %s %q: %s", j.Verdict, j.Check, j.Explanation)
	}
}
