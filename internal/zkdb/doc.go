// Package zkdb is ZooKeeper's ZKDatabase: one server's data tree (package datatree)
// recovered from and persisted through its files (package wal), on whatever wal.FS the
// caller gives it — the simulated disk in a run (internal/simfs), the real one for the
// command line (wal/osfs).
//
// The cluster harness executes a zab server's disk effects through a DB. The API is the
// server's life cycle, each call one effect:
//
//	db := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", SnapCount: 100, Rand: rng})
//	rep, err := db.Load(zkdb.LoadOptions{})   // startup: snapshot + replay of every logged txn
//	epochs, err := db.LoadEpochs()            // acceptedEpoch/currentEpoch checks
//
//	due, err := db.Append(entry)              // log a proposal (buffered)
//	err = db.Commit()                         // group commit: one fsync; then ACK the batch
//	if due { db.TakeSnapshot(false) }         // the randomized trigger fired; log already rolled
//	res, err := db.Apply(entry)               // a committed txn reaches the tree
//
//	db.SetAcceptedEpoch(e); db.SetCurrentEpoch(e)   // tmp + fsync + rename
//	db.Truncate(zxid)                         // TRUNC sync: cut the log, full reload
//	it, err := db.TxnsFrom(zxid)              // DIFF sync from disk
//	db.EncodeSnapshotBody(enc) / db.LoadSnapshotBody(dec, zxid)   // SNAP sync payload
//	db.FastForward()                          // apply logged-but-unapplied txns (follower shutdown)
//	db.Purge(3)                               // autopurge
//
// # What Load does (ZKDatabase.loadDataBase + FileTxnSnapLog.restore)
//
// It forgets everything in memory, loads the newest snapshot that passes the trailer
// check and whose seals verify (older ones are tried when a newer one is corrupt), then
// replays every txn in the log after the snapshot's zxid, committed or not: the disk has
// no commit marks. createSession and closeSession also rebuild the session table; every
// replayed txn enters the committed log (the newest 500 are kept, for DIFF sync). A torn
// log tail is dropped silently; a CRC mismatch fails the load (ZooKeeper refuses to
// start). With no snapshot and an empty log the database is empty at zxid 0 and
// snapshot.0 is written (zookeeper.db.autocreate); with no snapshot but log entries, Load
// fails as ZooKeeper does.
//
// Snapshots are fuzzy in ZooKeeper (written while txns apply); here TakeSnapshot
// serializes the tree as it is at the call, named by its last processed zxid. A harness
// that wants fuzziness applies txns between Append's trigger and TakeSnapshot.
//
// # Tree JSON
//
// TreeNodes, MarshalTreeJSON and WriteTreeJSON render a tree exactly as the fixtures'
// tree.json (an array of nodes depth-first with sorted children: path, data_b64 and every
// client Stat field), so a recovered data dir and a live server's tree compare byte for
// byte; ParseTreeJSON reads one back.
//
// # Variants
//
// Config.SkipSnapshotsAfterTrunc selects the proposed fix of ZOOKEEPER-4837 (reload after
// TRUNC ignores snapshots newer than the truncation zxid); the default is 3.8's behaviour,
// which resurrects truncated txns from such a snapshot. Config.EmptyTailLogFails selects
// 3.8.0's refusal to start on an empty newest log file (ZOOKEEPER-2332); the default is
// the fix, which deletes that file. Config.TrustEmptySnapshot is
// zookeeper.snapshot.trust.empty. Config.ReadOnly makes Load write nothing (for tools).
package zkdb
