package sim

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
)

// Geometry of the simulated disk: data is kept in 4 KiB pages; crashes tear at 512-byte
// sectors.
const (
	PageSize   = 4096
	SectorSize = 512
)

// DiskOptions is the disk model.
type DiskOptions struct {
	// FsyncLatency is the distribution FsyncLatency draws from; the harness delays the
	// completion of a log flush by it.
	FsyncLatency Latency
	// CapacityBytes caps the sum of file sizes; a write or truncate beyond it fails with
	// ErrNoSpace. Zero means unlimited.
	CapacityBytes int64
	// Model is the durability model: DiskOrdered (the default, ext4 data=ordered),
	// DiskStrict (POSIX: names need SyncDir) or DiskReordered (pages persist in any
	// order). See DiskModel.
	Model DiskModel
	// StrictDirSync selects DiskStrict whatever Model says (kept for older callers).
	StrictDirSync bool
	// JournalCommitInterval is how often the ordered model's journal commits by itself
	// (ext4's commit=5s); zero means only fsyncs commit it. Other models ignore it.
	JournalCommitInterval Duration
	// CrashKeepProb and CrashDropProb are the chances a drawn crash keeps all unsynced
	// writes and name changes, or drops them all; otherwise the crash tears them.
	CrashKeepProb, CrashDropProb float64
	// WritebackInterval, when positive, makes everything unsynced durable every
	// interval, as the kernel's writeback and the journal's periodic commit do (ext4:
	// commit=5s, dirty_expire=30s). Zero (the default) means only Sync and SyncDir make
	// anything durable. A positive interval keeps the world from ever idling.
	WritebackInterval Duration
}

// DefaultDiskOptions returns an SSD-like disk: fsync ~1 ms with a rare ~30 ms tail,
// unlimited space, ext4 data=ordered durability with a 5 s journal commit, crashes that
// keep, drop or tear unsynced data with chances 0.2, 0.4, 0.4.
func DefaultDiskOptions() DiskOptions {
	return DiskOptions{
		FsyncLatency:          Latency{Min: 200 * Microsecond, Mean: Millisecond, Jitter: 500 * Microsecond, TailProb: 0.01, TailMean: 30 * Millisecond},
		CrashKeepProb:         0.2,
		CrashDropProb:         0.4,
		JournalCommitInterval: 5 * Second,
	}
}

// DiskModel is what a disk guarantees about the order in which unsynced changes reach
// the platter, and so what a crash can leave.
type DiskModel int

// Disk models.
const (
	// DiskOrdered is Linux ext4 with data=ordered, the filesystem ZooKeeper operators
	// run: name changes and file sizes are committed, in order and atomically, by a
	// journal commit, which any fsync (of any file, or a directory) performs and which
	// also happens every JournalCommitInterval. Data written before a commit that
	// extends or creates a file reaches the disk before the new size does, so a crash
	// never leaves a committed size over never-written bytes. Overwrites inside the
	// committed size are written back in file order: a crash keeps a prefix of them
	// (the last page it reaches torn at a sector).
	DiskOrdered DiskModel = iota
	// DiskStrict is what POSIX promises and no more: a new, renamed or removed name
	// survives a crash only after SyncDir of its directory (a crash keeps a drawn prefix
	// of the name changes); a file's size and data only after its own Sync, each
	// unsynced sector surviving or not independently.
	DiskStrict
	// DiskReordered lets pages reach the disk in any order (ZOOKEEPER-2560: a log
	// record's trailing 'B' persisted while its middle did not): each unsynced sector
	// survives or not, the size is the old or the new one; any file's Sync commits every
	// earlier name change.
	DiskReordered
)

var diskModelNames = [...]string{"ordered", "strict", "reordered"}

func (m DiskModel) String() string {
	if m >= 0 && int(m) < len(diskModelNames) {
		return diskModelNames[m]
	}
	return fmt.Sprintf("DiskModel(%d)", int(m))
}

