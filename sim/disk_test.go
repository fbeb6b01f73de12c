package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"testing"
)

func newDisk1(t *testing.T, o DiskOptions) (*World, *Disk) {
	t.Helper()
	w := NewWorld(3, WithDisks(o))
	h := w.AddHost()
	d := w.Disk(h)
	if err := d.MkdirAll("data/version-2"); err != nil {
		t.Fatal(err)
	}
	return w, d
}

func mustCreate(t *testing.T, d *Disk, name string) *File {
	t.Helper()
	f, err := d.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readAll(t *testing.T, d *Disk, name string) []byte {
	t.Helper()
	f, err := d.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := f.Size()
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDiskReadWriteSparse(t *testing.T) {
	_, d := newDisk1(t, DefaultDiskOptions())
	f := mustCreate(t, d, "data/version-2/log.1")
	f.WriteAt([]byte("hello"), 10)
	b := make([]byte, 20)
	n, err := f.ReadAt(b, 0)
	if n != 15 || err != io.EOF || !bytes.Equal(b[:15], append(make([]byte, 10), "hello"...)) {
		t.Fatalf("read %d %v %q", n, err, b[:n])
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0}, 128<<20-1) // ZooKeeper's padding: one zero byte at the new end
	if s, _ := f.Size(); s != 128<<20 {
		t.Fatalf("size %d", s)
	}
	if pages := len(f.ino.pageIndexes()); pages != 1 {
		t.Fatalf("a 128 MiB file of zeros holds %d pages, want 1", pages)
	}
	if n, err := f.ReadAt(b, 100<<20); n != 20 || err != nil || !isZero(b) {
		t.Fatalf("read in the preallocated zeros: %d %v", n, err)
	}
}

func TestDiskCrashDropAndKeep(t *testing.T) {
	for _, mode := range []CrashMode{CrashDrop, CrashKeep} {
		w, d := newDisk1(t, DefaultDiskOptions())
		f := mustCreate(t, d, "data/f")
		f.WriteAt([]byte("synced"), 0)
		f.Sync()
		f.WriteAt([]byte("SYN"), 0)
		f.WriteAt([]byte("+more"), 6)
		w.CrashWith(d.Host(), mode)
		if _, err := f.Size(); !errors.Is(err, fs.ErrClosed) {
			t.Fatalf("handle survived a crash: %v", err)
		}
		w.Restart(d.Host())
		want := map[CrashMode]string{CrashDrop: "synced", CrashKeep: "SYNced+more"}[mode]
		if got := readAll(t, d, "data/f"); string(got) != want {
			t.Fatalf("%v: after crash %q, want %q", mode, got, want)
		}
	}
}

func TestDiskCrashTearKeepsOldOrNewPerSector(t *testing.T) {
	w, d := newDisk1(t, DefaultDiskOptions())
	f := mustCreate(t, d, "data/f")
	old := bytes.Repeat([]byte{'o'}, 16*SectorSize)
	f.WriteAt(old, 0)
	f.Sync()
	f.WriteAt(bytes.Repeat([]byte{'n'}, 16*SectorSize), 0)
	w.CrashWith(d.Host(), CrashTear)
	got := readAll(t, d, "data/f")
	kinds := map[byte]int{}
	for s := 0; s < len(got); s += SectorSize {
		sec := got[s : s+SectorSize]
		if !bytes.Equal(sec, bytes.Repeat(sec[:1], SectorSize)) || (sec[0] != 'o' && sec[0] != 'n') {
			t.Fatalf("sector %d is neither all old nor all new", s/SectorSize)
		}
		kinds[sec[0]]++
	}
	if kinds['o'] == 0 || kinds['n'] == 0 {
		t.Fatalf("16 torn sectors all went one way (%v): tearing is not per sector", kinds)
	}
}

func TestDiskNamesNeedDirSyncWhenStrict(t *testing.T) {
	o := DefaultDiskOptions()
	o.StrictDirSync = true
	w, d := newDisk1(t, o)
	f := mustCreate(t, d, "data/version-2/log.1")
	f.WriteAt([]byte("x"), 0)
	f.Sync()
	w.CrashWith(d.Host(), CrashDrop)
	if _, err := d.Open("data/version-2/log.1"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an unsynced create survived a dropping crash: %v", err)
	}
	w.Restart(d.Host())
	f = mustCreate(t, d, "data/version-2/log.1")
	d.SyncDir("data/version-2")
	d.Rename("data/version-2/log.1", "data/version-2/log.2")
	w.CrashWith(d.Host(), CrashDrop)
	if got := d.Files(); !slices.Equal(got, []string{"data/version-2/log.1"}) {
		t.Fatalf("after dropping an unsynced rename: %v", got)
	}
}

func TestDiskFileSyncCommitsNamesByDefault(t *testing.T) {
	w, d := newDisk1(t, DefaultDiskOptions())
	f := mustCreate(t, d, "data/a")
	f.Sync()
	w.CrashWith(d.Host(), CrashDrop)
	if got := d.Files(); !slices.Equal(got, []string{"data/a"}) {
		t.Fatalf("ext4-like sync lost the name: %v", got)
	}
}

func TestDiskTornRenameIsAtomic(t *testing.T) {
	for seed := range uint64(40) {
		w := NewWorld(seed)
		d := w.Disk(w.AddHost())
		d.MkdirAll("d")
		f, _ := d.Create("d/snapshot.tmp")
		f.WriteAt([]byte("new"), 0)
		f.Sync()
		old, _ := d.Create("d/snapshot")
		old.WriteAt([]byte("old"), 0)
		old.Sync()
		d.SyncDir("d")
		d.Rename("d/snapshot.tmp", "d/snapshot")
		w.CrashWith(1, CrashTear)
		got := readAll(t, d, "d/snapshot")
		files := d.Files()
		if !(string(got) == "new" && slices.Equal(files, []string{"d/snapshot"})) &&
			!(string(got) == "old" && slices.Equal(files, []string{"d/snapshot", "d/snapshot.tmp"})) {
			t.Fatalf("seed %d: torn rename left %v with snapshot=%q", seed, files, got)
		}
	}
}

func TestDiskBadPaths(t *testing.T) {
	_, d := newDisk1(t, DefaultDiskOptions())
	for _, p := range []string{"/abs", "../up", "a//b", "", "data/"} {
		if _, err := d.Create(p); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Create(%q): %v, want fs.ErrInvalid", p, err)
		}
	}
	if _, err := d.Create("nodir/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("create in a missing dir: %v", err)
	}
	if _, err := d.Open("data/missing"); !errors.Is(err, fs.ErrNotExist) || err.Error() != "sim: disk of host 1: open data/missing: file does not exist" {
		t.Errorf("open missing: %v", err)
	}
	if _, err := d.Create("data"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("create over a directory: %v", err)
	}
	if _, err := d.ReadDir("nodir"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("readdir missing: %v", err)
	}
	f := mustCreate(t, d, "data/f")
	f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	if err := f.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("double close: %v", err)
	}
	g := mustCreate(t, d, "data/g")
	if _, err := g.WriteAt([]byte("x"), -5); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("negative offset: %v", err)
	}
	if err := g.Truncate(-1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("negative truncate: %v", err)
	}
}

