package cluster

import (
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// TestStrictDiskLosesNewLogFileLabelled: on a strict (POSIX) disk the log file a server
// creates for its first txn is never made durable by name (ZooKeeper does not fsync the
// directory); a power loss removes it, and a failure on that server is labelled so. A
// server whose crash undid nothing gets no label.
func TestStrictDiskLosesNewLogFileLabelled(t *testing.T) {
	c := convergedOn(t, 3, sim.DiskStrict)
	cl, _ := c.AddClient(ClientOptions{})
	if r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/x", []byte("x"), cp.FlagPersistent, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("create: %v", r.Err)
	}
	leader, _ := c.Leader()
	var victim, other int64
	for _, sid := range c.ServerIDs() {
		if sid != leader {
			victim, other = other, sid
		}
	}
	c.CrashWith(victim, sim.CrashDrop)
	f := checker.Failure{Invariant: checker.InvCommittedPrefix, Servers: []int{int(victim)}}
	k, ok := c.ExplainFailure(f)
	if !ok || k.ID != KnownLogCreateNotDurable {
		t.Fatalf("ExplainFailure = %+v, %v; want %s (reports %+v)", k, ok, KnownLogCreateNotDurable, c.CrashReports(victim))
	}
	if k, ok := c.ExplainFailure(checker.Failure{Invariant: checker.InvCommittedPrefix, Servers: []int{int(other)}}); ok {
		t.Fatalf("server %d never crashed, yet its failure is explained as %+v", other, k)
	}
}