// ParseDiskModel reads a model name: ordered, strict or reordered.
func ParseDiskModel(s string) (DiskModel, error) {
	for i, n := range diskModelNames {
		if n == s {
			return DiskModel(i), nil
		}
	}
	return 0, fmt.Errorf("sim: unknown disk model %q (want ordered, strict or reordered)", s)
}

// model is the effective durability model.
func (o DiskOptions) model() DiskModel {
	if o.StrictDirSync {
		return DiskStrict
	}
	return o.Model
}

// Validate reports options that make no sense.
func (o DiskOptions) Validate() error {
	if err := o.FsyncLatency.Validate(); err != nil {
		return err
	}
	if o.Model < DiskOrdered || o.Model > DiskReordered {
		return fmt.Errorf("sim: disk options: unknown disk model %d", int(o.Model))
	}
	if o.CapacityBytes < 0 || o.WritebackInterval < 0 || o.JournalCommitInterval < 0 || o.CrashKeepProb < 0 || o.CrashDropProb < 0 || o.CrashKeepProb+o.CrashDropProb > 1 {
		return fmt.Errorf("sim: disk options %+v: need CapacityBytes >= 0, WritebackInterval >= 0, JournalCommitInterval >= 0 and crash probabilities summing to at most 1", o)
	}
	return nil
}

// CrashMode says what a crash does to a disk's unsynced writes and name changes.
type CrashMode int

// Crash modes.
const (
	CrashDrawn CrashMode = iota // drawn per crash from the disk's stream (DiskOptions)
	CrashKeep                   // unsynced data and names survive as if synced
	CrashDrop                   // everything not synced is lost
	CrashTear                   // each unsynced sector survives or not; a prefix of name changes survives
)

func (m CrashMode) String() string {
	switch m {
	case CrashDrawn:
		return "drawn"
	case CrashKeep:
		return "keep"
	case CrashDrop:
		return "drop"
	case CrashTear:
		return "tear"
	}
	return fmt.Sprintf("CrashMode(%d)", int(m))
}

// Errors of the disk beyond the io/fs sentinels (fs.ErrNotExist, fs.ErrExist,
// fs.ErrClosed, fs.ErrInvalid), which disk errors also wrap where they apply.
var (
	ErrIO      = errors.New("sim: input/output error (EIO)")
	ErrNoSpace = errors.New("sim: no space left on device (ENOSPC)")
)

// DiskError is the error of a disk operation: which host, operation, path and offset.
type DiskError struct {
	Host HostID
	Op   string
	Path string
	Off  int64 // -1 when the operation has no offset
	Err  error
}

func (e *DiskError) Error() string {
	if e.Off >= 0 {
		return fmt.Sprintf("sim: disk of host %d: %s %s at offset %d: %v", e.Host, e.Op, e.Path, e.Off, e.Err)
	}
	return fmt.Sprintf("sim: disk of host %d: %s %s: %v", e.Host, e.Op, e.Path, e.Err)
}

func (e *DiskError) Unwrap() error { return e.Err }

// DiskStats counts a disk's work.
type DiskStats struct {
	Writes, WrittenBytes, Reads, ReadBytes, Syncs, DirSyncs, Crashes int64
}

// Disk is one host's disk: a tree of directories and files, each file with a durable
// and a volatile (unsynced) state, a journal of name changes not yet durable, and the
// injected faults. It survives its host's crashes. Its methods match wal.FS; adapt it
// with internal/simfs.
type Disk struct {
	w    *World
	host HostID
	opts DiskOptions
	rnd  *rand.Rand

	dirs         map[string]bool   // directories (durable as soon as made)
	names        map[string]*inode // the namespace as processes see it
	durableNames map[string]*inode // the namespace a crash falls back to
	journal      []nameOp          // name changes not yet durable, oldest first
	inodes       []*inode          // every file that may still be reachable, by creation
	prunedLen    int               // len(inodes) after the last prune
	nextIno      uint64
	gen          uint64 // bumped by crashes: handles from before are dead

	faults      []*faultRule
	nextFault   FaultID
	corruptions []Corruption
	stats       DiskStats

	// The ordered model's running journal transaction: open since txnStart.
	txnOpen  bool
	txnStart Time
	crashes  []CrashReport
}

