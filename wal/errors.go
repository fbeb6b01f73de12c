package wal

import (
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by every error that reports bytes on disk that ZooKeeper would
// refuse to load (a CRC mismatch, a bad magic number, an unreasonable length). Recovery
// fails with it; a server must not start (ZooKeeper exits with code 1).
var ErrCorrupt = errors.New("corrupt")

// walErr builds an error with the package prefix.
func walErr(format string, args ...any) error {
	return fmt.Errorf("wal: "+format, args...)
}

// corruptErr reports corrupt bytes in file at offset.
func corruptErr(file string, offset int64, format string, args ...any) error {
	return fmt.Errorf("wal: %s at offset %d: %s: %w", file, offset, fmt.Sprintf(format, args...), ErrCorrupt)
}
