package wal

import "io"

// FS is the filesystem wal works on. Two implementations exist: the simulated disk
// (sim.Disk, adapted in internal/simfs), which models unsynced data, crashes and injected
// faults, and the real one (wal/osfs), used only by the command line on real data dirs.
//
// Paths are slash-separated and relative to the FS root (for example
// "data/version-2/log.1"). Durability follows POSIX: data written to a File is durable
// only after File.Sync; a created, removed or renamed name is durable only after SyncDir
// of its directory. Every method may return an injected error (EIO, ENOSPC); wal surfaces
// those errors to its caller and never swallows them.
type FS interface {
	// MkdirAll creates dir and any missing parents.
	MkdirAll(dir string) error
	// Create creates name, or truncates it if it exists, opened for reading and writing.
	Create(name string) (File, error)
	// Open opens an existing file for reading and writing (ErrNotExist-wrapping error if
	// missing; check with errors.Is(err, fs.ErrNotExist)).
	Open(name string) (File, error)
	// ReadDir returns the names (not paths) of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// Remove deletes a file.
	Remove(name string) error
	// Rename atomically replaces newname with oldname.
	Rename(oldname, newname string) error
	// SyncDir makes the directory's entries (creates, removes, renames) durable.
	SyncDir(dir string) error
}

// File is an open file. Reads and writes are positional, so a caller never depends on a
// hidden offset; appends are WriteAt(b, Size()).
type File interface {
	io.ReaderAt
	io.WriterAt
	// Size returns the current (possibly unsynced) length.
	Size() (int64, error)
	// Truncate sets the length; growing fills with zeros (sparse on the simulated disk).
	Truncate(size int64) error
	// Sync makes the file's contents and length durable (fdatasync).
	Sync() error
	Close() error
}
