package datatree

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zabsim/zabsim/internal/jute"
)

// jsonNode is one node of a fixture's tree.json, as the live server reported it.
type jsonNode struct {
	Path           string `json:"path"`
	DataB64        string `json:"data_b64"`
	Czxid          int64  `json:"czxid"`
	Mzxid          int64  `json:"mzxid"`
	Pzxid          int64  `json:"pzxid"`
	Ctime          int64  `json:"ctime"`
	Mtime          int64  `json:"mtime"`
	Version        int32  `json:"version"`
	Cversion       int32  `json:"cversion"`
	Aversion       int32  `json:"aversion"`
	EphemeralOwner int64  `json:"ephemeralOwner"`
	DataLength     int32  `json:"dataLength"`
	NumChildren    int32  `json:"numChildren"`
}

// dumpTree renders a tree as tree.json does (depth first, sorted children).
func dumpTree(t *Tree) []jsonNode {
	var out []jsonNode
	for _, p := range t.Paths() {
		data, s, _ := t.GetData(p, NoWatch)
		out = append(out, jsonNode{Path: p, DataB64: base64.StdEncoding.EncodeToString(data),
			Czxid: s.Czxid, Mzxid: s.Mzxid, Pzxid: s.Pzxid, Ctime: s.Ctime, Mtime: s.Mtime,
			Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion,
			EphemeralOwner: s.EphemeralOwner, DataLength: s.DataLength, NumChildren: s.NumChildren})
	}
	return out
}

func readTreeJSON(t *testing.T, path string) []jsonNode {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []jsonNode
	if err := json.Unmarshal(b, &nodes); err != nil {
		t.Fatal(err)
	}
	return nodes
}

// fixtureSnapshot is a parsed snapshot file: the tree and its digest trailer.
type fixtureSnapshot struct {
	zxid   int64
	tree   *Tree
	digest ZxidDigest
	body   []byte // the tree section's bytes
}

// readFixtureSnapshot parses a snapshot file: header, sessions, the tree section (by
// DeserializeFrom), the seal, and the digest trailer.
func readFixtureSnapshot(t testing.TB, path string) fixtureSnapshot {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := jute.NewDecoder(b, 0)
	d.Raw(16, "file header")
	for n := d.Int("session count"); n > 0; n-- {
		d.Long("session id")
		d.Int("session timeout")
	}
	start := d.Offset()
	tree, err := DeserializeFrom(d)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s := fixtureSnapshot{tree: tree, body: b[start:d.Offset()]}
	d.Long("seal")
	d.String("seal slash")
	s.digest = ZxidDigest{Zxid: d.Long("digest zxid"), Version: d.Int("digest version"), Digest: d.Long("digest")}
	if d.Err() != nil {
		t.Fatalf("%s: %v", path, d.Err())
	}
	s.zxid = hexSuffix(t, path)
	return s
}

func hexSuffix(t testing.TB, path string) int64 {
	name := filepath.Base(path)
	z, err := strconv.ParseInt(name[strings.LastIndexByte(name, '.')+1:], 16, 64)
	if err != nil {
		t.Fatalf("bad fixture file name %s", name)
	}
	return z
}

// logEntries returns every decoded entry of a data dir's logs in file then record order.
func logEntries(t *testing.T, dir string) []TxnEntry {
	files, _ := filepath.Glob(filepath.Join(dir, "log.*"))
	sort.Slice(files, func(i, j int) bool { return hexSuffix(t, files[i]) < hexSuffix(t, files[j]) })
	var out []TxnEntry
	for _, f := range files {
		recs := readFixtureLog(t, f)
		zxids := make([]int64, 0, len(recs))
		for z := range recs {
			zxids = append(zxids, z)
		}
		slices.Sort(zxids)
		for _, z := range zxids {
			e, err := DecodeEntry(recs[z], 0)
			if err != nil {
				t.Fatalf("%s zxid %#x: %v", f, z, err)
			}
			out = append(out, e)
		}
	}
	return out
}

// TestRecoverFixtures loads every snapshot of the recorded data dirs — fuzzy ones
// included — replays the logs after it, and must reach exactly the tree the live server
// reported, with no digest mismatch on the way.
func TestRecoverFixtures(t *testing.T) {
	for _, c := range []struct{ dir, tree string }{
		{"standalone-1/version-2", "standalone-1/tree.json"},
		{"ensemble-2/n1/version-2", "ensemble-2/tree.json"},
		{"ensemble-2/n2/version-2", "ensemble-2/tree.json"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			dir := filepath.Join(fixtureDir, c.dir)
			want := readTreeJSON(t, filepath.Join(fixtureDir, c.tree))
			entries := logEntries(t, dir)
			snaps, _ := filepath.Glob(filepath.Join(dir, "snapshot.*"))
			if len(snaps) < 2 {
				t.Fatalf("expected several snapshots in %s", dir)
			}
			replayed := 0
			for _, sp := range snaps {
				snap := readFixtureSnapshot(t, sp)
				if first := entries[0].Header.Zxid; first > snap.zxid+1 && first&0xffffffff != 1 {
					continue // the log does not reach back to this snapshot (a SNAP-synced follower)
				}
				replayed++
				tree := snap.tree
				tree.SetLastProcessedZxid(snap.zxid)
				tree.SetSnapshotDigest(snap.digest)
				for i := range entries {
					if entries[i].Header.Zxid > snap.zxid {
						if r := tree.ProcessEntry(&entries[i]); r.DigestMismatch {
							t.Fatalf("%s: digest mismatch at zxid %#x", filepath.Base(sp), entries[i].Header.Zxid)
						}
					}
				}
				if tree.DigestMismatches() != 0 {
					t.Errorf("%s: %d digest mismatches", filepath.Base(sp), tree.DigestMismatches())
				}
				got := dumpTree(tree)
				if strings.HasPrefix(c.dir, "ensemble") {
					// A quorum server rewrites /zookeeper/config from its quorum
					// configuration at startup (InitConfig), outside the log: the
					// live mtime is the last restart's wall clock.
					ignoreConfigMtime(want, got)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("recovering from %s: tree differs from the live server's (-want +got):\n%s", filepath.Base(sp), diff)
				}
			}
			if replayed < 2 {
				t.Fatalf("only %d snapshots of %s could be replayed", replayed, dir)
			}
		})
	}
}

func ignoreConfigMtime(want, got []jsonNode) {
	for i := range want {
		if want[i].Path == ConfigPath {
			for j := range got {
				if got[j].Path == ConfigPath {
					got[j].Mtime = want[i].Mtime
				}
			}
		}
	}
}

// TestSnapshotOfNewTreeMatchesZooKeeper compares the tree section of a fresh tree with
// the snapshot.0 a real server wrote, byte for byte.
func TestSnapshotOfNewTreeMatchesZooKeeper(t *testing.T) {
	snap := readFixtureSnapshot(t, filepath.Join(fixtureDir, "api-trace-11", "version-2", "snapshot.0"))
	if got := New().SerializeBytes(); !bytes.Equal(got, snap.body) {
		t.Fatalf("tree section differs:\n got %x\nwant %x", got, snap.body)
	}
	if got := snap.tree.Digest(); got != New().Digest() || got != 0x51c6d660 {
		t.Fatalf("digest of the loaded empty tree = %#x, new tree %#x, ZooKeeper's first txn says 0x51c6d660", got, New().Digest())
	}
}
