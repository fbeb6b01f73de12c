package zkdb

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/wal"
)

func errf(format string, args ...any) error { return fmt.Errorf("zkdb: "+format, args...) }

// ErrLogWithoutSnapshot is matched by Load's error when the data dir has log entries but
// no valid snapshot. ZooKeeper refuses to start then ("No snapshot found, but there are
// log entries. Something is broken!"). It happens for real when snapshot.0 — written
// without fsync at the first start — is lost in a crash after the first log fsync.
var ErrLogWithoutSnapshot = errors.New("no snapshot found, but there are log entries")

func sortSessions(s []wal.Session) {
	slices.SortFunc(s, func(a, b wal.Session) int { return cmp.Compare(a.ID, b.ID) })
}

// LoadReport says what Load found.
type LoadReport struct {
	// Snapshot is the snapshot loaded ("" if none: an empty database).
	Snapshot string
	// SnapshotZxid is the zxid of its name (where replay started, +1).
	SnapshotZxid int64
	// Skipped lists snapshots passed over, with why.
	Skipped []wal.SkippedSnapshot
	// TxnsReplayed counts the log txns applied after the snapshot.
	TxnsReplayed int
	// HighestZxid is FileTxnSnapLog.restore's answer: the highest zxid seen.
	HighestZxid int64
	// CreatedEmptySnapshot is set when an empty data dir got snapshot.0.
	CreatedEmptySnapshot bool
	// LogEnds says where and why each log file read stopped (torn tails show here).
	LogEnds []wal.FileEnd
}

// LoadOptions tune Load; the zero value is ZooKeeper's startup.
type LoadOptions struct {
	// UpToZxid, when > 0, loads the state at that zxid: snapshots named after it, or
	// whose digest section says they hold changes after it (fuzzy), are ignored and
	// replay stops after it. A debugging aid (recover --upto); servers never set it.
	UpToZxid int64
	// maxSnapZxid is set by Truncate under SkipSnapshotsAfterTrunc.
	maxSnapZxid int64
}

// Load is ZKDatabase.loadDataBase: forget everything in memory, then load the newest
// valid snapshot and replay every logged txn after it (committed or not — the disk has no
// commit marks), rebuilding the session table and the committed log. With no snapshot:
// an empty log gives an empty database (and, unless NoAutoCreate, snapshot.0 on disk);
// log entries without a snapshot are an error, as in ZooKeeper. A CRC error, an
// undecodable txn, or a disk error fails the load: the server must not start.
func (db *DB) Load(opts LoadOptions) (LoadReport, error) {
	db.clear()
	var rep LoadReport
	if err := db.makeDirs(); err != nil {
		return rep, err
	}
	maxSnap := int64(-1)
	if opts.UpToZxid > 0 {
		maxSnap = opts.UpToZxid
	}
	if opts.maxSnapZxid > 0 {
		maxSnap = opts.maxSnapZxid
	}
	var loaded *datatree.Tree
	info, found, skipped, err := wal.LoadSnapshot(db.cfg.FS, db.cfg.snapDir(), func(d *jute.Decoder) (err error) {
		loaded, err = datatree.DeserializeFrom(d)
		return err
	}, wal.SnapshotLoadOptions{MaxZxid: maxSnap, NotFuzzyPastMax: opts.UpToZxid > 0})
	rep.Skipped = skipped
	if err != nil {
		return rep, errf("loading %s: %w", db.cfg.snapDir(), err)
	}
	if !found {
		return rep, db.loadEmpty(&rep)
	}
	db.installSnapshot(loaded, info)
	rep.Snapshot, rep.SnapshotZxid = info.Name, info.Zxid
	err = db.replayLog(&rep, opts.UpToZxid)
	return rep, err
}

// makeDirs creates the version-2 directories as FileTxnSnapLog does, unless the database
// must not be created (NoAutoCreate: then the directories must exist).
func (db *DB) makeDirs() error {
	if db.cfg.NoAutoCreate || db.cfg.ReadOnly {
		return nil
	}
	for _, d := range []string{db.cfg.snapDir(), db.cfg.logDir()} {
		if err := db.cfg.FS.MkdirAll(d); err != nil {
			return errf("creating %s: %w", d, err)
		}
	}
	return nil
}