func TestDiskReadDir(t *testing.T) {
	_, d := newDisk1(t, DefaultDiskOptions())
	mustCreate(t, d, "data/version-2/log.200")
	mustCreate(t, d, "data/version-2/log.100")
	mustCreate(t, d, "data/myid")
	got, err := d.ReadDir("data")
	if err != nil || !slices.Equal(got, []string{"myid", "version-2"}) {
		t.Fatalf("ReadDir(data) = %v, %v", got, err)
	}
	got, _ = d.ReadDir("data/version-2")
	if !slices.Equal(got, []string{"log.100", "log.200"}) {
		t.Fatalf("ReadDir(version-2) = %v", got)
	}
	if err := d.Remove("data/myid"); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.ReadDir("data"); !slices.Equal(got, []string{"version-2"}) {
		t.Fatalf("after remove: %v", got)
	}
}

func TestDiskTruncateShrinkThenGrowReadsZeros(t *testing.T) {
	w, d := newDisk1(t, DefaultDiskOptions())
	f := mustCreate(t, d, "data/f")
	f.WriteAt(bytes.Repeat([]byte{7}, 3*PageSize), 0)
	f.Sync()
	f.Truncate(100)
	f.Truncate(3 * PageSize)
	want := append(bytes.Repeat([]byte{7}, 100), make([]byte, 3*PageSize-100)...)
	if got := readAll(t, d, "data/f"); !bytes.Equal(got, want) {
		t.Fatal("shrink then grow shows old data beyond the shrink point")
	}
	f.Sync()
	w.CrashWith(1, CrashDrop)
	if got := readAll(t, d, "data/f"); !bytes.Equal(got, want) {
		t.Fatal("after sync and crash: old data beyond the shrink point came back")
	}
}

