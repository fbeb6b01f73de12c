package scenarios

import (
	"slices"
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/internal/cluster"
)

// Reordered-disk swarm 284: leader 2's fsync of log.200000001 failed (EIO) and it exited;
// restarted from the page cache it led epoch 3 with the txns the failed fsync never
// wrote; a power loss then took them from its log, and its replay from snapshot.0
// (its newer snapshots, never fsynced, were torn) skipped them — a hole real ZooKeeper
// 3.8 has too. The digest failure must carry the failed-fsync label.
func TestReorderedSwarm284FailedFsyncHoleIsKnown(t *testing.T) {
	sc, err := Lookup("swarm")
	if err != nil {
		t.Fatal(err)
	}
	o := sc.Options(284)
	o.Disk.Model = "reordered"
	res, err := Run(o, SimBackend(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reordered swarm 284: %s %v, %s virtual", res.Verdict, res.Failed, res.End)
	if !slices.Contains(res.Failed, checker.InvDigest) {
		t.Fatalf("reordered swarm 284 no longer fails %s (got %s %v): the reproduction is lost", checker.InvDigest, res.Verdict, res.Failed)
	}
	if res.Known == nil || res.Known.ID != cluster.KnownFailedFsync {
		t.Fatalf("reordered swarm 284 fails %v labelled %+v, want %q", res.Failed, res.Known, cluster.KnownFailedFsync)
	}
}
