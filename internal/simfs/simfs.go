package simfs

import (
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/wal"
)

// New returns d as a wal.FS.
func New(d *sim.Disk) wal.FS { return diskFS{d} }

// A *sim.File already has exactly wal.File's method set.
var _ wal.File = (*sim.File)(nil)

type diskFS struct{ d *sim.Disk }

func (f diskFS) MkdirAll(dir string) error { return f.d.MkdirAll(dir) }

func (f diskFS) Create(name string) (wal.File, error) { return asFile(f.d.Create(name)) }

func (f diskFS) Open(name string) (wal.File, error) { return asFile(f.d.Open(name)) }

func (f diskFS) ReadDir(dir string) ([]string, error) { return f.d.ReadDir(dir) }

func (f diskFS) Remove(name string) error { return f.d.Remove(name) }

func (f diskFS) Rename(oldname, newname string) error { return f.d.Rename(oldname, newname) }

func (f diskFS) SyncDir(dir string) error { return f.d.SyncDir(dir) }

// asFile converts without producing a non-nil interface holding a nil *sim.File.
func asFile(file *sim.File, err error) (wal.File, error) {
	if err != nil {
		return nil, err
	}
	return file, nil
}
