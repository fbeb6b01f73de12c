// Package zkdb is ZooKeeper's ZKDatabase: a datatree recovered from and persisted through wal.
package zkdb
