package scenarios

import (
	"strings"
	"testing"
)

// TestLeaderChangesAreAnnotated: the Porcupine visualisation gets one point on a
// "leaders" row per leader establishment, besides the fault rows, so a reader of a
// linearizability failure sees which leader served which writes.
func TestLeaderChangesAreAnnotated(t *testing.T) {
	sc, _ := Lookup("three-node-failover")
	o := sc.Options(1)
	c, err := newSimCluster(o, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{c: c, res: &Result{Options: o}, drifted: map[int]bool{}}
	r.runGuarded(o)
	elections := c.c.Elections()
	if len(elections) < 2 {
		t.Fatalf("three-node-failover established %d leaders, want at least 2 (before and after the crash)", len(elections))
	}
	got := c.leaderAnnotations()
	if len(got) != len(elections) {
		t.Fatalf("%d leader annotations for %d elections", len(got), len(elections))
	}
	for i, a := range got {
		e := elections[i]
		if a.Tag != "leaders" || a.Start != e.AtNs || a.End >= a.Start ||
			!strings.Contains(a.Description, "epoch") {
			t.Errorf("annotation %d = %+v for election %+v", i, a, e)
		}
	}
}
