package sim

import (
	"bytes"
	"slices"
	"testing"
)

// newLogLike creates d/log.1 the way ZooKeeper starts a log: the header at offset 0,
// then preallocation by one byte at the new end. Nothing is fsynced.
func newLogLike(t *testing.T, d *Disk) {
	t.Helper()
	if err := d.MkdirAll("d"); err != nil {
		t.Fatal(err)
	}
	f, err := d.Create("d/log.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("ZKLG header"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0}, 1<<20-1); err != nil {
		t.Fatal(err)
	}
}

// TestOrderedCommitNeverExposesUnwrittenHeader is seed 59's disk state: a new log file
// whose size was committed while its header was not written. On an ordered disk the
// journal commit that makes the size durable carries the header with it, whatever the
// crash does.
func TestOrderedCommitNeverExposesUnwrittenHeader(t *testing.T) {
	for seed := range uint64(200) {
		w := NewWorld(seed)
		h := w.AddHost()
		d := w.Disk(h)
		newLogLike(t, d)
		other, _ := d.Create("d/other")
		if seed%2 == 0 {
			other.Sync() // an fsync of another file commits the journal
		}
		w.CrashWith(h, CrashTear)
		w.Restart(h)
		f, err := d.Open("d/log.1")
		if err != nil {
			continue // the create was not committed: no file at all
		}
		size, _ := f.Size()
		b := make([]byte, 11)
		f.ReadAt(b, 0)
		if size != 0 && string(b) != "ZKLG header" {
			t.Fatalf("seed %d: committed size %d over header %q", seed, size, b)
		}
		if seed%2 == 0 && size != 1<<20 {
			t.Fatalf("seed %d: an fsync committed the journal, yet the size after the crash is %d", seed, size)
		}
	}
}

// TestReorderedCanExposeUnwrittenHeader shows the harsher model keeps what it models: a
// size that reached the disk over data that did not (ZooKeeper reads "magic 0x0").
func TestReorderedCanExposeUnwrittenHeader(t *testing.T) {
	for seed := range uint64(200) {
		w, h, d := modelDisk(seed, DiskReordered)
		newLogLike(t, d)
		d.SyncDir("d")
		w.CrashWith(h, CrashTear)
		w.Restart(h)
		f, _ := d.Open("d/log.1")
		size, _ := f.Size()
		b := make([]byte, 4)
		f.ReadAt(b, 0)
		if size > 0 && string(b) == "\x00\x00\x00\x00" {
			return
		}
	}
	t.Fatal("in 200 torn crashes the reordered disk never kept a size over an unwritten header")
}

// TestOrderedJournalCommitsPeriodically: the running transaction commits by itself
// JournalCommitInterval after it opened, without any fsync.
func TestOrderedJournalCommitsPeriodically(t *testing.T) {
	w := NewWorld(1)
	h := w.AddHost()
	d := w.Disk(h)
	newLogLike(t, d)
	if err := w.RunFor(6 * Second); err != nil {
		t.Fatal(err)
	}
	w.CrashWith(h, CrashDrop)
	w.Restart(h)
	f, err := d.Open("d/log.1")
	if err != nil {
		t.Fatalf("the create is older than the commit interval yet was lost: %v", err)
	}
	if size, _ := f.Size(); size != 1<<20 {
		t.Fatalf("size %d after the periodic commit, want %d", size, 1<<20)
	}
	if reps := d.CrashReports(); len(reps) != 1 || len(reps[0].UndoneNames) != 0 || len(reps[0].SizeChanges) != 0 {
		t.Fatalf("crash reports %+v, want one that undid nothing", reps)
	}
}

