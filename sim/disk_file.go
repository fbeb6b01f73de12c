package sim

import (
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
)

// page is one 4 KiB page of file data.
type page [PageSize]byte

// zeroPage stands for a page of zeros that hides older data (after a shrinking
// truncate). It is shared and never written: writers copy it first.
var zeroPage = new(page)

// inode is a file's data. Pages absent from every layer read as zeros, which makes a
// preallocated file of zeros nearly free. A read looks in dirty (written since the last
// Sync), then lost (written, then "cleaned" by a failed fsync: visible but never going to
// be durable), then durable.
type inode struct {
	id                uint64
	size, durableSize int64
	durable           map[int64]*page
	dirty             map[int64]*page
	lost              map[int64]*page
	badSectors        map[int64]bool // latent sector errors: reads fail until rewritten
}

func (ino *inode) view(idx int64) *page {
	if p, ok := ino.dirty[idx]; ok {
		return p
	}
	if p, ok := ino.lost[idx]; ok {
		return p
	}
	return ino.durable[idx]
}

// writable returns the dirty copy of page idx, creating it from the current view.
func (ino *inode) writable(idx int64) *page {
	if p, ok := ino.dirty[idx]; ok && p != zeroPage {
		return p
	}
	p := new(page)
	if v := ino.view(idx); v != nil {
		*p = *v
	}
	if ino.dirty == nil {
		ino.dirty = map[int64]*page{}
	}
	ino.dirty[idx] = p
	delete(ino.lost, idx)
	return p
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

func (ino *inode) write(b []byte, off int64) {
	for len(b) > 0 {
		idx, in := off/PageSize, off%PageSize
		n := min(int64(len(b)), PageSize-in)
		if !(ino.view(idx) == nil && isZero(b[:n])) { // zeros over a hole stay a hole
			copy(ino.writable(idx)[in:], b[:n])
		}
		for s := off / SectorSize; s <= (off+n-1)/SectorSize; s++ {
			delete(ino.badSectors, s) // rewriting a sector remaps it
		}
		b, off = b[n:], off+n
	}
	ino.size = max(ino.size, off)
}

func (ino *inode) read(b []byte, off int64) {
	for len(b) > 0 {
		idx, in := off/PageSize, off%PageSize
		n := min(int64(len(b)), PageSize-in)
		if p := ino.view(idx); p != nil {
			copy(b[:n], p[in:])
		} else {
			clear(b[:n])
		}
		b, off = b[n:], off+n
	}
}

// truncate sets the volatile size. Shrinking hides the data beyond: the partial last
// page is zeroed past the end and whole pages beyond are masked with zeroPage.
func (ino *inode) truncate(size int64) {
	if size < ino.size {
		if in := size % PageSize; in != 0 && ino.view(size/PageSize) != nil {
			clear(ino.writable(size / PageSize)[in:])
		}
		first := (size + PageSize - 1) / PageSize
		for _, idx := range ino.pageIndexes() {
			if idx >= first {
				if ino.dirty == nil {
					ino.dirty = map[int64]*page{}
				}
				ino.dirty[idx] = zeroPage
				delete(ino.lost, idx)
			}
		}
	}
	ino.size = size
}

// pageIndexes returns the sorted indexes of every page held in any layer.
func (ino *inode) pageIndexes() []int64 {
	var out []int64
	for _, m := range []map[int64]*page{ino.dirty, ino.lost, ino.durable} {
		for idx := range m { //det:unordered-ok sorted below
			out = append(out, idx)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sync makes the volatile state durable, except lost pages.
func (ino *inode) sync() {
	for idx, p := range ino.dirty { //det:unordered-ok each page is independent
		ino.setDurable(idx, p)
	}
	ino.dirty = nil
	ino.durableSize = ino.size
}

func (ino *inode) setDurable(idx int64, p *page) {
	if p == zeroPage {
		delete(ino.durable, idx)
		return
	}
	if ino.durable == nil {
		ino.durable = map[int64]*page{}
	}
	ino.durable[idx] = p
}

// failSync is fsync returning EIO as Linux does: the dirty pages are marked clean
// without reaching the disk, so reads still see them but no later Sync persists them.
func (ino *inode) failSync() {
	for idx, p := range ino.dirty { //det:unordered-ok each page is independent
		if ino.lost == nil {
			ino.lost = map[int64]*page{}
		}
		ino.lost[idx] = p
	}
	ino.dirty = nil
}

// crash reduces the inode's durable state to what survives a crash in the given mode
// on a strict or reordered disk; Disk.crash then drops the volatile state.
func (ino *inode) crash(mode CrashMode, r *rand.Rand) {
	switch mode {
	case CrashKeep:
		ino.sync()
	case CrashDrop:
		ino.dirty = nil
	default:
		ino.tear(r)
	}
}

// tear keeps each unsynced sector or not, and either the new or the old size.
func (ino *inode) tear(r *rand.Rand) {
	for _, idx := range ino.dirtyIndexes() {
		ino.keepSectors(idx, func(int) bool { return r.IntN(2) == 0 })
	}
	ino.dirty = nil
	if r.IntN(2) == 0 {
		ino.durableSize = ino.size
	}
}

// keepSectors makes the sectors of dirty page idx for which keep says so durable over
// the page's durable content.
func (ino *inode) keepSectors(idx int64, keep func(sector int) bool) {
	np := ino.dirty[idx]
	merged := new(page)
	if op := ino.durable[idx]; op != nil {
		*merged = *op
	}
	for s := 0; s < PageSize/SectorSize; s++ {
		if keep(s) {
			copy(merged[s*SectorSize:(s+1)*SectorSize], np[s*SectorSize:(s+1)*SectorSize])
		}
	}
	if isZero(merged[:]) {
		merged = zeroPage
	}
	ino.setDurable(idx, merged)
}

// trimDurable drops durable data beyond the durable size, so that a later extension
// reads zeros.
func (ino *inode) trimDurable() {
	size := ino.durableSize
	for idx, p := range ino.durable { //det:unordered-ok each page is independent
		start := idx * PageSize
		switch {
		case start >= size:
			delete(ino.durable, idx)
		case start+PageSize > size:
			q := *p
			clear(q[size-start:])
			ino.durable[idx] = &q
		}
	}
}

// File is an open file on a simulated disk. Its methods match wal.File. A crash of the
// host kills every handle: later calls fail with fs.ErrClosed.
type File struct {
	d      *Disk
	ino    *inode
	name   string
	gen    uint64
	closed bool
}

// Name returns the path the file was opened with.
func (f *File) Name() string { return f.name }

// MaxFileSize is the largest size a file may reach (ext4's limit with 4 KiB blocks).
const MaxFileSize = 16 << 40

// checkEnd refuses a write or truncate that would take the file past MaxFileSize.
func (f *File) checkEnd(op string, off, end int64) error {
	if end > MaxFileSize || end < off {
		return f.d.err(op, f.name, off, fmt.Errorf("%w: file would exceed the maximum size of %d bytes (EFBIG)", fs.ErrInvalid, int64(MaxFileSize)))
	}
	return nil
}

func (f *File) check(op string, off int64) error {
	if f.closed {
		return f.d.err(op, f.name, off, fmt.Errorf("%w: file already closed", fs.ErrClosed))
	}
	if f.gen != f.d.gen {
		return f.d.err(op, f.name, off, fmt.Errorf("%w: handle from before a crash of the host", fs.ErrClosed))
	}
	return nil
}

// checkRange validates a read or write at off: open handle, non-negative offset.
func (f *File) checkRange(op string, off int64) error {
	if err := f.check(op, off); err != nil {
		return err
	}
	if off < 0 {
		return f.d.err(op, f.name, off, fmt.Errorf("%w: negative offset", fs.ErrInvalid))
	}
	return nil
}

// ReadAt reads len(b) bytes at off. Past the end it returns fewer bytes and io.EOF.
func (f *File) ReadAt(b []byte, off int64) (int, error) {
	if err := f.checkRange("read", off); err != nil {
		return 0, err
	}
	if err := f.d.fault(OpRead, f.name, off, int64(len(b)), f.ino); err != nil {
		return 0, err
	}
	if s := f.badSectorIn(off, int64(len(b))); s >= 0 {
		return 0, f.d.err("read", f.name, s*SectorSize, fmt.Errorf("%w: unreadable sector %d", ErrIO, s))
	}
	n := int64(len(b))
	if off >= f.ino.size {
		n = 0
	} else if off+n > f.ino.size {
		n = f.ino.size - off
	}
	f.ino.read(b[:n], off)
	f.d.stats.Reads++
	f.d.stats.ReadBytes += n
	if n < int64(len(b)) {
		return int(n), io.EOF
	}
	return int(n), nil
}

func (f *File) badSectorIn(off, n int64) int64 {
	if len(f.ino.badSectors) == 0 || n == 0 {
		return -1
	}
	for s := off / SectorSize; s <= (off+n-1)/SectorSize; s++ {
		if f.ino.badSectors[s] {
			return s
		}
	}
	return -1
}

// WriteAt writes b at off (unsynced until Sync), extending the file if needed.
func (f *File) WriteAt(b []byte, off int64) (int, error) {
	if err := f.checkRange("write", off); err != nil {
		return 0, err
	}
	if err := f.checkEnd("write", off, off+int64(len(b))); err != nil {
		return 0, err
	}
	if err := f.d.fault(OpWrite, f.name, off, int64(len(b)), f.ino); err != nil {
		return 0, err
	}
	if err := f.d.checkSpace("write", f.name, off, f.ino, off+int64(len(b))); err != nil {
		return 0, err
	}
	if off+int64(len(b)) > f.ino.size {
		f.d.metaChanged()
	}
	f.ino.write(b, off)
	f.d.stats.Writes++
	f.d.stats.WrittenBytes += int64(len(b))
	return len(b), nil
}

// checkSpace refuses growing ino to newSize beyond the disk's capacity.
func (d *Disk) checkSpace(op, name string, off int64, ino *inode, newSize int64) error {
	if d.opts.CapacityBytes == 0 || newSize <= ino.size {
		return nil
	}
	if d.usedBytes()+newSize-ino.size > d.opts.CapacityBytes {
		return d.err(op, name, off, ErrNoSpace)
	}
	return nil
}

// Size returns the file's current (possibly unsynced) length.
func (f *File) Size() (int64, error) {
	if err := f.check("size", -1); err != nil {
		return 0, err
	}
	return f.ino.size, nil
}

// Truncate sets the file's length; growing reads as zeros and costs no memory.
func (f *File) Truncate(size int64) error {
	if err := f.check("truncate", -1); err != nil {
		return err
	}
	if size < 0 {
		return f.d.err("truncate", f.name, size, fmt.Errorf("%w: negative size", fs.ErrInvalid))
	}
	if err := f.checkEnd("truncate", size, size); err != nil {
		return err
	}
	if err := f.d.fault(OpTruncate, f.name, size, 0, f.ino); err != nil {
		return err
	}
	if err := f.d.checkSpace("truncate", f.name, size, f.ino, size); err != nil {
		return err
	}
	if size != f.ino.size {
		f.d.metaChanged()
	}
	f.ino.truncate(size)
	return nil
}

// Sync makes the file's data and size durable (and, on an ordered disk, commits the
// journal: every name change and size so far; on a reordered disk, every name change). An injected EIO leaves the unsynced pages visible but
// never durable, as Linux does after a failed fsync.
func (f *File) Sync() error {
	if err := f.check("sync", -1); err != nil {
		return err
	}
	f.d.stats.Syncs++
	if err := f.d.fault(OpSync, f.name, 0, f.ino.size, f.ino); err != nil {
		if errorsIsIO(err) {
			f.ino.failSync()
		}
		return err
	}
	f.ino.sync()
	switch f.d.opts.model() {
	case DiskOrdered:
		f.d.journalCommit() // ext4's fsync commits the running transaction
	case DiskReordered:
		f.d.commitNames(len(f.d.journal))
	}
	f.d.w.note("disk.sync", int64(f.d.host), int64(f.ino.id), f.ino.size)
	return nil
}

// Close releases the handle; later calls on it fail with fs.ErrClosed.
func (f *File) Close() error {
	if f.closed {
		return f.d.err("close", f.name, -1, fmt.Errorf("%w: file already closed", fs.ErrClosed))
	}
	f.closed = true
	return nil
}