type nameOpKind int

const (
	opCreate nameOpKind = iota
	opRemove
	opRename
)

// nameOp is one name change: create name → ino, remove name, rename name → newname.
type nameOp struct {
	kind          nameOpKind
	name, newname string
	ino           *inode
}

func newDisk(w *World, h HostID, o DiskOptions) *Disk {
	d := &Disk{
		w: w, host: h, opts: o,
		dirs:         map[string]bool{".": true},
		names:        map[string]*inode{},
		durableNames: map[string]*inode{},
	}
	if o.WritebackInterval > 0 {
		w.After(o.WritebackInterval, d.writeback)
	}
	return d
}

// writeback makes everything unsynced durable (except pages whose fsync failed: the
// kernel already considers them clean) and comes back after the interval.
func (d *Disk) writeback() {
	for _, ino := range d.inodes {
		ino.sync()
	}
	d.journalCommit()
	d.w.note("disk.writeback", int64(d.host), 0, 0)
	d.w.After(d.opts.WritebackInterval, d.writeback)
}

func (d *Disk) rand() *rand.Rand {
	if d.rnd == nil {
		d.rnd = d.w.Rand(fmt.Sprintf("sim/disk/%d", d.host))
	}
	return d.rnd
}

// Host returns the disk's host.
func (d *Disk) Host() HostID { return d.host }

// Stats returns the disk's counters.
func (d *Disk) Stats() DiskStats { return d.stats }

// FsyncLatency draws how long an fsync takes on this disk. Sync itself is instant; the
// harness delays the completion it reports by this much.
func (d *Disk) FsyncLatency() Duration { return d.opts.FsyncLatency.Draw(d.rand()) }

func (d *Disk) err(op, name string, off int64, err error) error {
	return &DiskError{Host: d.host, Op: op, Path: name, Off: off, Err: err}
}

// cleanPath validates a slash-separated path relative to the disk's root.
func (d *Disk) cleanPath(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", d.err(op, name, -1, fmt.Errorf("%w: not a clean relative slash-separated path", fs.ErrInvalid))
	}
	return name, nil
}

// filePath validates name as a file path whose directory exists.
func (d *Disk) filePath(op, name string) (string, error) {
	name, err := d.cleanPath(op, name)
	if err != nil {
		return "", err
	}
	if name == "." || d.dirs[name] {
		return "", d.err(op, name, -1, fmt.Errorf("%w: is a directory", fs.ErrInvalid))
	}
	if dir := path.Dir(name); !d.dirs[dir] {
		return "", d.err(op, name, -1, fmt.Errorf("%w: directory %s does not exist", fs.ErrNotExist, dir))
	}
	return name, nil
}

// MkdirAll creates dir and its missing parents. Directories are durable at once (a
// simplification: see docs/fidelity/sim.md).
func (d *Disk) MkdirAll(dir string) error {
	dir, err := d.cleanPath("mkdir", dir)
	if err != nil {
		return err
	}
	if err := d.fault(OpMkdir, dir, -1, 0, nil); err != nil {
		return err
	}
	for p := dir; p != "."; p = path.Dir(p) {
		if _, ok := d.names[p]; ok {
			return d.err("mkdir", dir, -1, fmt.Errorf("%w: %s is a file", fs.ErrExist, p))
		}
	}
	for p := dir; p != "."; p = path.Dir(p) {
		d.dirs[p] = true
	}
	return nil
}

// Create creates name, or truncates it if it exists, and opens it.
func (d *Disk) Create(name string) (*File, error) {
	name, err := d.filePath("create", name)
	if err != nil {
		return nil, err
	}
	if ino, ok := d.names[name]; ok {
		if err := d.fault(OpCreate, name, -1, 0, ino); err != nil {
			return nil, err
		}
		ino.truncate(0)
		d.metaChanged()
		return d.open(name, ino), nil
	}
	if err := d.fault(OpCreate, name, -1, 0, nil); err != nil {
		return nil, err
	}
	d.nextIno++
	ino := &inode{id: d.nextIno}
	if len(d.inodes) >= 2*d.prunedLen+64 {
		d.pruneInodes() // bound the list in long runs that roll and purge files
	}
	d.inodes = append(d.inodes, ino)
	d.names[name] = ino
	d.journal = append(d.journal, nameOp{kind: opCreate, name: name, ino: ino})
	d.metaChanged()
	d.w.note("disk.create", int64(d.host), int64(ino.id), 0)
	return d.open(name, ino), nil
}

