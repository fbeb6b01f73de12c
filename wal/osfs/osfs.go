package osfs

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zabsim/zabsim/wal"
)

// FS is the real filesystem below Root.
type FS struct {
	Root string
}

// New returns an FS rooted at dir.
func New(dir string) *FS { return &FS{Root: dir} }

func (fs *FS) path(name string) (string, error) {
	if slices.Contains(strings.Split(name, "/"), "..") {
		return "", fmt.Errorf("osfs: path %q has a \"..\" component", name)
	}
	return filepath.Join(fs.Root, filepath.FromSlash(path.Clean("/"+name))), nil
}

func (fs *FS) MkdirAll(dir string) error {
	p, err := fs.path(dir)
	if err != nil {
		return err
	}
	return os.MkdirAll(p, 0o755)
}

func (fs *FS) Create(name string) (wal.File, error) {
	p, err := fs.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return file{f}, nil
}

// Open opens name read-write, or read-only when the file is not writable (a fixture, a
// read-only mount): read-only files fail on write, which only the dump commands avoid.
func (fs *FS) Open(name string) (wal.File, error) {
	p, err := fs.path(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if os.IsPermission(err) {
		f, err = os.Open(p)
	}
	if err != nil {
		return nil, err
	}
	return file{f}, nil
}

func (fs *FS) ReadDir(dir string) ([]string, error) {
	p, err := fs.path(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names, nil
}

func (fs *FS) Remove(name string) error {
	p, err := fs.path(name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

func (fs *FS) Rename(oldname, newname string) error {
	po, err := fs.path(oldname)
	if err != nil {
		return err
	}
	pn, err := fs.path(newname)
	if err != nil {
		return err
	}
	return os.Rename(po, pn)
}

func (fs *FS) SyncDir(dir string) error {
	p, err := fs.path(dir)
	if err != nil {
		return err
	}
	d, err := os.Open(p)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type file struct{ f *os.File }

func (f file) ReadAt(b []byte, off int64) (int, error)  { return f.f.ReadAt(b, off) }
func (f file) WriteAt(b []byte, off int64) (int, error) { return f.f.WriteAt(b, off) }
func (f file) Truncate(size int64) error                { return f.f.Truncate(size) }
func (f file) Sync() error                              { return f.f.Sync() }
func (f file) Close() error                             { return f.f.Close() }

func (f file) Size() (int64, error) {
	st, err := f.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
