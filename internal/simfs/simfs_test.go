package simfs_test

import (
	"errors"
	"io/fs"
	"slices"
	"testing"

	"github.com/zabsim/zabsim/internal/simfs"
	"github.com/zabsim/zabsim/sim"
)

func TestRoundTripThroughWalFS(t *testing.T) {
	w := sim.NewWorld(1)
	h := w.AddHost()
	fsys := simfs.New(w.Disk(h))
	if err := fsys.MkdirAll("data/version-2"); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Create("data/version-2/log.100000001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("ZKLG"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := fsys.SyncDir("data/version-2"); err != nil {
		t.Fatal(err)
	}
	w.CrashWith(h, sim.CrashDrop)
	w.Restart(h)
	names, err := fsys.ReadDir("data/version-2")
	if err != nil || !slices.Equal(names, []string{"log.100000001"}) {
		t.Fatalf("ReadDir = %v, %v", names, err)
	}
	g, err := fsys.Open("data/version-2/log.100000001")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := g.ReadAt(b, 0); err != nil || string(b) != "ZKLG" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if err := fsys.Rename("data/version-2/log.100000001", "data/version-2/log.1"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("data/version-2/log.1"); err != nil {
		t.Fatal(err)
	}
}

func TestMissingFileIsNilWithNotExist(t *testing.T) {
	w := sim.NewWorld(1)
	fsys := simfs.New(w.Disk(w.AddHost()))
	f, err := fsys.Open("nope")
	if f != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(missing) = %v, %v; want a nil File and fs.ErrNotExist", f, err)
	}
	f, err = fsys.Create("no/dir/x")
	if f != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Create in a missing dir = %v, %v", f, err)
	}
}
