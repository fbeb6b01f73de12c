package cluster

import (
	"slices"

	"github.com/zabsim/zabsim/checker"
	"testing"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
)

// TestTruncLostOnPowerLoss pins a finding: a deposed leader logs proposals nobody else
// has; when it rejoins, the new leader sends TRUNC and it cuts them from its log — but
// the cut is not fsynced (ZooKeeper's FileTxnLog.truncate sets the file length and
// closes it), and the log is rolled by the snapshot that follows, so nothing syncs that
// file again. A power loss then brings the truncated txns back, and the server's history
// again contains txns the ensemble never committed (the seed-5037 divergence of the soak).
// On a reordered disk, where an fsync makes only its own file's size durable, nothing
// else makes the cut durable (on ext4's ordered journal the next fsync of any file
// would); the harness labels what the crash undid with the known weakness.
func TestTruncLostOnPowerLoss(t *testing.T) {
	c := convergedOn(t, 21, sim.DiskReordered)
	old, others := deposeWithUncommittedWrites(t, c)
	uncommitted := c.loggedAfter(t, old, c.Status(others[0]).AppliedZxid)
	if len(uncommitted) == 0 {
		t.Fatalf("the deposed leader logged nothing beyond the new leader's history")
	}
	truncated := false
	c.afterEffect = func(sid int64, e zab.Effect) {
		if _, ok := e.(zab.Truncate); ok && sid == old {
			truncated = true
		}
	}
	c.Heal()
	if err := c.waitFor("the old leader to be truncated and synced", func() bool {
		s := c.Status(old)
		return truncated && s.Serving && s.Mode == ModeFollowing
	}); err != nil {
		t.Fatal(err)
	}
	if back := c.intersect(c.loggedAfter(t, old, 0), uncommitted); len(back) != 0 {
		t.Fatalf("TRUNC left %x in the log before any crash", back)
	}
	c.CrashWith(old, sim.CrashDrop)
	c.Restart(old)
	if back := c.intersect(c.loggedAfter(t, old, 0), uncommitted); len(back) == 0 {
		t.Fatalf("the truncation of %x survived the power loss: the finding no longer reproduces", uncommitted)
	}
	k, ok := c.ExplainFailure(checker.Failure{Invariant: checker.InvCommittedPrefix, Servers: []int{int(old)}})
	if !ok || k.ID != KnownTruncNotSynced {
		t.Fatalf("ExplainFailure = %+v, %v; want %s (crash reports %+v)", k, ok, KnownTruncNotSynced, c.CrashReports(old))
	}
}

// loggedAfter lists the zxids above zxid in server sid's log files.
func (c *Cluster) loggedAfter(t *testing.T, sid, zxid int64) []int64 {
	t.Helper()
	_, zxids, err := c.node(sid).store.finalHistory()
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, z := range zxids {
		if z > zxid {
			out = append(out, z)
		}
	}
	return out
}

func (c *Cluster) intersect(a, b []int64) []int64 {
	var out []int64
	for _, z := range a {
		if slices.Contains(b, z) {
			out = append(out, z)
		}
	}
	return out
}
