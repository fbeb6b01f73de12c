package memfs_test

import (
	"bytes"
	"errors"
	iofs "io/fs"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/zabsim/zabsim/wal/memfs"
)

func write(t *testing.T, fs *memfs.FS, name string, b []byte, off int64, sync bool) {
	t.Helper()
	f, err := fs.Open(name)
	if errors.Is(err, iofs.ErrNotExist) {
		f, err = fs.Create(name)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCrashModes(t *testing.T) {
	durable := bytes.Repeat([]byte{'d'}, 3*memfs.PageSize)
	fresh := bytes.Repeat([]byte{'n'}, 2*memfs.PageSize)
	setup := func() *memfs.FS {
		fs := memfs.New()
		fs.MkdirAll("a")
		write(t, fs, "a/f", durable, 0, true)
		write(t, fs, "a/f", fresh, 2*memfs.PageSize, false) // overwrites page 2, adds page 3
		return fs
	}
	rng := rand.New(rand.NewPCG(1, 2))

	fs := setup()
	fs.Crash(memfs.LoseUnsynced, rng)
	if b, _ := fs.ReadFile("a/f"); !bytes.Equal(b, durable) {
		t.Fatalf("lose-unsynced kept unsynced data (len %d)", len(b))
	}
	fs = setup()
	fs.Crash(memfs.KeepUnsynced, rng)
	if b, _ := fs.ReadFile("a/f"); !bytes.Equal(b, append(durable[:2*memfs.PageSize:2*memfs.PageSize], fresh...)) {
		t.Fatal("keep-unsynced lost data")
	}
	// Tearing never changes a synced byte outside the unsynced pages, and each page is
	// either old or new, never mixed.
	for range 50 {
		for _, mode := range []memfs.CrashMode{memfs.TearInOrder, memfs.TearAnyOrder} {
			fs = setup()
			fs.Crash(mode, rng)
			b, _ := fs.ReadFile("a/f")
			if !bytes.Equal(b[:2*memfs.PageSize], durable[:2*memfs.PageSize]) {
				t.Fatalf("%v changed synced pages", mode)
			}
			for pg := 2; pg*memfs.PageSize < len(b); pg++ {
				page := b[pg*memfs.PageSize : min(len(b), (pg+1)*memfs.PageSize)]
				if c := page[0]; !bytes.Equal(page, bytes.Repeat([]byte{c}, len(page))) || (c != 'd' && c != 'n' && c != 0) {
					t.Fatalf("%v: page %d is mixed", mode, pg)
				}
			}
		}
	}
}

func TestSparseTruncateAndNames(t *testing.T) {
	fs := memfs.New()
	if _, err := fs.Create("missing/f"); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("create without parent: %v", err)
	}
	fs.MkdirAll("d/e")
	f, _ := fs.Create("d/big")
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("tail"), 64<<20-4)
	b := make([]byte, 8)
	if n, _ := f.ReadAt(b, 64<<20-8); n != 8 || string(b) != "\x00\x00\x00\x00tail" {
		t.Fatalf("read %q", b[:n])
	}
	if err := fs.Rename("d/big", "d/e/moved"); err != nil {
		t.Fatal(err)
	}
	if names, _ := fs.ReadDir("d"); !slices.Equal(names, []string{"e"}) {
		t.Fatalf("ReadDir(d) = %v", names)
	}
	if names := fs.Names(); !slices.Equal(names, []string{"d/e/moved"}) {
		t.Fatalf("Names = %v", names)
	}
	boom := errors.New("EIO")
	fs.Inject = func(op memfs.Op, name string) error {
		if op == memfs.OpSync {
			return boom
		}
		return nil
	}
	if err := f.Sync(); !errors.Is(err, boom) {
		t.Fatalf("injected sync error: %v", err)
	}
}
