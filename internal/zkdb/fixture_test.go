package zkdb_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

var fixtureRoot = filepath.Join("..", "..", "..", "shared", "fixtures", "zookeeper-3.8.0")

// copyFixture copies fixture directory rel (recursively) into a fresh memfs under "d".
func copyFixture(t testing.TB, rel string) *memfs.FS {
	t.Helper()
	fs := memfs.New()
	src := filepath.Join(fixtureRoot, rel)
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		return fs.WriteFile("d/"+filepath.ToSlash(r), b)
	})
	if err != nil {
		t.Fatalf("fixtures (expected beside the project root): %v", err)
	}
	return fs
}

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openDB(fs *memfs.FS, dir string) *zkdb.DB {
	return zkdb.New(zkdb.Config{FS: fs, DataDir: dir, Rand: rand.New(rand.NewPCG(1, 1))})
}

func loadJSON(t *testing.T, fs *memfs.FS, opts zkdb.LoadOptions) ([]byte, *zkdb.DB, zkdb.LoadReport) {
	t.Helper()
	db := openDB(fs, "d")
	rep, err := db.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := zkdb.WriteTreeJSON(&buf, db.Tree()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), db, rep
}

// sameJSON compares two tree.json documents byte for byte and, on a difference, names
// the first node that differs.
func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	sameJSONExcept(t, what, got, want, false)
}

// sameQuorumJSON is sameJSON for trees of quorum servers, except for one field: the mtime
// of /zookeeper/config. A quorum server rewrites that node at every start
// (ZKDatabase.initConfigInZKDatabase: setData with version -1 and its wall clock), so the
// value a live server shows is in no file on disk. Everything else must match exactly.
func sameQuorumJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	sameJSONExcept(t, what, got, want, true)
}

func sameJSONExcept(t *testing.T, what string, got, want []byte, configMtime bool) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	g, err1 := zkdb.ParseTreeJSON(got)
	w, err2 := zkdb.ParseTreeJSON(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v %v", what, err1, err2)
	}
	mismatch := false
	for i := range min(len(g), len(w)) {
		if configMtime && g[i].Path == "/zookeeper/config" && w[i].Path == g[i].Path {
			g[i].Mtime = w[i].Mtime
		}
		if g[i] != w[i] {
			mismatch = true
			t.Fatalf("%s: node %d differs:\n got  %+v\n want %+v", what, i, g[i], w[i])
		}
	}
	if !mismatch && len(g) == len(w) && configMtime {
		return
	}
	t.Fatalf("%s: %d nodes, want %d (or formatting differs)", what, len(g), len(w))
}

func TestRecoverStandaloneFixture(t *testing.T) {
	got, db, rep := loadJSON(t, copyFixture(t, "standalone-1"), zkdb.LoadOptions{})
	sameJSON(t, "standalone-1", got, readFixture(t, "standalone-1/tree.json"))
	if rep.Snapshot != "snapshot.222" || rep.TxnsReplayed == 0 {
		t.Errorf("report %+v", rep)
	}
	if n := len(db.Sessions()); n != 0 {
		t.Errorf("%d sessions survive although all were closed", n)
	}
	if got := len(db.CommittedLog()); got != rep.TxnsReplayed {
		t.Errorf("committed log holds %d, replayed %d", got, rep.TxnsReplayed)
	}
}

func TestRecoverEnsembleFixture(t *testing.T) {
	want := readFixture(t, "ensemble-2/tree.json")
	for _, n := range []string{"n1", "n2"} {
		fs := copyFixture(t, "ensemble-2/"+n)
		got, db, _ := loadJSON(t, fs, zkdb.LoadOptions{})
		sameQuorumJSON(t, n, got, want)
		e, err := db.LoadEpochs()
		if err != nil || e.Accepted != 2 || e.Current != 2 {
			t.Errorf("%s epochs %+v, %v", n, e, err)
		}
	}
}

// TestRecoverOldLeaderFixture pins down "n3 recovers a state the ensemble passed through,
// at or after tree-before.json": with Z3 the zxid n3 recovers to and B the highest zxid in
// tree-before.json (over czxid, mzxid, pzxid),
//
//  1. replaying n1's disk (a follower throughout, so it holds the whole history) up to B
//     gives exactly tree-before.json — so "n1 up to Z" is the ensemble's state at Z;
//  2. Z3 >= B;
//  3. n3's recovered tree equals n1's replayed up to Z3, every field of every node.
func TestRecoverOldLeaderFixture(t *testing.T) {
	before := readFixture(t, "ensemble-2/tree-before.json")
	nodes, err := zkdb.ParseTreeJSON(before)
	if err != nil {
		t.Fatal(err)
	}
	var b int64
	for _, n := range nodes {
		b = max(b, n.Czxid, n.Mzxid, n.Pzxid)
	}
	n1 := copyFixture(t, "ensemble-2/n1")
	atB, _, _ := loadJSON(t, n1, zkdb.LoadOptions{UpToZxid: b})
	sameQuorumJSON(t, "n1 replayed to tree-before's zxid", atB, before)

	n3, db3, _ := loadJSON(t, copyFixture(t, "ensemble-2/n3"), zkdb.LoadOptions{})
	z3 := db3.LastProcessedZxid()
	if z3 < b {
		t.Fatalf("n3 recovered to %#x, before tree-before's %#x", z3, b)
	}
	atZ3, _, _ := loadJSON(t, n1, zkdb.LoadOptions{UpToZxid: z3})
	sameQuorumJSON(t, "n3 vs n1 replayed to n3's zxid", n3, atZ3)
	if e, err := db3.LoadEpochs(); err != nil || e.Current != 1 {
		t.Errorf("n3 epochs %+v, %v", e, err)
	}
	t.Logf("tree-before at %#x, n3 at %#x", b, z3)
}

// TestEveryFixtureRecordDecodes decodes every record of every fixture log down to the
// txn record and digest (datatree.DecodeEntry), not just the framing.
func TestEveryFixtureRecordDecodes(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(fixtureRoot, "*", "version-2", "log.*"))
	more, _ := filepath.Glob(filepath.Join(fixtureRoot, "*", "*", "version-2", "log.*"))
	logs = append(logs, more...)
	total, withDigest := 0, 0
	for _, l := range logs {
		fs := memfs.New()
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		fs.WriteFile("log", b)
		_, err = wal.ScanLogFile(fs, "log", func(off int64, tx wal.Txn) error {
			e, err := datatree.DecodeEntry(tx.Encode(), off+12)
			if err != nil {
				return fmt.Errorf("%s: record at %d: %w", l, off, err)
			}
			if e.Digest != nil {
				withDigest++
			}
			total++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(logs) < 20 || total < 2000 {
		t.Fatalf("%d logs, %d records", len(logs), total)
	}
	t.Logf("%d records in %d logs decoded (%d with a digest)", total, len(logs), withDigest)
}