// TestCrashReportsWhatWasUndone: a strict disk loses an unsynced rename of an epoch file
// (written as ZooKeeper does: tmp, fsync, rename, no directory fsync) and an unsynced
// shrinking truncate; the report names both.
func TestCrashReportsWhatWasUndone(t *testing.T) {
	o := DefaultDiskOptions()
	o.Model = DiskStrict
	w := NewWorld(1, WithDisks(o))
	h := w.AddHost()
	d := w.Disk(h)
	d.MkdirAll("v")
	log, _ := d.Create("v/log.1")
	log.WriteAt(make([]byte, 100), 0)
	log.Sync()
	tmp, _ := d.Create("v/acceptedEpoch.tmp")
	tmp.WriteAt([]byte("2"), 0)
	tmp.Sync()
	d.SyncDir("v")
	if err := d.Rename("v/acceptedEpoch.tmp", "v/acceptedEpoch"); err != nil {
		t.Fatal(err)
	}
	log.Truncate(40)
	w.CrashWith(h, CrashDrop)
	w.Restart(h)
	reps := d.CrashReports()
	if len(reps) != 1 {
		t.Fatalf("%d crash reports, want 1", len(reps))
	}
	rep := reps[0]
	want := NameChange{Op: "rename", Path: "v/acceptedEpoch.tmp", NewPath: "v/acceptedEpoch"}
	if !slices.Equal(rep.UndoneNames, []NameChange{want}) {
		t.Fatalf("undone names %+v, want %+v", rep.UndoneNames, want)
	}
	if !slices.Equal(rep.SizeChanges, []SizeChange{{Path: "v/log.1", Before: 40, After: 100}}) {
		t.Fatalf("size changes %+v, want v/log.1 40 -> 100", rep.SizeChanges)
	}
	if rep.Model != DiskStrict || rep.Mode != CrashDrop {
		t.Fatalf("report model %v mode %v", rep.Model, rep.Mode)
	}
}

func TestParseDiskModel(t *testing.T) {
	for _, m := range []DiskModel{DiskOrdered, DiskStrict, DiskReordered} {
		if got, err := ParseDiskModel(m.String()); err != nil || got != m {
			t.Fatalf("ParseDiskModel(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseDiskModel("ext3"); err == nil {
		t.Fatal("ParseDiskModel(ext3) succeeded")
	}
}

// TestOrderedTearKeepsAPrefixInFileOrder: overwrites inside a committed size are written
// back in file order, so after a torn crash the new sectors are a prefix of the
// overwritten range — never a later sector without an earlier one. The reordering that
// bricks ZooKeeper's log (ZOOKEEPER-2560) happens only on DiskReordered.
func TestOrderedTearKeepsAPrefixInFileOrder(t *testing.T) {
	reordered, partial := tornOverwrites(t, DiskOrdered)
	if reordered > 0 || partial == 0 {
		t.Fatalf("ordered disk: %d torn crashes kept a sector without an earlier one, %d kept part of the overwrites", reordered, partial)
	}
	if reordered, _ := tornOverwrites(t, DiskReordered); reordered == 0 {
		t.Fatal("reordered disk: no torn crash kept a sector without an earlier one")
	}
}

// tornOverwrites overwrites four synced pages and tears a crash, for 100 seeds; it counts
// the crashes that kept a new sector after an old one, and those that kept a proper part.
func tornOverwrites(t *testing.T, model DiskModel) (reordered, partial int) {
	const pages = 4
	for seed := range uint64(100) {
		w, h, d := modelDisk(seed, model)
		f, _ := d.Create("f")
		f.WriteAt(bytes.Repeat([]byte{1}, pages*PageSize), 0)
		f.Sync()
		f.WriteAt(bytes.Repeat([]byte{2}, pages*PageSize), 0)
		w.CrashWith(h, CrashTear)
		w.Restart(h)
		g, _ := d.Open("f")
		got := make([]byte, pages*PageSize)
		g.ReadAt(got, 0)
		old, outOfOrder := false, false
		for s := 0; s < len(got); s += SectorSize {
			switch got[s] {
			case 1:
				old = true
			case 2:
				outOfOrder = outOfOrder || old
			default:
				t.Fatalf("%s disk, seed %d: sector %d reads %d, never written", model, seed, s/SectorSize, got[s])
			}
		}
		if outOfOrder {
			reordered++
		}
		if old && bytes.Contains(got, []byte{2}) {
			partial++
		}
	}
	return reordered, partial
}

// modelDisk is a world with one host whose disk has the given model.
func modelDisk(seed uint64, model DiskModel) (*World, HostID, *Disk) {
	o := DefaultDiskOptions()
	o.Model = model
	w := NewWorld(seed, WithDisks(o))
	h := w.AddHost()
	return w, h, w.Disk(h)
}
