package cluster

import (
	"testing"

	"github.com/zabsim/zabsim/sim"
)

// An "is older than the last zxid" refusal is labelled ZK-1653 only when the server
// wrote that very zxid ahead of its currentEpoch before refusing (and, for a snapshot,
// the snapshot is on the disk it refused): any other disk in that state is a bug.
func TestNewEpochDataRefusalNeedsTheAheadWrite(t *testing.T) {
	c, err := New(Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	const sid = 2
	refusal := func(zxid string, files ...string) Refusal {
		return Refusal{Server: sid, AtNs: 1000, files: files,
			Err: "cluster: server 2: recovery: zkdb: epochs: wal: the current epoch, 0x1, is older than the last zxid, " + zxid}
	}
	n := c.node(sid)
	n.ahead = []aheadWrite{{zxid: 0x200000005, atNs: 500}, {zxid: 0x300000002, snapshot: true, atNs: 600}, {zxid: 0x400000001, atNs: 2000}}
	cases := []struct {
		name string
		r    Refusal
		want bool
	}{
		{"log append ahead of currentEpoch", refusal("0x200000005"), true},
		{"a zxid never written ahead", refusal("0x200000006"), false},
		{"snapshot on the refused disk", refusal("0x300000002", "data/version-2/snapshot.300000002"), true},
		{"snapshot gone from the refused disk", refusal("0x300000002", "data/version-2/snapshot.300000001"), false},
		{"written after the refusal", refusal("0x400000001"), false},
		{"another refusal", Refusal{Server: sid, AtNs: 1000, Err: "wal: log.1: bad CRC"}, false},
	}
	for _, tc := range cases {
		k, ok := c.ExplainRefusal(tc.r)
		if ok != tc.want || (ok && k.ID != KnownSyncSnapshotBeforeEpoch) {
			t.Errorf("%s: ExplainRefusal = %+v, %v; want labelled %v", tc.name, k, ok, tc.want)
		}
	}
}

// A refusal is explained only by the power losses since the server last started: an
// epoch rename a crash undid before a successful start is no longer the cause.
func TestRefusalIgnoresCrashesBeforeTheLastStart(t *testing.T) {
	c := convergedOn(t, 3, sim.DiskStrict)
	const sid = 1
	c.CrashWith(sid, sim.CrashDrop)
	if _, ok := epochRenameUndone(sid, c.CrashReports(sid), func(string) bool { return true }); !ok {
		t.Fatalf("the strict disk's crash undid no epoch rename: %+v", c.CrashReports(sid))
	}
	r := Refusal{Server: sid, AtNs: int64(c.Now()), crashes: 1,
		Err: "wal: the current epoch, 0x0, is older than the last zxid, 0x100000001"}
	if k, ok := c.ExplainRefusal(r); !ok || k.ID != KnownEpochRename {
		t.Errorf("refusal right after the crash: %+v, %v; want %s", k, ok, KnownEpochRename)
	}
	r.since = 1
	if k, ok := c.ExplainRefusal(r); ok {
		t.Errorf("refusal after a successful start that followed the crash was labelled %+v", k)
	}
}
