// Package wal reads and writes ZooKeeper 3.8's transaction log, snapshots and epoch files.
package wal
