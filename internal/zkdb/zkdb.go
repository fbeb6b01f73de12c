package zkdb

import (
	"math/rand/v2"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/wal"
)

// CommitLogCount is how many of the newest txns the committed log keeps
// (ZKDatabase.commitLogCount, 500).
const CommitLogCount = 500

// Config says where a server's files live and how they are written.
type Config struct {
	FS wal.FS
	// DataDir holds snapshots and epoch files (in DataDir/version-2).
	DataDir string
	// DataLogDir holds the txn log (in DataLogDir/version-2); "" means DataDir.
	DataLogDir string
	// PreAllocKB is zoo.cfg preAllocSize (KB); 0 means wal.DefaultPreAllocKB, negative
	// disables padding.
	PreAllocKB int64
	// SnapCount is zookeeper.snapCount; 0 means wal.DefaultSnapCount.
	SnapCount int
	// SnapSizeLimitKB is zookeeper.snapSizeLimitInKb; 0 means the default (4 GiB),
	// negative disables the size rule.
	SnapSizeLimitKB int64
	// ReadOnly makes Load write nothing: no directories, no snapshot.0, no removal of an
	// empty log file (the recover command).
	ReadOnly bool
	// NoAutoCreate is zookeeper.db.autocreate=false: an empty data dir loads at zxid -1
	// without writing snapshot.0.
	NoAutoCreate bool
	// EmptyTailLogFails selects ZooKeeper's behaviour before the fix of ZOOKEEPER-2332
	// (3.8.0 included): an empty newest log file — created, then a crash before its
	// header reached the disk — fails the load. By default, as fixed, Load deletes it.
	EmptyTailLogFails bool
	// TrustEmptySnapshot is zookeeper.snapshot.trust.empty (ZOOKEEPER-3056's escape
	// hatch): with log entries but no valid snapshot, replay the whole log over an empty
	// tree instead of refusing to start.
	TrustEmptySnapshot bool
	// SkipSnapshotsAfterTrunc selects the proposed fix of ZOOKEEPER-4837: after a
	// truncation, reload ignores snapshots named after the truncation zxid. ZooKeeper
	// 3.8 does not (false).
	SkipSnapshotsAfterTrunc bool
	// ExtendedTypes is zookeeper.extendedTypesEnabled (TTL nodes).
	ExtendedTypes bool
	// Rand is the server's own random stream, for the snapshot trigger's draws. It is
	// required: New panics without it (a wiring bug, not bad input).
	Rand *rand.Rand
}

func (c Config) snapDir() string { return joinDir(c.DataDir) }

func (c Config) logDir() string {
	if c.DataLogDir == "" {
		return joinDir(c.DataDir)
	}
	return joinDir(c.DataLogDir)
}

func joinDir(d string) string {
	if d == "" || d == "." {
		return wal.VersionDir
	}
	return d + "/" + wal.VersionDir
}

// Proposal is one entry of the committed log: the txn and its encoded entry bytes (what
// a PROPOSAL packet carries).
type Proposal struct {
	Zxid  int64
	Entry []byte
}

// DB is one server's ZKDatabase: the data tree, the session table, the committed log,
// and the files on its disk. It is not safe for concurrent use.
type DB struct {
	cfg      Config
	tree     *datatree.Tree
	sessions map[int64]int32
	// committed holds the newest proposals, oldest first: at least the newest
	// CommitLogCount, at most twice that (trimmed in halves, so adding is O(1) amortized).
	committed []Proposal
	log       *wal.Log
	trigger   *wal.SnapTrigger
}

// New returns a DB over cfg's files with an empty tree; call Load before use.
func New(cfg Config) *DB {
	if cfg.PreAllocKB == 0 {
		cfg.PreAllocKB = wal.DefaultPreAllocKB
	}
	if cfg.SnapCount == 0 {
		cfg.SnapCount = wal.DefaultSnapCount
	}
	if cfg.SnapSizeLimitKB == 0 {
		cfg.SnapSizeLimitKB = wal.DefaultSnapSizeLimitKB
	}
	if cfg.Rand == nil {
		panic("zkdb: Config.Rand is required (the server's random stream)")
	}
	db := &DB{cfg: cfg}
	db.clear()
	db.trigger = wal.NewSnapTrigger(cfg.SnapCount, cfg.SnapSizeLimitKB, cfg.Rand)
	return db
}

