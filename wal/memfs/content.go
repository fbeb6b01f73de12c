package memfs

import (
	"io"
	"maps"
	"math/rand/v2"
	"slices"
)

func (c *content) readAt(b []byte, off int64) int {
	n := 0
	for n < len(b) && off+int64(n) < c.size {
		pos := off + int64(n)
		pg, in := pos/PageSize, pos%PageSize
		chunk := min(int64(len(b)-n), PageSize-in, c.size-pos)
		if p := c.pages[pg]; p != nil {
			copy(b[n:n+int(chunk)], p[in:in+chunk])
		} else {
			clear(b[n : n+int(chunk)])
		}
		n += int(chunk)
	}
	return n
}

// writeAt writes b at off, calling touched for every page it changes.
func (c *content) writeAt(b []byte, off int64, touched func(pg int64)) {
	for n := 0; n < len(b); {
		pos := off + int64(n)
		pg, in := pos/PageSize, pos%PageSize
		chunk := min(int64(len(b)-n), PageSize-in)
		p := c.pages[pg]
		if p == nil {
			p = new([PageSize]byte)
			c.pages[pg] = p
		}
		copy(p[in:in+chunk], b[n:n+int(chunk)])
		touched(pg)
		n += int(chunk)
	}
	c.size = max(c.size, off+int64(len(b)))
}

// setSize truncates or extends (with zeros), calling touched for changed pages.
func (c *content) setSize(size int64, touched func(pg int64)) {
	if size < c.size {
		for pg := range c.pages { //det:unordered-ok each page is handled independently
			switch {
			case pg*PageSize >= size:
				delete(c.pages, pg)
				touched(pg)
			case (pg+1)*PageSize > size:
				clear(c.pages[pg][size-pg*PageSize:])
				touched(pg)
			}
		}
	}
	c.size = size
}

func (c content) clone() content {
	out := content{size: c.size, pages: make(map[int64]*[PageSize]byte, len(c.pages))}
	for pg, p := range c.pages { //det:unordered-ok copying a map
		cp := *p
		out.pages[pg] = &cp
	}
	return out
}

func (n *inode) touch(pg int64) { n.dirty[pg] = true }

func (n *inode) truncate(size int64) { n.cur.setSize(size, n.touch) }

// sync makes the current contents durable.
func (n *inode) sync() {
	for pg := range n.dirty { //det:unordered-ok each page is copied independently
		if p := n.cur.pages[pg]; p != nil {
			cp := *p
			n.durable.pages[pg] = &cp
		} else {
			delete(n.durable.pages, pg)
		}
	}
	n.durable.size = n.cur.size
	clear(n.dirty)
}

// CrashMode says what happens to unsynced data at a crash.
type CrashMode int

const (
	// LoseUnsynced: every file reverts to its last synced contents.
	LoseUnsynced CrashMode = iota
	// KeepUnsynced: everything written survives.
	KeepUnsynced
	// TearInOrder: for each file, the unsynced pages reach the disk in offset order up
	// to a random point (a torn tail).
	TearInOrder
	// TearAnyOrder: each unsynced page independently survives or not, and the size is
	// the old or the new one (reordered page writes: a record's end can survive while
	// its middle is lost).
	TearAnyOrder
)

func (m CrashMode) String() string {
	return [...]string{"lose-unsynced", "keep-unsynced", "tear-in-order", "tear-any-order"}[m]
}

// Crash applies a crash to every file: what was synced survives; unsynced pages survive
// according to mode, drawing from rng. Afterwards everything on disk counts as synced.
func (fs *FS) Crash(mode CrashMode, rng *rand.Rand) {
	for _, name := range fs.Names() {
		fs.files[name].crash(mode, rng)
	}
}

func (n *inode) crash(mode CrashMode, rng *rand.Rand) {
	dirty := slices.Sorted(maps.Keys(n.dirty))
	keep := make(map[int64]bool, len(dirty))
	newSize := false
	switch mode {
	case KeepUnsynced:
		n.sync()
		return
	case LoseUnsynced:
	case TearInOrder:
		cut := rng.IntN(len(dirty) + 1)
		for _, pg := range dirty[:cut] {
			keep[pg] = true
		}
		newSize = cut == len(dirty) || (cut > 0 && rng.IntN(2) == 0)
	case TearAnyOrder:
		for _, pg := range dirty {
			keep[pg] = rng.IntN(2) == 0
		}
		newSize = rng.IntN(2) == 0
	}
	out := n.durable.clone()
	for _, pg := range dirty {
		if !keep[pg] {
			continue
		}
		if p := n.cur.pages[pg]; p != nil {
			cp := *p
			out.pages[pg] = &cp
		} else {
			delete(out.pages, pg)
		}
	}
	if newSize {
		out.size = n.cur.size
	}
	out.setSize(out.size, func(int64) {}) // drop pages past the surviving size
	n.cur, n.durable = out, out.clone()
	clear(n.dirty)
}

// file is an open memfs file.
type file struct {
	fs     *FS
	name   string
	n      *inode
	closed bool
}

func (f *file) check(op Op) error {
	if f.closed {
		return f.fs.inject(op, f.name+" (closed)")
	}
	return f.fs.inject(op, f.name)
}

func (f *file) ReadAt(b []byte, off int64) (int, error) {
	if err := f.check(OpRead); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := f.n.cur.readAt(b, off)
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (f *file) WriteAt(b []byte, off int64) (int, error) {
	if err := f.check(OpWrite); err != nil {
		return 0, err
	}
	f.n.cur.writeAt(b, off, f.n.touch)
	return len(b), nil
}

func (f *file) Size() (int64, error) { return f.n.cur.size, nil }

func (f *file) Truncate(size int64) error {
	if err := f.check(OpTruncate); err != nil {
		return err
	}
	f.n.truncate(size)
	return nil
}

func (f *file) Sync() error {
	if err := f.check(OpSync); err != nil {
		return err
	}
	f.n.sync()
	return nil
}

func (f *file) Close() error { f.closed = true; return nil }
