package osfs_test

import (
	"errors"
	iofs "io/fs"
	"slices"
	"testing"

	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/osfs"
)

// TestLogAndSnapshotOnRealDisk runs wal's writers and readers on the real filesystem.
func TestLogAndSnapshotOnRealDisk(t *testing.T) {
	fs := osfs.New(t.TempDir())
	if err := fs.MkdirAll("data/version-2"); err != nil {
		t.Fatal(err)
	}
	l := wal.OpenLog(fs, "data/version-2", wal.LogOptions{PreAllocKB: 16})
	for z := int64(1); z <= 20; z++ {
		if err := l.Append(wal.Txn{Header: wal.TxnHeader{Zxid: z, Type: 5}, Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Commit(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := fs.SyncDir("data/version-2"); err != nil {
		t.Fatal(err)
	}
	z, err := wal.LastLoggedZxid(fs, "data/version-2")
	if err != nil || z != 20 {
		t.Fatalf("LastLoggedZxid = %d, %v", z, err)
	}
	tree := wal.TreeSection{Nodes: []wal.SnapNode{{Path: "", ACL: -1}}}
	if _, err := wal.WriteSnapshot(fs, "data/version-2", 20, nil, tree.Encode, nil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := wal.ReadSnapshot(fs, "data/version-2/snapshot.14", func(d *jute.Decoder) error {
		_, err := wal.DecodeTreeSection(d)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := wal.WriteEpoch(fs, "data/version-2", wal.CurrentEpochFile, 7); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.ReadDir("data/version-2")
	if !slices.Equal(names, []string{"currentEpoch", "log.1", "snapshot.14"}) {
		t.Fatalf("files %v", names)
	}
}

func TestErrors(t *testing.T) {
	fs := osfs.New(t.TempDir())
	if _, err := fs.Open("nope"); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := fs.Create("../escape"); err == nil {
		t.Fatal("a path leaving the root was accepted")
	}
}