// clear drops everything in memory (ZKDatabase.clear).
func (db *DB) clear() {
	db.tree = datatree.New()
	if db.cfg.ExtendedTypes {
		db.tree.EnableExtendedTypes()
	}
	db.sessions = map[int64]int32{}
	db.committed = nil
}

// Tree returns the data tree. Callers read it and apply txns through Apply, not
// directly, so that sessions and the committed log stay in step.
func (db *DB) Tree() *datatree.Tree { return db.tree }

// LastProcessedZxid is the tree's last applied zxid.
func (db *DB) LastProcessedZxid() int64 { return db.tree.LastProcessedZxid() }

// Sessions returns the session table (id → timeout ms) sorted by id.
func (db *DB) Sessions() []wal.Session {
	out := make([]wal.Session, 0, len(db.sessions))
	for id, to := range db.sessions { //det:unordered-ok sorted below
		out = append(out, wal.Session{ID: id, TimeoutMs: to})
	}
	sortSessions(out)
	return out
}

// SessionTimeout returns a session's timeout and whether the session is in the table.
func (db *DB) SessionTimeout(id int64) (int32, bool) {
	to, ok := db.sessions[id]
	return to, ok
}

// CommittedLog returns the newest committed proposals (at most CommitLogCount), oldest
// first. The slice must not be modified.
func (db *DB) CommittedLog() []Proposal {
	return db.committed[max(0, len(db.committed)-CommitLogCount):]
}

// MinCommittedLog and MaxCommittedLog bound the committed log; both are the tree's last
// processed zxid when it is empty, as in ZooKeeper's sync decision.
func (db *DB) MinCommittedLog() int64 {
	cl := db.CommittedLog()
	if len(cl) == 0 {
		return db.LastProcessedZxid()
	}
	return cl[0].Zxid
}

// MaxCommittedLog is the zxid of the newest committed proposal (see MinCommittedLog).
func (db *DB) MaxCommittedLog() int64 {
	if len(db.committed) == 0 {
		return db.LastProcessedZxid()
	}
	return db.committed[len(db.committed)-1].Zxid
}

// Apply applies one txn entry to the tree (DataTree.processTxn with its digest check),
// keeps the session table in step for createSession/closeSession, and records the entry
// in the committed log. entry is the encoded entry (header, txn, digest).
func (db *DB) Apply(entry []byte) (datatree.Result, error) {
	e, err := datatree.DecodeEntry(entry, 0)
	if err != nil {
		return datatree.Result{}, errf("applying txn: %w", err)
	}
	// The caller may reuse entry; the committed log keeps its own copy.
	return db.applyDecoded(&e, append([]byte(nil), entry...)), nil
}

func (db *DB) applyDecoded(e *datatree.TxnEntry, raw []byte) datatree.Result {
	switch e.Header.Type {
	case datatree.OpCreateSession:
		if cs, ok := e.Txn.(*datatree.CreateSessionTxn); ok {
			db.sessions[e.Header.ClientID] = cs.TimeoutMs
		}
	case datatree.OpCloseSession:
		delete(db.sessions, e.Header.ClientID)
	}
	res := db.tree.ProcessEntry(e)
	db.addCommitted(Proposal{Zxid: e.Header.Zxid, Entry: raw})
	return res
}

// addCommitted appends to the committed log (p.Entry is kept, not copied), dropping the
// oldest half once it holds twice CommitLogCount.
func (db *DB) addCommitted(p Proposal) {
	if len(db.committed) >= 2*CommitLogCount {
		n := copy(db.committed, db.committed[len(db.committed)-CommitLogCount:])
		clear(db.committed[n:])
		db.committed = db.committed[:n]
	}
	db.committed = append(db.committed, p)
}
