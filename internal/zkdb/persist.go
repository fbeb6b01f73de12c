package zkdb

import (
	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/wal"
)

// openLog opens the log for appending on first use.
func (db *DB) openLog() error {
	if db.log != nil {
		return nil
	}
	if err := db.cfg.FS.MkdirAll(db.cfg.logDir()); err != nil {
		return errf("creating %s: %w", db.cfg.logDir(), err)
	}
	db.log = wal.OpenLog(db.cfg.FS, db.cfg.logDir(), wal.LogOptions{PreAllocKB: db.cfg.PreAllocKB})
	return nil
}

// Append logs one txn entry (buffered; durable only after Commit) and counts it for the
// snapshot trigger. When snapshotDue is true the log has already been rolled (the next
// Append starts a new file) and the caller should TakeSnapshot — at once or later, as
// ZooKeeper's snapshot thread does; ZooKeeper skips the snapshot if one is still being
// written. Append does not apply the txn to the tree: that happens at commit (Apply).
func (db *DB) Append(entry []byte) (snapshotDue bool, err error) {
	t, err := wal.DecodeTxn(entry, 0)
	if err != nil {
		return false, errf("appending txn: %w", err)
	}
	if err := db.openLog(); err != nil {
		return false, err
	}
	if err := db.log.Append(t); err != nil {
		return false, errf("appending zxid %#x: %w", t.Header.Zxid, err)
	}
	if !db.trigger.Logged(db.log.TotalLogSize()) {
		return false, nil
	}
	db.trigger.Reset(db.cfg.Rand)
	if err := db.log.Roll(); err != nil {
		return false, errf("rolling log: %w", err)
	}
	db.log.ResetTotalLogSize()
	return true, nil
}

// Commit makes every appended txn durable (one fsync per file written since the last
// Commit). Only after it returns nil may the server ACK those txns.
func (db *DB) Commit() error {
	if db.log == nil {
		return nil
	}
	if err := db.log.Commit(); err != nil {
		return errf("commit: %w", err)
	}
	return nil
}

// RollLog makes the next Append start a new log file.
func (db *DB) RollLog() error {
	if db.log == nil {
		return nil
	}
	if err := db.log.Roll(); err != nil {
		return errf("rolling log: %w", err)
	}
	return nil
}

// TakeSnapshot writes snapshot.<last processed zxid> of the current tree and sessions.
// fsync selects ZooKeeper's syncSnap (tmp + fsync + rename: learner SNAP sync); periodic
// snapshots are written in place without fsync. An error is what ZooKeeper exits on
// (code 10).
func (db *DB) TakeSnapshot(fsync bool) (string, error) {
	if err := db.cfg.FS.MkdirAll(db.cfg.snapDir()); err != nil {
		return "", errf("creating %s: %w", db.cfg.snapDir(), err)
	}
	name, err := wal.WriteSnapshot(db.cfg.FS, db.cfg.snapDir(), db.LastProcessedZxid(), db.Sessions(), db.writeTree, db.snapDigest(), fsync)
	if err != nil {
		return "", errf("taking snapshot: %w", err)
	}
	return name, nil
}

func (db *DB) writeTree(e *jute.Encoder) error {
	db.tree.SerializeTo(e)
	return nil
}

// snapDigest is the trailer ZooKeeper writes: the digest after the last applied txn, or
// (0, 2, 0) before any.
func (db *DB) snapDigest() *wal.SnapDigest {
	d, ok := db.tree.LastZxidDigest()
	if !ok {
		return &wal.SnapDigest{Version: datatree.DigestVersion}
	}
	return &wal.SnapDigest{Zxid: d.Zxid, Version: d.Version, Digest: d.Digest}
}

// Truncate is ZKDatabase.truncateLog (TRUNC sync): close the log, cut it after zxid,
// then reload everything from disk. Under Config.SkipSnapshotsAfterTrunc the reload
// ignores snapshots named after zxid (the ZOOKEEPER-4837 fix); otherwise, as in 3.8, a
// newer snapshot is reloaded and the truncated txns it contains survive.
func (db *DB) Truncate(zxid int64) (LoadReport, error) {
	if err := db.Close(); err != nil {
		return LoadReport{}, err
	}
	if err := wal.TruncateLog(db.cfg.FS, db.cfg.logDir(), zxid); err != nil {
		return LoadReport{}, errf("truncate: %w", err)
	}
	opts := LoadOptions{}
	if db.cfg.SkipSnapshotsAfterTrunc {
		opts.maxSnapZxid = zxid
	}
	return db.Load(opts)
}

// Close flushes (without fsync) and closes the log; the next Append opens a new file.
func (db *DB) Close() error {
	if db.log == nil {
		return nil
	}
	err := db.log.Close()
	db.log = nil
	if err != nil {
		return errf("closing log: %w", err)
	}
	return nil
}

