package sim

import (
	"math/rand/v2"
	"slices"
)

// This file holds the ordered (ext4 data=ordered) model's journal and what every model
// reports about a crash.

// CrashReport says what one crash of a disk's host undid: the facts a harness needs to
// tell a known weakness of the software on it (an epoch file whose rename was never made
// durable, a log truncation that was never synced, a log torn by reordered writes) from
// a simulator bug.
type CrashReport struct {
	At    Time
	Model DiskModel
	Mode  CrashMode // the mode applied (a drawn one resolved)
	// UndoneNames are the name changes the crash reverted, oldest first.
	UndoneNames []NameChange
	// SizeChanges are the files, by their name before the crash, whose size the crash
	// changed (a reverted extension, or a reverted truncation that brings data back).
	SizeChanges []SizeChange
	// Torn are the files, by name, whose unsynced data the crash kept only in part.
	Torn []string
	// FailedSync are the files, by name, holding data whose fsync had failed (EIO: the
	// kernel marked it clean without writing it), which the crash therefore lost.
	FailedSync []string
}

// NameChange is one name operation: Op is "create", "remove" or "rename" (Path to
// NewPath).
type NameChange struct {
	Op            string
	Path, NewPath string
}

// SizeChange is a file whose size a crash changed from Before to After.
type SizeChange struct {
	Path          string
	Before, After int64
}

// CrashReports returns what each crash of the disk's host undid, oldest first.
func (d *Disk) CrashReports() []CrashReport { return slices.Clone(d.crashes) }

// Model returns the disk's effective durability model.
func (d *Disk) Model() DiskModel { return d.opts.model() }

func (op nameOp) change() NameChange {
	return NameChange{Op: [...]string{"create", "remove", "rename"}[op.kind], Path: op.name, NewPath: op.newname}
}

// metaChanged notes a change the ordered model journals (a name or a size); the running
// transaction's periodic commit is due JournalCommitInterval after the first of them.
func (d *Disk) metaChanged() {
	if !d.txnOpen {
		d.txnOpen, d.txnStart = true, d.w.Now()
	}
}

// catchUpJournal performs the periodic journal commit that came due since the last
// operation. Nothing changed on the disk in between, so committing now leaves the same
// state as committing on time would have, without an event that keeps the world busy.
func (d *Disk) catchUpJournal() {
	iv := d.opts.JournalCommitInterval
	if d.opts.model() != DiskOrdered || iv <= 0 || !d.txnOpen || d.w.Now() < d.txnStart.Add(iv) {
		return
	}
	d.journalCommit()
	d.w.note("disk.journalcommit", int64(d.host), 0, 0)
}

// journalCommit commits the running transaction of the ordered model: first the data
// that extends files (data=ordered), then every file's size and every name change.
func (d *Disk) journalCommit() {
	for _, ino := range d.inodes {
		ino.commitSize()
	}
	d.commitNames(len(d.journal))
	d.txnOpen = false
}

// commitSize makes the volatile size durable; pages written past the old durable size
// reach the disk first, so the new size never covers bytes that were never written.
func (ino *inode) commitSize() {
	if ino.size == ino.durableSize {
		return
	}
	if ino.size > ino.durableSize {
		first := ino.durableSize / PageSize
		for _, idx := range ino.dirtyIndexes() {
			if idx >= first {
				ino.setDurable(idx, ino.dirty[idx])
				delete(ino.dirty, idx)
			}
		}
	}
	ino.durableSize = ino.size
	ino.trimDurable()
}

func (ino *inode) dirtyIndexes() []int64 {
	idxs := make([]int64, 0, len(ino.dirty))
	for idx := range ino.dirty { //det:unordered-ok sorted below
		idxs = append(idxs, idx)
	}
	slices.Sort(idxs)
	return idxs
}

// crashOrdered applies a crash to an ordered-model disk: the running transaction is
// committed (keep; or, when tearing, if the crash came just after a commit) or lost,
// and unsynced overwrites are written back in file order up to a drawn point.
func (d *Disk) crashOrdered(mode CrashMode) {
	r := d.rand()
	switch mode {
	case CrashKeep:
		d.journalCommit()
		for _, ino := range d.inodes {
			ino.sync()
		}
	case CrashDrop:
		for _, ino := range d.inodes {
			ino.dirty = nil
		}
	default:
		if r.IntN(2) == 0 {
			d.journalCommit()
		}
		for _, ino := range d.inodes {
			ino.tearPrefix(r)
		}
	}
	d.txnOpen = false
}

// tearPrefix keeps a drawn prefix, in file order, of the unsynced pages: whole pages,
// then a prefix of the sectors of the page the writeback was in when power went.
func (ino *inode) tearPrefix(r *rand.Rand) {
	idxs := ino.dirtyIndexes()
	keep := r.IntN(len(idxs) + 1)
	for i, idx := range idxs {
		if i < keep {
			ino.setDurable(idx, ino.dirty[idx])
			continue
		}
		if i == keep {
			sectors := r.IntN(PageSize / SectorSize)
			ino.keepSectors(idx, func(s int) bool { return s < sectors })
		}
	}
	ino.dirty = nil
}

// crashState is what the namespace looked like just before a crash, to report what the
// crash changed.
type crashState struct {
	names map[string]*inode
	sizes map[*inode]int64
	dirty map[*inode]bool
	lost  map[*inode]bool
}

func (d *Disk) beforeCrash() crashState {
	st := crashState{names: map[string]*inode{}, sizes: map[*inode]int64{}, dirty: map[*inode]bool{}, lost: map[*inode]bool{}}
	for name, ino := range d.names { //det:unordered-ok copying a map
		st.names[name] = ino
		st.sizes[ino] = ino.size
		st.dirty[ino] = len(ino.dirty) > 0
		st.lost[ino] = len(ino.lost) > 0
	}
	return st
}

// report builds the crash report from the state before and the disk after the crash.
func (d *Disk) report(st crashState, mode CrashMode, undone []nameOp) CrashReport {
	rep := CrashReport{At: d.w.Now(), Model: d.opts.model(), Mode: mode}
	for _, op := range undone {
		rep.UndoneNames = append(rep.UndoneNames, op.change())
	}
	paths := make([]string, 0, len(st.names))
	for name := range st.names { //det:unordered-ok sorted below
		paths = append(paths, name)
	}
	slices.Sort(paths)
	for _, name := range paths {
		ino := st.names[name]
		if before := st.sizes[ino]; before != ino.size {
			rep.SizeChanges = append(rep.SizeChanges, SizeChange{Path: name, Before: before, After: ino.size})
		}
		if mode == CrashTear && st.dirty[ino] {
			rep.Torn = append(rep.Torn, name)
		}
		if st.lost[ino] {
			rep.FailedSync = append(rep.FailedSync, name)
		}
	}
	return rep
}
