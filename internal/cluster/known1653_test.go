package cluster

import "testing"

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