func TestDiskFaultEIOAndNoSpace(t *testing.T) {
	o := DefaultDiskOptions()
	o.CapacityBytes = 10 * PageSize
	_, d := newDisk1(t, o)
	f := mustCreate(t, d, "data/version-2/log.1")
	id := d.Inject(Fault{Name: "bad log writes", Ops: []FaultOp{OpWrite}, Kind: FaultEIO, Times: 1,
		Match: func(op FaultOp, p string, off, n int64) bool { return off >= 4096 }})
	if _, err := f.WriteAt([]byte("a"), 0); err != nil {
		t.Fatalf("write outside the rule: %v", err)
	}
	_, err := f.WriteAt([]byte("b"), 4096)
	if !errors.Is(err, ErrIO) || err.Error() != `sim: disk of host 1: write data/version-2/log.1 at offset 4096: sim: input/output error (EIO) (injected fault "bad log writes")` {
		t.Fatalf("write matching the rule: %v", err)
	}
	if s, _ := f.Size(); s != 1 {
		t.Fatalf("a failed write changed the size to %d", s)
	}
	if _, err := f.WriteAt([]byte("b"), 4096); err != nil {
		t.Fatalf("rule with Times 1 fired twice: %v", err)
	}
	if !d.RemoveFault(id) || d.RemoveFault(id) {
		t.Fatal("RemoveFault")
	}
	if err := f.Truncate(11 * PageSize); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("growing past capacity: %v", err)
	}
	d.Inject(Fault{Name: "full", Ops: []FaultOp{OpCreate}, Kind: FaultNoSpace})
	if _, err := d.Create("data/x"); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("create under an ENOSPC rule: %v", err)
	}
}

func TestDiskFailedFsyncLosesDataLikeLinux(t *testing.T) {
	w, d := newDisk1(t, DefaultDiskOptions())
	f := mustCreate(t, d, "data/f")
	f.WriteAt([]byte("old"), 0)
	f.Sync()
	f.WriteAt([]byte("new"), 0)
	d.Inject(Fault{Name: "fsync eio", Ops: []FaultOp{OpSync}, Kind: FaultEIO, Times: 1})
	if err := f.Sync(); !errors.Is(err, ErrIO) {
		t.Fatalf("sync: %v", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("retried sync: %v", err)
	}
	if got := readAll(t, d, "data/f"); string(got) != "new" {
		t.Fatalf("before the crash reads show %q, want the page-cache data", got)
	}
	w.CrashWith(1, CrashKeep)
	if got := readAll(t, d, "data/f"); string(got) != "old" {
		t.Fatalf("after the crash %q: data whose fsync failed must not have become durable", got)
	}
}

func TestDiskLatentSectorAndBitFlip(t *testing.T) {
	_, d := newDisk1(t, DefaultDiskOptions())
	f := mustCreate(t, d, "data/f")
	f.WriteAt(bytes.Repeat([]byte{1}, 4*SectorSize), 0)
	f.Sync()
	d.Inject(Fault{Name: "lse", Ops: []FaultOp{OpRead}, Kind: FaultLatentSector, Times: 1,
		Match: func(op FaultOp, p string, off, n int64) bool { return off == 2*SectorSize }})
	b := make([]byte, SectorSize)
	if _, err := f.ReadAt(b, 2*SectorSize); !errors.Is(err, ErrIO) {
		t.Fatalf("first read: %v", err)
	}
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatalf("another sector: %v", err)
	}
	if _, err := f.ReadAt(make([]byte, 4*SectorSize), 0); !errors.Is(err, ErrIO) {
		t.Fatalf("a read spanning the bad sector: %v", err)
	}
	f.WriteAt(bytes.Repeat([]byte{2}, SectorSize), 2*SectorSize)
	if _, err := f.ReadAt(b, 2*SectorSize); err != nil || b[0] != 2 {
		t.Fatalf("a rewritten sector is readable again: %v", err)
	}
	f.Sync()
	d.Inject(Fault{Name: "flip", Ops: []FaultOp{OpRead}, Kind: FaultBitFlip, Times: 1})
	all := make([]byte, 4*SectorSize)
	f.ReadAt(all, 0)
	cs := d.Corruptions()
	if len(cs) != 1 || cs[0].Path != "data/f" {
		t.Fatalf("corruptions %v", cs)
	}
	want := byte(1)
	if cs[0].Off/SectorSize == 2 {
		want = 2
	}
	if all[cs[0].Off] != want^(1<<cs[0].Bit) {
		t.Fatalf("byte %d reads %d, want the flipped %d", cs[0].Off, all[cs[0].Off], want^(1<<cs[0].Bit))
	}
}

