package cluster

import (
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// The "no misses" demonstrations on the full simulated cluster: each deliberately broken
// server variant (zab.BugAckBeforeFsync, zab.BugSkipTrunc) runs a fault script that
// exposes it, and the checker must report the invariant it breaks; the same script on the
// correct server must not break it (so the failure is the mutant's, not the script's).

// slowFsyncDisk makes every fsync take ~200 ms, far longer than a network round trip, so
// that an ACK sent before its fsync reaches the leader while the txn is still unsynced.
func slowFsyncDisk() *sim.DiskOptions {
	d := sim.DefaultDiskOptions()
	d.FsyncLatency = sim.Latency{Min: 200 * sim.Millisecond, Mean: 200 * sim.Millisecond}
	return &d
}

func mutantCluster(t *testing.T, seed uint64, v zab.Variant) *Cluster {
	t.Helper()
	c, err := New(Options{Seed: seed, Variant: v, Disk: slowFsyncDisk()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.waitFor("convergence", c.Converged); err != nil {
		t.Fatal(err)
	}
	// Let the epoch files' renames become durable first (a journal commit at the latest),
	// so that the power losses below undo only the txns in question.
	if err := c.RunFor(6 * sim.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

// followersOf returns the servers other than leader, sorted.
func followersOf(c *Cluster, leader int64) []int64 {
	var out []int64
	for _, sid := range c.ServerIDs() {
		if sid != leader {
			out = append(out, sid)
		}
	}
	return out
}

// mutantCaught runs script on the correct server, which must break none of invariants
// (else the script, not the mutant, would be at fault), then on mutant, which must break
// at least one of them.
func mutantCaught(t *testing.T, script func(*testing.T, zab.Variant) checker.Report, mutant zab.Variant, invariants ...string) {
	t.Helper()
	hasAny := func(r checker.Report) bool {
		for _, inv := range invariants {
			if r.Has(inv) {
				return true
			}
		}
		return false
	}
	if r := script(t, zab.V3_9_3); hasAny(r) {
		t.Fatalf("the correct server breaks %v on this script too: the script, not the mutant, is at fault:\n%s", invariants, r.String())
	}
	r := script(t, mutant)
	if !hasAny(r) {
		t.Fatalf("%v went unnoticed: none of %v reported:\n%s", mutant, invariants, r.String())
	}
	t.Logf("%v caught:\n%s", mutant, r.String())
}

// checkRun runs the checker on everything the cluster recorded.
func checkRun(c *Cluster) checker.Report {
	return checker.Check(checker.Input{History: c.History(), Replicas: c.Replicas(), Final: c.FinalHistories()})
}

// ackBeforeFsyncScript: one follower is cut off, a write commits on the leader and the
// other follower, and both lose power at once, dropping what they had not fsynced. The
// correct server answered the write only after both fsyncs completed, so it survives; the
// mutant answered before, so an acknowledged write is gone.
func ackBeforeFsyncScript(t *testing.T, v zab.Variant) checker.Report {
	c := mutantCluster(t, 3, v)
	leader, _ := c.Leader()
	fs := followersOf(c, leader)
	ally, away := fs[0], fs[1]
	cl, _ := c.AddClient(ClientOptions{Servers: []int64{leader}})
	if r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/k", []byte("0"), cp.FlagPersistent, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("create: %v", r.Err)
	}
	c.Partition([]int64{away}, []int64{leader, ally})
	if r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Set(now, "/k", []byte("acked"), -1, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("set: %v", r.Err)
	}
	c.CrashWith(leader, sim.CrashDrop)
	c.CrashWith(ally, sim.CrashDrop)
	c.Heal()
	c.Restart(leader)
	c.Restart(ally)
	if err := c.waitFor("convergence after the power loss", c.Converged); err != nil {
		t.Fatal(err)
	}
	// A read and a write after the recovery: the read shows the value the ensemble kept,
	// the write's zxid puts the lost one inside every server's final history.
	l, _ := c.Leader()
	after, _ := c.AddClient(ClientOptions{Servers: []int64{l}})
	mustCall(t, c, after, func(now int64, lib *client.Client, cb client.Callback) { lib.Get(now, "/k", nil, cb) })
	if r := mustCall(t, c, after, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/after", []byte("y"), cp.FlagPersistent, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("create after recovery: %v", r.Err)
	}
	return checkRun(c)
}

func TestCheckerCatchesAckBeforeFsync(t *testing.T) {
	mutantCaught(t, ackBeforeFsyncScript, zab.BugAckBeforeFsync, checker.InvLostWrite, checker.InvCommittedPrefix)
}

// skipTruncScript: the leader is cut off from its followers and logs writes nobody else
// has; the followers elect a new leader; on healing the old leader is told TRUNC. The
// correct server cuts the txns; the mutant keeps them, and its tree diverges.
func skipTruncScript(t *testing.T, v zab.Variant) checker.Report {
	c := mutantCluster(t, 21, v)
	old, _ := deposeWithUncommittedWrites(t, c)
	truncs := 0
	c.afterEffect = func(sid int64, e zab.Effect) {
		if _, ok := e.(zab.Synced); ok && sid == old {
			truncs++
		}
	}
	c.Heal()
	if err := c.waitFor("the old leader to rejoin", func() bool { return truncs > 0 }); err != nil {
		t.Fatal(err)
	}
	// New writes through the new leader reach the old one: its tree, still holding the
	// txns it should have cut, now differs at the same zxids.
	l, _ := c.Leader()
	cl2, _ := c.AddClient(ClientOptions{Servers: []int64{l}})
	if r := mustCall(t, c, cl2, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/after", []byte("y"), cp.FlagPersistent, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("create after heal: %v", r.Err)
	}
	if err := c.RunFor(sim.Second); err != nil {
		t.Fatal(err)
	}
	return checkRun(c)
}

func TestCheckerCatchesSkippedTrunc(t *testing.T) {
	mutantCaught(t, skipTruncScript, zab.BugSkipTrunc, checker.InvDigest)
}

// deposeWithUncommittedWrites creates /t through the leader, then cuts the leader off
// from its followers (not from its client) and gives it writes it logs but can never
// commit, and waits for the followers to elect a new leader. It returns the deposed
// leader and the other servers.
func deposeWithUncommittedWrites(t *testing.T, c *Cluster) (old int64, others []int64) {
	t.Helper()
	old, _ = c.Leader()
	others = followersOf(c, old)
	cl, _ := c.AddClient(ClientOptions{Servers: []int64{old}})
	if r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/t", []byte("x"), cp.FlagPersistent, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("create: %v", r.Err)
	}
	c.Partition([]int64{old}, others)
	for i := 0; i < 3; i++ {
		cl.Do(func(now int64, lib *client.Client) { lib.Set(now, "/t", []byte{byte('a' + i)}, -1, nil) })
	}
	if err := c.waitFor("a new leader", func() bool { l, ok := c.Leader(); return ok && l != old }); err != nil {
		t.Fatal(err)
	}
	return old, others
}

// noEpochCheckScript: a write commits, the leader is killed and the others elect a new
// one. The correct server's new leader takes a new epoch; the mutant's reuses the old one,
// so two leaders are established (and propose the same zxids) in one epoch.
func noEpochCheckScript(t *testing.T, v zab.Variant) checker.Report {
	c := mutantCluster(t, 5, v)
	old, _ := c.Leader()
	cl, _ := c.AddClient(ClientOptions{Servers: followersOf(c, old)})
	write := func(path string) {
		if r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) {
			lib.Create(now, path, []byte("x"), cp.FlagPersistent, cb)
		}); r.Err != cp.ErrOK {
			t.Fatalf("create %s: %v", path, r.Err)
		}
	}
	write("/before")
	c.Kill(old)
	if err := c.waitFor("a new leader", func() bool { l, ok := c.Leader(); return ok && l != old }); err != nil {
		t.Fatal(err)
	}
	write("/after")
	return checkRun(c)
}

func TestCheckerCatchesTwoLeadersInOneEpoch(t *testing.T) {
	mutantCaught(t, noEpochCheckScript, zab.BugNoEpochCheck, checker.InvOneLeaderPerEpoch)
}
