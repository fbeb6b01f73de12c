package memfs

import (
	"fmt"
	iofs "io/fs"
	"path"
	"slices"
	"strings"

	"github.com/zabsim/zabsim/wal"
)

// PageSize is the granularity of durability and tearing.
const PageSize = 4096

// Op names an operation for Inject.
type Op string

const (
	OpCreate   Op = "create"
	OpOpen     Op = "open"
	OpRead     Op = "read"
	OpWrite    Op = "write"
	OpTruncate Op = "truncate"
	OpSync     Op = "sync"
	OpRemove   Op = "remove"
	OpRename   Op = "rename"
	OpReadDir  Op = "readdir"
	OpSyncDir  Op = "syncdir"
	OpMkdir    Op = "mkdir"
)

// FS is the in-memory filesystem. The zero value is not usable; call New.
type FS struct {
	files map[string]*inode
	dirs  map[string]bool
	// Inject, when set, is called before every operation; a non-nil result is returned
	// as that operation's error and the operation does nothing.
	Inject func(op Op, name string) error
}

// New returns an empty FS (with the root directory).
func New() *FS {
	return &FS{files: map[string]*inode{}, dirs: map[string]bool{"": true}}
}

type content struct {
	size  int64
	pages map[int64]*[PageSize]byte
}

type inode struct {
	cur     content
	durable content
	dirty   map[int64]bool // pages changed since the last Sync
}

func clean(name string) string {
	c := path.Clean("/" + name)
	return strings.TrimPrefix(c, "/")
}

func (fs *FS) inject(op Op, name string) error {
	if fs.Inject == nil {
		return nil
	}
	if err := fs.Inject(op, name); err != nil {
		return fmt.Errorf("memfs: %s %s: %w", op, name, err)
	}
	return nil
}

func (fs *FS) MkdirAll(dir string) error {
	dir = clean(dir)
	if err := fs.inject(OpMkdir, dir); err != nil {
		return err
	}
	for d := dir; d != "." && d != ""; d = parent(d) {
		if _, isFile := fs.files[d]; isFile {
			return fmt.Errorf("memfs: mkdir %s: %s is a file", dir, d)
		}
		fs.dirs[d] = true
	}
	return nil
}

func parent(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

func (fs *FS) checkParent(name string) error {
	if !fs.dirs[parent(name)] {
		return fmt.Errorf("memfs: %s: parent directory: %w", name, iofs.ErrNotExist)
	}
	return nil
}

func (fs *FS) Create(name string) (wal.File, error) {
	name = clean(name)
	if err := fs.inject(OpCreate, name); err != nil {
		return nil, err
	}
	if err := fs.checkParent(name); err != nil {
		return nil, err
	}
	n, ok := fs.files[name]
	if !ok {
		n = &inode{cur: content{pages: map[int64]*[PageSize]byte{}}, durable: content{pages: map[int64]*[PageSize]byte{}}, dirty: map[int64]bool{}}
		fs.files[name] = n
	}
	n.truncate(0)
	return &file{fs: fs, name: name, n: n}, nil
}

func (fs *FS) Open(name string) (wal.File, error) {
	name = clean(name)
	if err := fs.inject(OpOpen, name); err != nil {
		return nil, err
	}
	n, ok := fs.files[name]
	if !ok {
		return nil, fmt.Errorf("memfs: open %s: %w", name, iofs.ErrNotExist)
	}
	return &file{fs: fs, name: name, n: n}, nil
}

func (fs *FS) ReadDir(dir string) ([]string, error) {
	dir = clean(dir)
	if err := fs.inject(OpReadDir, dir); err != nil {
		return nil, err
	}
	if !fs.dirs[dir] {
		return nil, fmt.Errorf("memfs: readdir %s: %w", dir, iofs.ErrNotExist)
	}
	var names []string
	for p := range fs.files { //det:unordered-ok names are sorted below
		if parent(p) == dir {
			names = append(names, path.Base(p))
		}
	}
	for d := range fs.dirs { //det:unordered-ok names are sorted below
		if d != "" && parent(d) == dir {
			names = append(names, path.Base(d))
		}
	}
	slices.Sort(names)
	return names, nil
}

func (fs *FS) Remove(name string) error {
	name = clean(name)
	if err := fs.inject(OpRemove, name); err != nil {
		return err
	}
	if _, ok := fs.files[name]; !ok {
		return fmt.Errorf("memfs: remove %s: %w", name, iofs.ErrNotExist)
	}
	delete(fs.files, name)
	return nil
}

func (fs *FS) Rename(oldname, newname string) error {
	oldname, newname = clean(oldname), clean(newname)
	if err := fs.inject(OpRename, oldname); err != nil {
		return err
	}
	n, ok := fs.files[oldname]
	if !ok {
		return fmt.Errorf("memfs: rename %s: %w", oldname, iofs.ErrNotExist)
	}
	if err := fs.checkParent(newname); err != nil {
		return err
	}
	delete(fs.files, oldname)
	fs.files[newname] = n
	return nil
}

func (fs *FS) SyncDir(dir string) error { return fs.inject(OpSyncDir, clean(dir)) }

// Names returns every file path, sorted.
func (fs *FS) Names() []string {
	var names []string
	for p := range fs.files { //det:unordered-ok sorted below
		names = append(names, p)
	}
	slices.Sort(names)
	return names
}

// ReadFile returns a file's current contents (a test helper).
func (fs *FS) ReadFile(name string) ([]byte, error) {
	n, ok := fs.files[clean(name)]
	if !ok {
		return nil, fmt.Errorf("memfs: %s: %w", name, iofs.ErrNotExist)
	}
	b := make([]byte, n.cur.size)
	n.cur.readAt(b, 0)
	return b, nil
}

// WriteFile creates name with b as durable contents (a test helper for fixtures).
func (fs *FS) WriteFile(name string, b []byte) error {
	if err := fs.MkdirAll(parent(clean(name))); err != nil {
		return err
	}
	f, err := fs.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Sync()
}
