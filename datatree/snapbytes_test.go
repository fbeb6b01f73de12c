package datatree

import (
	"bytes"
	"path/filepath"
	"sort"
	"testing"
)

// TestSnapshotBytesMatchZooKeeper replays a data dir's whole log from an empty tree —
// the same history the server had — and checks that at each snapshot's zxid (or, for a
// fuzzy snapshot, a txn or two later, when the snapshot thread finished) the tree section
// serializes to exactly the bytes ZooKeeper wrote: node order (java.util.HashSet
// iteration), ACL cache order and content included.
func TestSnapshotBytesMatchZooKeeper(t *testing.T) {
	// n2 joined by SNAP: its history starts with loading its first snapshot, which
	// exercises DeserializeFrom's model of ZooKeeper's (capacity-resetting) load.
	for _, dir := range []string{"standalone-1/version-2", "ensemble-2/n1/version-2", "ensemble-2/n2/version-2"} {
		t.Run(dir, func(t *testing.T) {
			full := filepath.Join(fixtureDir, dir)
			entries := logEntries(t, full)
			snaps, _ := filepath.Glob(filepath.Join(full, "snapshot.*"))
			sort.Slice(snaps, func(i, j int) bool { return hexSuffix(t, snaps[i]) < hexSuffix(t, snaps[j]) })
			tree := New()
			next := 0
			matched, maxLag := 0, 0
			for _, sp := range snaps {
				snap := readFixtureSnapshot(t, sp)
				if snap.zxid == 0 {
					continue
				}
				if first := entries[0].Header.Zxid; tree.LastProcessedZxid() == 0 && first > snap.zxid+1 {
					continue // before the log starts
				}
				if tree.LastProcessedZxid() == 0 && entries[0].Header.Zxid == snap.zxid+1 && snap.zxid&0xffffffff != 0 {
					tree = snap.tree
					tree.SetLastProcessedZxid(snap.zxid)
					continue
				}
				for next < len(entries) && entries[next].Header.Zxid <= snap.zxid {
					tree.ProcessEntry(&entries[next])
					next++
				}
				probe := tree.Clone()
				// A quorum server writes /zookeeper/config from its configuration,
				// outside the log (InitConfig): take it from the snapshot itself.
				if cfg := snap.tree.get(ConfigPath); cfg.stat.Version == -1 {
					probe.InitConfig(cfg.data, cfg.stat.Mzxid, cfg.stat.Mtime)
				}
				found := false
				for k := 0; k <= 2; k++ {
					if bytes.Equal(probe.SerializeBytes(), snap.body) {
						found = true
						maxLag = max(maxLag, k)
						break
					}
					if next+k < len(entries) {
						probe.ProcessEntry(&entries[next+k])
					}
				}
				if !found {
					t.Errorf("%s: no replay point within 2 txns after its zxid serializes to its bytes", filepath.Base(sp))
					continue
				}
				matched++
			}
			if matched < 4 {
				t.Fatalf("only %d snapshots compared", matched)
			}
			t.Logf("%d snapshots matched byte for byte (fuzzy ones up to %d txns past their name)", matched, maxLag)
		})
	}
}
