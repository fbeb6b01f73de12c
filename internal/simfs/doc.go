// Package simfs adapts a host's simulated disk (package sim) to wal.FS, so that wal runs
// unchanged on the simulator and on the real filesystem.
package simfs
