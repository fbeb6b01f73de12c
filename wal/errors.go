package wal

import (
	"errors"
	"fmt"
)

// ErrCorrupt is matched (errors.Is) by every error that reports bytes on disk ZooKeeper
// would refuse to load: a CRC mismatch, a bad magic number, an unreasonable length, a
// snapshot whose seal does not match. Such errors are *CorruptError values.
var ErrCorrupt = errors.New("corrupt")

// ErrNoValidSnapshot is matched when snapshot files exist that look complete but none
// reads whole: ZooKeeper refuses to start ("Not able to find valid snapshots").
var ErrNoValidSnapshot = errors.New("not able to find a valid snapshot")

// CorruptError locates corrupt bytes: the file (as the FS names it; empty when decoding
// bytes not read from a file) and the offset where reading failed.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("wal: at offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("wal: %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// walErr builds an error with the package prefix.
func walErr(format string, args ...any) error {
	return fmt.Errorf("wal: "+format, args...)
}

// corruptErr reports corrupt bytes in file at offset.
func corruptErr(file string, offset int64, format string, args ...any) error {
	return &CorruptError{File: file, Offset: offset, Reason: fmt.Sprintf(format, args...)}
}

// corruptAt reports corrupt bytes at offset of a file the caller names later.
func corruptAt(offset int64, format string, args ...any) error {
	return corruptErr("", offset, format, args...)
}

// inFile fills in the file name of a CorruptError, or wraps any other error with it.
func inFile(err error, file string) error {
	var ce *CorruptError
	if errors.As(err, &ce) && ce.File == "" {
		ce.File = file
		return ce
	}
	return walErr("%s: %w", file, err)
}