func TestFsyncLatencyIsDrawn(t *testing.T) {
	_, d := newDisk1(t, DefaultDiskOptions())
	seen := map[Duration]bool{}
	for range 20 {
		l := d.FsyncLatency()
		if l < 200*Microsecond {
			t.Fatalf("fsync latency %v below the minimum", l)
		}
		seen[l] = true
	}
	if len(seen) < 10 {
		t.Fatalf("20 draws gave only %d distinct latencies", len(seen))
	}
}

// BenchmarkHostWith64MiBPreallocatedLog measures the heap a host costs once its txn log
// is preallocated to 64 MiB the way ZooKeeper pads it (one zero byte written at the new
// end) and holds a few synced records. The heap is measured over the first (at most)
// 1,000 hosts built, which are kept alive; later iterations are discarded at once, so a
// large -benchtime cannot exhaust memory.
func BenchmarkHostWith64MiBPreallocatedLog(b *testing.B) {
	kept := min(b.N, 1000)
	keep := make([]*World, 0, kept)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range b.N {
		w := hostWithPreallocatedLog()
		if i < kept {
			keep = append(keep, w)
		}
		if i == kept-1 {
			runtime.GC()
			runtime.ReadMemStats(&after)
		}
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(kept), "heap-B/host")
	runtime.KeepAlive(keep)
}

func hostWithPreallocatedLog() *World {
	w := NewWorld(1)
	h := w.AddHost()
	d := w.Disk(h)
	d.MkdirAll("data/version-2")
	f, _ := d.Create("data/version-2/log.100000001")
	f.WriteAt([]byte{0}, 64<<20-1)
	f.WriteAt(bytes.Repeat([]byte{0xAB}, 3000), 16) // header and a few txns
	f.Sync()
	return w
}

func TestDiskWritebackMakesOldWritesDurable(t *testing.T) {
	o := DefaultDiskOptions()
	o.WritebackInterval = 5 * Second
	w, d := newDisk1(t, o)
	f := mustCreate(t, d, "data/f")
	f.WriteAt([]byte("early"), 0)
	w.RunFor(6 * Second) // one writeback
	g := mustCreate(t, d, "data/g")
	g.WriteAt([]byte("late"), 0)
	w.CrashWith(1, CrashDrop)
	if got := d.Files(); !slices.Equal(got, []string{"data/f"}) {
		t.Fatalf("after writeback and a dropping crash: %v", got)
	}
	if got := readAll(t, d, "data/f"); string(got) != "early" {
		t.Fatalf("written back data: %q", got)
	}
}

func TestDiskRemovedFilesFreeSpaceAndAreForgotten(t *testing.T) {
	o := DefaultDiskOptions()
	o.CapacityBytes = 3 * PageSize
	_, d := newDisk1(t, o)
	for i := range 500 {
		name := fmt.Sprintf("data/log.%d", i)
		f := mustCreate(t, d, name)
		if _, err := f.WriteAt(make([]byte, 2*PageSize), 0); err != nil {
			t.Fatalf("file %d: %v (space of removed files not freed?)", i, err)
		}
		f.Sync()
		d.Remove(name)
		d.SyncDir("data")
	}
	if len(d.inodes) > 200 {
		t.Fatalf("%d inodes kept after 500 files were removed", len(d.inodes))
	}
}

// BenchmarkDiskAppendAndSync appends 512-byte records to a preallocated log and syncs
// every 8th, like a txn log under group commit.
func BenchmarkDiskAppendAndSync(b *testing.B) {
	w := NewWorld(1)
	d := w.Disk(w.AddHost())
	d.MkdirAll("data")
	f, _ := d.Create("data/log.1")
	f.Truncate(64 << 20)
	rec := bytes.Repeat([]byte{0x5a}, 512)
	off := int64(0)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for i := range b.N {
		if off+512 > 64<<20 {
			f.Truncate(0)
			f.Truncate(64 << 20)
			off = 0
		}
		f.WriteAt(rec, off)
		off += 512
		if i%8 == 7 {
			f.Sync()
		}
	}
}