// installSnapshot makes a freshly read snapshot the in-memory state.
func (db *DB) installSnapshot(tree *datatree.Tree, info wal.SnapshotInfo) {
	if db.cfg.ExtendedTypes {
		tree.EnableExtendedTypes()
	}
	tree.SetLastProcessedZxid(info.Zxid)
	if info.Digest != nil && info.Digest.Zxid > 0 {
		tree.SetSnapshotDigest(datatree.ZxidDigest{Zxid: info.Digest.Zxid, Version: info.Digest.Version, Digest: info.Digest.Digest})
	}
	db.tree = tree
	for _, s := range info.Sessions {
		db.sessions[s.ID] = s.TimeoutMs
	}
}

// loadEmpty handles a data dir without a valid snapshot (FileTxnSnapLog.restore).
func (db *DB) loadEmpty(rep *LoadReport) error {
	last, err := wal.LastLoggedZxid(db.cfg.FS, db.cfg.logDir())
	if err != nil && !isNotExist(err) {
		return errf("no snapshot; reading the log: %w", err)
	}
	if err == nil && last != -1 && db.cfg.TrustEmptySnapshot {
		return db.replayLog(rep, 0)
	}
	if err == nil && last != -1 {
		return errf("%w (log up to %#x in %s, no valid snapshot in %s): something is broken", ErrLogWithoutSnapshot, last, db.cfg.logDir(), db.cfg.snapDir())
	}
	if db.cfg.ReadOnly {
		return nil // an empty database at zxid 0, nothing written
	}
	if db.cfg.NoAutoCreate {
		db.tree.SetLastProcessedZxid(-1)
		rep.HighestZxid = -1
		return nil
	}
	if _, err := db.TakeSnapshot(false); err != nil {
		return err
	}
	rep.CreatedEmptySnapshot = true
	return nil
}

// replayLog is fastForwardFromEdits: apply every readable txn after the tree's zxid.
func (db *DB) replayLog(rep *LoadReport, upTo int64) error {
	start := db.tree.LastProcessedZxid()
	rep.HighestZxid = start
	it, err := wal.ReadLogWith(db.cfg.FS, db.cfg.logDir(), start+1, wal.ReadOptions{EmptyTailIsError: db.cfg.EmptyTailLogFails})
	if err != nil {
		if isNotExist(err) {
			return nil // no log directory yet: nothing logged
		}
		return errf("replaying log: %w", err)
	}
	defer it.Close()
	for it.Next() {
		e, err := datatree.DecodeEntry(it.Entry(), 0)
		if err != nil {
			name, off := it.Position()
			return errf("replaying log: %s record ending at offset %d: %w", name, off, err)
		}
		if upTo > 0 && e.Header.Zxid > upTo {
			break
		}
		if e.Header.Zxid > rep.HighestZxid || rep.HighestZxid == 0 {
			rep.HighestZxid = e.Header.Zxid
		}
		db.applyDecoded(&e, it.Entry())
		rep.TxnsReplayed++
	}
	rep.LogEnds = it.Ends()
	if err := it.Err(); err != nil {
		return errf("replaying log: %w", err)
	}
	return db.removeEmptyTail(rep.LogEnds)
}

// removeEmptyTail deletes an empty newest log file, as ZooKeeper does since the fix of
// ZOOKEEPER-2332: left in place it would stop being the newest once a file with another
// name is started, and an empty file in the middle of the log is corrupt.
func (db *DB) removeEmptyTail(ends []wal.FileEnd) error {
	if db.cfg.ReadOnly {
		return nil
	}
	for _, e := range ends {
		if e.Kind != wal.EndEmpty {
			continue
		}
		path := db.cfg.logDir() + "/" + e.Name
		if err := db.cfg.FS.Remove(path); err != nil {
			return errf("removing the empty log file %s: %w", path, err)
		}
	}
	return nil
}

// FastForward applies the logged txns the tree has not applied yet
// (ZKDatabase.fastForwardDataBase, done when a follower leaves the quorum, ZK-2845).
func (db *DB) FastForward() (LoadReport, error) {
	var rep LoadReport
	err := db.replayLog(&rep, 0)
	return rep, err
}