// Open opens an existing file for reading and writing.
func (d *Disk) Open(name string) (*File, error) {
	name, err := d.filePath("open", name)
	if err != nil {
		return nil, err
	}
	ino, ok := d.names[name]
	if !ok {
		return nil, d.err("open", name, -1, fs.ErrNotExist)
	}
	if err := d.fault(OpOpen, name, -1, 0, ino); err != nil {
		return nil, err
	}
	return d.open(name, ino), nil
}

func (d *Disk) open(name string, ino *inode) *File {
	return &File{d: d, ino: ino, name: name, gen: d.gen}
}

// ReadDir returns the sorted names of dir's files and subdirectories.
func (d *Disk) ReadDir(dir string) ([]string, error) {
	dir, err := d.cleanPath("readdir", dir)
	if err != nil {
		return nil, err
	}
	if !d.dirs[dir] {
		return nil, d.err("readdir", dir, -1, fs.ErrNotExist)
	}
	if err := d.fault(OpReadDir, dir, -1, 0, nil); err != nil {
		return nil, err
	}
	var out []string
	for name := range d.names { //det:unordered-ok sorted below
		if path.Dir(name) == dir {
			out = append(out, path.Base(name))
		}
	}
	for sub := range d.dirs { //det:unordered-ok sorted below
		if sub != "." && path.Dir(sub) == dir {
			out = append(out, path.Base(sub))
		}
	}
	slices.Sort(out)
	return out, nil
}

// Remove deletes a file's name. Open handles keep working on the data.
func (d *Disk) Remove(name string) error {
	name, err := d.filePath("remove", name)
	if err != nil {
		return err
	}
	ino, ok := d.names[name]
	if !ok {
		return d.err("remove", name, -1, fs.ErrNotExist)
	}
	if err := d.fault(OpRemove, name, -1, 0, ino); err != nil {
		return err
	}
	delete(d.names, name)
	d.journal = append(d.journal, nameOp{kind: opRemove, name: name})
	d.metaChanged()
	d.w.note("disk.remove", int64(d.host), int64(ino.id), 0)
	return nil
}

// Rename atomically moves oldname to newname, replacing newname if it exists.
func (d *Disk) Rename(oldname, newname string) error {
	oldname, err := d.filePath("rename", oldname)
	if err != nil {
		return err
	}
	if newname, err = d.filePath("rename", newname); err != nil {
		return err
	}
	ino, ok := d.names[oldname]
	if !ok {
		return d.err("rename", oldname, -1, fs.ErrNotExist)
	}
	if err := d.fault(OpRename, oldname, -1, 0, ino); err != nil {
		return err
	}
	if oldname == newname {
		return nil
	}
	delete(d.names, oldname)
	d.names[newname] = ino
	d.journal = append(d.journal, nameOp{kind: opRename, name: oldname, newname: newname, ino: ino})
	d.metaChanged()
	d.w.note("disk.rename", int64(d.host), int64(ino.id), 0)
	return nil
}

// SyncDir makes dir's name changes durable — and, as a journaling filesystem does,
// every name change made before them. On an ordered disk it commits the journal.
func (d *Disk) SyncDir(dir string) error {
	dir, err := d.cleanPath("syncdir", dir)
	if err != nil {
		return err
	}
	if !d.dirs[dir] {
		return d.err("syncdir", dir, -1, fs.ErrNotExist)
	}
	if err := d.fault(OpSyncDir, dir, -1, 0, nil); err != nil {
		return err
	}
	d.stats.DirSyncs++
	if d.opts.model() == DiskOrdered {
		d.journalCommit()
		return nil
	}
	last := -1
	for i, op := range d.journal {
		if path.Dir(op.name) == dir || (op.kind == opRename && path.Dir(op.newname) == dir) {
			last = i
		}
	}
	d.commitNames(last + 1)
	return nil
}

