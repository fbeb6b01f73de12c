// Package osfs is wal.FS over the real operating-system filesystem, rooted at a
// directory. The command line uses it to read and write real ZooKeeper data
// directories; simulations never use it (they hand wal the simulated disk).
//
// Paths given to the FS are slash-separated and relative to the root; a path with a ".."
// component is rejected. File.Sync is fsync (os.File.Sync), SyncDir opens the directory
// and fsyncs it. Open falls back to read-only for files the process may not write (the
// dump commands only read).
//
//	fs := osfs.New("/var/lib/zookeeper")
//	it, err := wal.ReadLog(fs, "version-2", 0)
package osfs
