// Package wal reads and writes ZooKeeper 3.8's transaction log, snapshots and epoch files,
// byte for byte, over the FS interface (the simulated disk in a run, wal/osfs on real
// data directories).
//
// wal knows the file formats and ZooKeeper's rules for writing, reading and recovering
// them; it does not know the data tree. A log record is a Txn: the TxnHeader and the raw
// bytes that follow it (the txn record and its TxnDigest), which package datatree decodes.
// A snapshot's tree section (ACL cache, nodes, "/" terminator) is written and read through
// callbacks taking a *jute.Encoder / *jute.Decoder. TreeSection is a tree-agnostic reading
// of that section for tools and tests.
//
// # Files
//
// Both live in a "version-2" directory: the log in dataLogDir/version-2, snapshots and
// epoch files in dataDir/version-2 (the two may be the same). Names carry a zxid in
// lowercase hex without padding: log.<zxid of the file's first txn>, snapshot.<zxid where
// serialization started>.
//
//   - Log file: header {int "ZKLG", int 2, long dbid 0}, then records {long Adler32 of the
//     entry, int length, entry, byte 'B'}, then zeros up to the preallocated size.
//   - Snapshot: header {int "ZKSN", int 2, long -1}, sessions {int count, (long id, int
//     timeout)*}, the tree section, a seal {long Adler32 of all bytes so far, string "/"},
//     and, with digests, {long zxid, int 2, long digest} and a second seal.
//   - acceptedEpoch, currentEpoch: a decimal number, no newline, written to <name>.tmp,
//     fsynced and renamed.
//
// # Writing the log: Log
//
// OpenLog returns a Log; Append buffers txns; Commit writes the buffer and fsyncs (group
// commit: ZooKeeper acknowledges a batch only after this returns); Roll starts a new file
// at the next Append (done at each snapshot trigger). The first Append of a Log creates a
// new file, so a restarted server never appends to an old file — the torn tail of an old
// file simply stays there, as in ZooKeeper. Files are extended with zeros in steps of
// LogOptions.PreAllocKB (zoo.cfg preAllocSize, default 64 MiB) when the committed position
// comes within 4 KiB of the end. After an I/O error a Log refuses further work: the
// server must stop, as ZooKeeper exits.
//
// # Reading the log: ReadLog, ScanLogFile, LastLoggedZxid, TruncateLog
//
// ReadLog(fs, dir, from) iterates txns from zxid from, reading the newest file named below
// from and every later file. A file ends at end of file, at a zero length (the padding),
// or at a torn record (cut short, or its 'B' missing): the rest of that file is ignored
// and reading goes on with the next file. A CRC mismatch, a bad magic number or an
// unreasonable length is a *CorruptError (errors.Is(err, ErrCorrupt)) naming the file and
// offset:
// ZooKeeper refuses to start on it (so a record whose 'B' reached the disk while its
// middle did not bricks the node, ZOOKEEPER-2560 — faithfully). ReadLogFile is the same
// without the fast-forward (it starts at the first txn of the file that may hold the
// zxid), as the leader reads the log to DIFF a learner; StorageSize and
// NewestSnapshotSize give the snapshotSizeFactor rule. TruncateLog cuts the log after a
// zxid (TRUNC sync); LastLoggedZxid scans for the newest readable txn.
//
// # Snapshots: WriteSnapshot, LoadSnapshot
//
// WriteSnapshot writes snapshot.<zxid>: in place without fsync (ZooKeeper's periodic
// snapshots), or, with fsync, via tmp + fsync + rename (learner SNAP sync). LoadSnapshot
// picks the recovery snapshot as FileSnap does: of the newest files passing
// IsValidSnapshot (ends in a seal), the first whose seals verify; if some look valid and
// none reads, ErrNoValidSnapshot (ZooKeeper refuses to start). SnapshotLoadOptions.MaxZxid
// models the proposed fix of ZOOKEEPER-4837 (skip snapshots newer than a truncation point);
// -1 is ZooKeeper 3.8's behaviour. EncodeSnapshotBody/DecodeSnapshotBody are the sessions
// + tree part alone, the payload of a SNAP sync packet.
//
// # Recovery recipe (what internal/zkdb does)
//
//  1. LoadSnapshot(dataDir/version-2): the tree and sessions at the snapshot's zxid Z (or
//     an empty database at zxid 0 if there is none and the log is empty).
//  2. ReadLog(dataLogDir/version-2, Z+1): apply every txn, committed or not; createSession
//     and closeSession also update the session table.
//  3. LoadEpochs(dataDir/version-2, lastZxid): the epoch checks.
//
// # Housekeeping
//
// SnapTrigger is SyncRequestProcessor's randomized snapshot rule (snapCount/2 plus a draw
// in [0, snapCount/2) from the caller's *rand.Rand). Purge keeps the newest snapRetainCount
// (at least 3) valid snapshots and the logs they need.
//
// # Durability model
//
// wal syncs exactly where ZooKeeper 3.8 does and nowhere else: log files at Commit, the
// .tmp file of an epoch file or fsynced snapshot before its rename. It never syncs a
// directory, so a disk that loses unsynced directory entries can lose a new log file or a
// rename — which is what real ZooKeeper risks too. Deviations from ZooKeeper are listed in
// docs/fidelity/wal.md.
package wal