// commitNames makes the first n journaled name changes durable.
func (d *Disk) commitNames(n int) {
	for _, op := range d.journal[:n] {
		switch op.kind {
		case opCreate:
			d.durableNames[op.name] = op.ino
		case opRemove:
			delete(d.durableNames, op.name)
		case opRename:
			delete(d.durableNames, op.name)
			d.durableNames[op.newname] = op.ino
		}
	}
	d.journal = slices.Delete(d.journal, 0, n)
}

// crash applies crash semantics (see CrashMode and DiskModel) and records what the
// crash undid in CrashReports.
func (d *Disk) crash(mode CrashMode) {
	if mode == CrashDrawn {
		mode = d.drawCrashMode()
	}
	d.catchUpJournal()
	d.stats.Crashes++
	d.w.note("disk.crash", int64(d.host), int64(mode), int64(len(d.journal)))
	st := d.beforeCrash()
	if d.opts.model() == DiskOrdered {
		d.crashOrdered(mode)
	} else {
		d.crashUnordered(mode)
	}
	undone := d.journal
	d.journal = nil
	d.names = make(map[string]*inode, len(d.durableNames))
	for name, ino := range d.durableNames { //det:unordered-ok copying a map
		d.names[name] = ino
	}
	d.gen++
	for _, ino := range d.inodes {
		ino.lost = nil
		ino.size = ino.durableSize
		ino.trimDurable()
	}
	d.crashes = append(d.crashes, d.report(st, mode, undone))
	d.pruneInodes()
}

// crashUnordered applies a crash to a strict or reordered disk: a prefix of the name
// changes survives (all of them when keeping, none when dropping), and each file's
// unsynced data is kept, dropped or torn sector by sector.
func (d *Disk) crashUnordered(mode CrashMode) {
	switch mode {
	case CrashKeep:
		d.commitNames(len(d.journal))
	case CrashDrop:
		d.commitNames(0)
	default:
		d.commitNames(d.rand().IntN(len(d.journal) + 1))
	}
	for _, ino := range d.inodes {
		ino.crash(mode, d.rand())
	}
}

// pruneInodes forgets files no name (current, durable or journaled) refers to. A
// handle may still hold one (an open, removed file); it dies at the next crash anyway.
func (d *Disk) pruneInodes() {
	named := map[*inode]bool{}
	for _, m := range []map[string]*inode{d.names, d.durableNames} {
		for _, ino := range m { //det:unordered-ok building a set
			named[ino] = true
		}
	}
	for _, op := range d.journal {
		named[op.ino] = true
	}
	live := d.inodes[:0]
	for _, ino := range d.inodes {
		if named[ino] {
			live = append(live, ino)
		}
	}
	clear(d.inodes[len(live):])
	d.inodes = live
	d.prunedLen = len(live)
}

func (d *Disk) drawCrashMode() CrashMode {
	x := d.rand().Float64()
	switch {
	case x < d.opts.CrashKeepProb:
		return CrashKeep
	case x < d.opts.CrashKeepProb+d.opts.CrashDropProb:
		return CrashDrop
	}
	return CrashTear
}

// usedBytes is the sum of the sizes of named files, for the capacity check.
func (d *Disk) usedBytes() int64 {
	var n int64
	for _, ino := range d.names { //det:unordered-ok a sum
		n += ino.size
	}
	return n
}

// Files returns the sorted paths of every file (not directory) on the disk.
func (d *Disk) Files() []string {
	var out []string
	for name := range d.names { //det:unordered-ok sorted below
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// String describes the disk for debugging.
func (d *Disk) String() string {
	return fmt.Sprintf("disk of host %d: %s; %d name changes unsynced", d.host, strings.Join(d.Files(), " "), len(d.journal))
}
