// Package simfs adapts a host's simulated disk (sim.Disk) to wal.FS, so that wal runs
// unchanged on the simulator and on the real filesystem (wal/osfs).
//
// The adapter adds nothing: every method forwards to the disk, whose model (unsynced
// and durable state, crash semantics, injected faults) is described in package sim.
// Use it wherever the cluster harness hands a server its data directory:
//
//	fs := simfs.New(world.Disk(host))
//	// pass fs to wal / zkdb
//
// Errors are the disk's *sim.DiskError values; they wrap fs.ErrNotExist, fs.ErrExist,
// fs.ErrClosed, fs.ErrInvalid, sim.ErrIO and sim.ErrNoSpace, so callers test them with
// errors.Is.
package simfs
