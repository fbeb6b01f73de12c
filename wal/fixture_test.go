package wal_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

// fixtureRoot is the fixtures recorded from a real ZooKeeper 3.8.0, relative to this package.
var fixtureRoot = filepath.Join("..", "..", "shared", "fixtures", "zookeeper-3.8.0")

// fixtureDirs are every version-2 directory of the fixtures.
var fixtureDirs = []string{
	"standalone-1/version-2",
	"ensemble-2/n1/version-2",
	"ensemble-2/n2/version-2",
	"ensemble-2/n3/version-2",
	"api-trace-11/version-2",
	"api-trace-12/version-2",
}

// loadFixture copies one fixture version-2 directory into a memfs under "v".
func loadFixture(t testing.TB, dir string) *memfs.FS {
	t.Helper()
	fs := memfs.New()
	entries, err := os.ReadDir(filepath.Join(fixtureRoot, dir))
	if err != nil {
		t.Fatalf("fixtures missing (expected beside the project root): %v", err)
	}
	if err := fs.MkdirAll("v"); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fixtureRoot, dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile("v/"+e.Name(), b); err != nil {
			t.Fatal(err)
		}
	}
	return fs
}

// TestFixtureLogsDecodeAndReencode reads every record of every fixture log, checks the
// file ends in zero padding, and rewrites the whole file with Log (preAllocSize 16 KB as
// the fixtures were recorded): the bytes must be identical.
func TestFixtureLogsDecodeAndReencode(t *testing.T) {
	total := 0
	for _, dir := range fixtureDirs {
		fs := loadFixture(t, dir)
		names, _ := fs.ReadDir("v")
		for _, name := range names {
			if !strings.HasPrefix(name, "log.") {
				continue
			}
			var txns []wal.Txn
			end, err := wal.ScanLogFile(fs, "v/"+name, func(_ int64, tx wal.Txn) error {
				txns = append(txns, tx)
				return nil
			})
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, name, err)
			}
			if end.Kind != wal.EndPadding {
				t.Errorf("%s/%s: ended with %v at %d, want zero padding", dir, name, end.Kind, end.Offset)
			}
			if len(txns) == 0 || wal.LogName(txns[0].Header.Zxid) != name {
				t.Fatalf("%s/%s: first txn does not match the file name (%d txns)", dir, name, len(txns))
			}
			total += len(txns)
			want, _ := fs.ReadFile("v/" + name)
			got := rewriteLog(t, txns)
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s: rewritten log differs (len %d vs %d) at byte %d", dir, name, len(got), len(want), firstDiff(got, want))
			}
		}
	}
	if total < 1000 {
		t.Fatalf("only %d records decoded from the fixtures", total)
	}
	t.Logf("%d fixture records decoded and re-encoded", total)
}

func rewriteLog(t *testing.T, txns []wal.Txn) []byte {
	t.Helper()
	out := memfs.New()
	l := wal.OpenLog(out, "", wal.LogOptions{PreAllocKB: 16})
	for _, tx := range txns {
		if err := l.Append(tx); err != nil {
			t.Fatal(err)
		}
		// The fixtures' clients waited for each answer, so every batch held one txn;
		// where the padding grows depends on the committed position.
		if err := l.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := out.ReadFile(l.CurrentFile())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestFixtureSnapshotsDecodeAndReencode reads every fixture snapshot (both seals checked)
// and re-encodes it from its decoded parts: the bytes must be identical, session order
// included.
func TestFixtureSnapshotsDecodeAndReencode(t *testing.T) {
	count, withSessions := 0, 0
	for _, dir := range fixtureDirs {
		fs := loadFixture(t, dir)
		names, _ := fs.ReadDir("v")
		for _, name := range names {
			if !strings.HasPrefix(name, "snapshot.") {
				continue
			}
			var tree wal.TreeSection
			info, err := wal.ReadSnapshot(fs, "v/"+name, func(d *jute.Decoder) (err error) {
				tree, err = wal.DecodeTreeSection(d)
				return err
			})
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, name, err)
			}
			if info.Digest == nil || info.Digest.Version != wal.DigestVersion {
				t.Errorf("%s/%s: digest section = %+v", dir, name, info.Digest)
			}
			if len(tree.Nodes) < 4 || tree.Nodes[0].Path != "" {
				t.Errorf("%s/%s: %d nodes, first %q", dir, name, len(tree.Nodes), tree.Nodes[0].Path)
			}
			if len(info.Sessions) > 1 {
				withSessions++
			}
			got, err := wal.EncodeSnapshot(info.Sessions, tree.Encode, info.Digest)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := fs.ReadFile("v/" + name)
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s: re-encoded snapshot differs at byte %d (len %d vs %d)", dir, name, firstDiff(got, want), len(got), len(want))
			}
			count++
		}
	}
	t.Logf("%d snapshots re-encoded, %d with more than one session", count, withSessions)
}