// TxnsFrom opens an iterator for a DIFF sync from disk (ZKDatabase.getProposalsFromTxnLog):
// it starts at the first txn of the log file that may hold zxid, not fast-forwarded, so
// the caller can give up, as ZooKeeper does, when that first txn is already after zxid,
// and must skip the txns up to zxid itself. StorageSize on the iterator and
// TxnLogSizeLimit give ZooKeeper's size rule.
func (db *DB) TxnsFrom(zxid int64) (*wal.LogIterator, error) {
	it, err := wal.ReadLogFile(db.cfg.FS, db.cfg.logDir(), zxid)
	if err != nil {
		return nil, errf("reading log from %#x: %w", zxid, err)
	}
	return it, nil
}

// LastLoggedZxid scans the log for the newest readable txn (-1 with no log files).
func (db *DB) LastLoggedZxid() (int64, error) {
	z, err := wal.LastLoggedZxid(db.cfg.FS, db.cfg.logDir())
	if err != nil && !isNotExist(err) {
		return -1, errf("last logged zxid: %w", err)
	}
	if err != nil {
		return -1, nil
	}
	return z, nil
}

// Purge keeps the retain newest valid snapshots (retain >= 3) and the logs they need
// (autopurge), returning the removed paths.
func (db *DB) Purge(retain int) ([]string, error) {
	removed, err := wal.Purge(db.cfg.FS, db.cfg.snapDir(), db.cfg.logDir(), retain)
	if err != nil {
		return nil, errf("purge: %w", err)
	}
	return removed, nil
}

// LoadEpochs reads acceptedEpoch/currentEpoch and applies ZooKeeper's startup checks
// against the loaded tree's zxid (creating missing files, the currentEpoch.tmp fallback).
func (db *DB) LoadEpochs() (wal.Epochs, error) {
	e, err := wal.LoadEpochs(db.cfg.FS, db.cfg.snapDir(), db.LastProcessedZxid())
	if err != nil {
		return wal.Epochs{}, errf("epochs: %w", err)
	}
	return e, nil
}

// SetAcceptedEpoch durably writes acceptedEpoch (tmp + fsync + rename).
func (db *DB) SetAcceptedEpoch(epoch int64) error {
	return db.writeEpoch(wal.AcceptedEpochFile, epoch)
}

// SetCurrentEpoch durably writes currentEpoch (tmp + fsync + rename).
func (db *DB) SetCurrentEpoch(epoch int64) error {
	return db.writeEpoch(wal.CurrentEpochFile, epoch)
}

func (db *DB) writeEpoch(name string, epoch int64) error {
	if err := db.cfg.FS.MkdirAll(db.cfg.snapDir()); err != nil {
		return errf("creating %s: %w", db.cfg.snapDir(), err)
	}
	if err := wal.WriteEpoch(db.cfg.FS, db.cfg.snapDir(), name, epoch); err != nil {
		return errf("writing %s: %w", name, err)
	}
	return nil
}

// KillOrphanEphemerals deletes, without a txn, the ephemerals of sessions missing from
// the session table (ZooKeeperServer.loadData at startup and when starting to lead), as
// if each such session closed at the last processed zxid. It returns the sessions killed.
func (db *DB) KillOrphanEphemerals() []int64 {
	var killed []int64
	zxid := db.LastProcessedZxid()
	for _, s := range db.tree.Sessions() {
		if _, ok := db.sessions[s]; ok {
			continue
		}
		db.tree.ProcessTxn(datatree.TxnHeader{ClientID: s, Zxid: zxid, Type: datatree.OpCloseSession},
			&datatree.CloseSessionTxn{Paths: db.tree.GetEphemerals(s)})
		killed = append(killed, s)
	}
	return killed
}

// EncodeSnapshotBody writes the sessions and tree, the payload of a SNAP sync packet
// (before ZooKeeper's "BenWasHere" signature, which the caller adds).
func (db *DB) EncodeSnapshotBody(e *jute.Encoder) error {
	return wal.EncodeSnapshotBody(e, db.Sessions(), db.writeTree)
}

// LoadSnapshotBody replaces the in-memory state with a SNAP sync payload at zxid
// (ZKDatabase.deserializeSnapshot; the caller then sets the zxid and takes a snapshot).
func (db *DB) LoadSnapshotBody(d *jute.Decoder, zxid int64) error {
	db.clear()
	var tree *datatree.Tree
	sessions, err := wal.DecodeSnapshotBody(d, func(d *jute.Decoder) (err error) {
		tree, err = datatree.DeserializeFrom(d)
		return err
	})
	if err != nil {
		return errf("loading SNAP payload: %w", err)
	}
	db.installSnapshot(tree, wal.SnapshotInfo{Zxid: zxid, Sessions: sessions})
	return nil
}

// TxnLogSizeLimit is ZKDatabase.calculateTxnLogSizeLimit: factor (snapshotSizeFactor,
// 0.33 by default) times the size of the newest valid snapshot. A negative factor
// disables syncing from the log (-1 is returned).
func (db *DB) TxnLogSizeLimit(factor float64) (int64, error) {
	if factor < 0 {
		return -1, nil
	}
	size, err := wal.NewestSnapshotSize(db.cfg.FS, db.cfg.snapDir())
	if err != nil {
		return 0, errf("newest snapshot size: %w", err)
	}
	return int64(float64(size) * factor), nil
}
