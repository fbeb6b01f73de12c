package cluster

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/internal/simfs"
	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/zab"
)

// store is a server host's files: its ZKDatabase (internal/zkdb) over the host's
// simulated disk (internal/simfs). It executes the server's disk effects and rebuilds a
// zab.Recovered at boot and after TRUNC. The server owns the in-memory tree once it is
// handed over; the store then only writes files (log appends, fsyncs, snapshots of the
// tree the server passes, epoch files) until the next load.
type store struct {
	n   *node
	fs  wal.FS
	db  *zkdb.DB
	cfg zkdb.Config
}

func newStore(c *Cluster, n *node) *store {
	s := &store{n: n, fs: simfs.New(c.w.Disk(n.host))}
	s.cfg = zkdb.Config{FS: s.fs, DataDir: relDir(c.cfg.DataDir), DataLogDir: relDir(c.cfg.DataLogDir),
		PreAllocKB: c.cfg.PreAllocSizeKB,
		// The server runs ZooKeeper's snapshot trigger itself (RollAndSnapshot); zkdb's own
		// trigger must never fire.
		SnapCount: math.MaxInt32}
	return s
}

// relDir turns zoo.cfg's absolute dataDir into a path on the simulated disk.
func relDir(dir string) string {
	for len(dir) > 0 && dir[0] == '/' {
		dir = dir[1:]
	}
	return dir
}

func (s *store) snapDir() string { return dirOf(s.cfg.DataDir) }

func (s *store) logDir() string {
	if s.cfg.DataLogDir == "" {
		return s.snapDir()
	}
	return dirOf(s.cfg.DataLogDir)
}

func dirOf(d string) string {
	if d == "" {
		return wal.VersionDir
	}
	return d + "/" + wal.VersionDir
}

// recover loads the database from disk as ZooKeeper does at startup (newest valid
// snapshot plus every logged txn, epoch checks) and hands it over as a zab.Recovered.
func (s *store) recover() (zab.Recovered, error) {
	s.cfg.Rand = s.n.c.w.Rand(fmt.Sprintf("zkdb/%d", s.n.sid))
	// FileTxnSnapLog creates dataDir/version-2 and dataLogDir/version-2 at startup.
	for _, dir := range []string{s.snapDir(), s.logDir()} {
		if err := s.fs.MkdirAll(dir); err != nil {
			return zab.Recovered{}, fmt.Errorf("cluster: server %d: creating %s: %w", s.n.sid, dir, err)
		}
	}
	s.db = zkdb.New(s.cfg)
	if _, err := s.db.Load(zkdb.LoadOptions{}); err != nil {
		return zab.Recovered{}, err
	}
	return s.handOver()
}

// handOver builds the Recovered of the freshly loaded database.
func (s *store) handOver() (zab.Recovered, error) {
	epochs, err := s.db.LoadEpochs()
	if err != nil {
		return zab.Recovered{}, err
	}
	last, err := s.db.LastLoggedZxid()
	if err != nil {
		return zab.Recovered{}, err
	}
	tree := s.db.Tree()
	rec := zab.Recovered{Tree: tree, Sessions: map[int64]int32{}, LastLoggedZxid: max(last, tree.LastProcessedZxid()),
		AcceptedEpoch: epochs.Accepted, CurrentEpoch: epochs.Current}
	for _, sess := range s.db.Sessions() {
		rec.Sessions[sess.ID] = sess.TimeoutMs
	}
	for _, p := range s.db.CommittedLog() {
		rec.CommittedLog = append(rec.CommittedLog, zab.Proposal{Zxid: p.Zxid, Body: p.Entry})
	}
	return rec, nil
}

// append writes entries to the log (page cache: durable only after syncLog).
func (s *store) append(entries []zab.Proposal) error {
	for _, e := range entries {
		if _, err := s.db.Append(e.Body); err != nil {
			return err
		}
	}
	return nil
}

// syncLog fsyncs everything appended so far (group commit).
func (s *store) syncLog() error { return s.db.Commit() }

