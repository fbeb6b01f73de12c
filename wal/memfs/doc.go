// Package memfs is an in-memory wal.FS with explicit durability, for tests and benchmarks
// of wal and internal/zkdb: file contents written but not synced are tracked per 4 KiB
// page, and Crash decides what of them survives (all, none, a prefix, or any subset —
// the last models reordered page writes, ZOOKEEPER-2560). Files are sparse: a 64 MiB
// preallocated log costs only the pages actually written.
//
// Namespace operations (create, remove, rename, mkdir) are durable at once; the simulated
// disk of package sim models lost directory entries, memfs does not. Inject returns an
// error for chosen operations, to test that callers surface disk errors.
//
// memfs is deterministic: Crash draws from the *rand.Rand it is given.
package memfs