// snapshot rolls the log and writes snapshot.<zxid> of the server's tree and sessions.
func (s *store) snapshot(zxid int64, tree *datatree.Tree, sessions map[int64]int32, fsync bool) error {
	if err := s.db.RollLog(); err != nil {
		return err
	}
	if err := s.fs.MkdirAll(s.snapDir()); err != nil {
		return fmt.Errorf("cluster: server %d: creating %s: %w", s.n.sid, s.snapDir(), err)
	}
	digest := &wal.SnapDigest{Version: datatree.DigestVersion}
	if d, ok := tree.LastZxidDigest(); ok {
		digest = &wal.SnapDigest{Zxid: d.Zxid, Version: d.Version, Digest: d.Digest}
	}
	writeTree := func(e *jute.Encoder) error { tree.SerializeTo(e); return nil }
	_, err := wal.WriteSnapshot(s.fs, s.snapDir(), zxid, sortedSessions(sessions), writeTree, digest, fsync)
	return err
}

func sortedSessions(m map[int64]int32) []wal.Session {
	out := make([]wal.Session, 0, len(m))
	for id, t := range m { //det:unordered-ok sorted below
		out = append(out, wal.Session{ID: id, TimeoutMs: t})
	}
	slices.SortFunc(out, func(a, b wal.Session) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (s *store) writeEpoch(which zab.EpochFile, v int64) error {
	if which == zab.AcceptedEpochFile {
		return s.db.SetAcceptedEpoch(v)
	}
	return s.db.SetCurrentEpoch(v)
}

// truncate cuts the log after zxid and reloads everything (ZKDatabase.truncateLog).
func (s *store) truncate(zxid int64) error {
	_, err := s.db.Truncate(zxid)
	return err
}

// reload forgets the in-memory state and loads it again from disk.
func (s *store) reload() (zab.Recovered, error) {
	if err := s.db.Close(); err != nil {
		return zab.Recovered{}, err
	}
	if _, err := s.db.Load(zkdb.LoadOptions{}); err != nil {
		return zab.Recovered{}, err
	}
	return s.handOver()
}

// finalHistory reads the server's files as recovery would: the newest snapshot's zxid and
// the zxids of the logged txns after it, file by file in zxid order. An empty last log
// file (created, header not yet written) holds nothing, as ZooKeeper treats an empty tail
// log.
func (s *store) finalHistory() (snapZxid int64, zxids []int64, err error) {
	snaps, err := s.fs.ReadDir(s.snapDir())
	if err != nil {
		return 0, nil, err
	}
	for _, name := range snaps {
		if z := wal.ZxidFromName(name, wal.SnapPrefix); z > snapZxid {
			snapZxid = z
		}
	}
	logs, err := s.logFiles()
	if err != nil {
		return 0, nil, err
	}
	for i, name := range logs {
		path := s.logDir() + "/" + name
		if i == len(logs)-1 && s.isEmpty(path) {
			break
		}
		_, err := wal.ScanLogFile(s.fs, path, func(_ int64, t wal.Txn) error {
			if t.Header.Zxid > snapZxid {
				zxids = append(zxids, t.Header.Zxid)
			}
			return nil
		})
		if err != nil {
			return 0, nil, err
		}
	}
	return snapZxid, zxids, nil
}

// logFiles lists the log files of the log dir in zxid order.
func (s *store) logFiles() ([]string, error) {
	names, err := s.fs.ReadDir(s.logDir())
	if err != nil {
		return nil, err
	}
	var logs []string
	for _, name := range names {
		if wal.ZxidFromName(name, wal.LogPrefix) >= 0 {
			logs = append(logs, name)
		}
	}
	slices.SortFunc(logs, func(a, b string) int {
		return cmp.Compare(wal.ZxidFromName(a, wal.LogPrefix), wal.ZxidFromName(b, wal.LogPrefix))
	})
	return logs, nil
}

func (s *store) isEmpty(path string) bool {
	f, err := s.fs.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	size, err := f.Size()
	return err == nil && size == 0
}

// provision makes the files of the first start durable. ZooKeeper writes the empty
// database's snapshot.0 without fsync; on a real machine the kernel writes it back within
// seconds, but the simulated disk only persists what is synced, so a power loss soon
// after the first start would leave a log without a snapshot, which ZooKeeper refuses to
// start from. New calls this once, as if the data directories had been set up before the
// run (see docs/fidelity/client.md).
func (s *store) provision() error {
	for _, dir := range []string{s.snapDir(), s.logDir()} {
		names, err := s.fs.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := syncFile(s.fs, dir+"/"+name); err != nil {
				return err
			}
		}
		if err := s.fs.SyncDir(dir); err != nil {
			return err
		}
	}
	return nil
}

func syncFile(fs wal.FS, path string) error {
	f, err := fs.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
