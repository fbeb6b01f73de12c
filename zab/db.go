package zab

import (
	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
)

// committedLogMax is ZKDatabase.commitLogCount.
const committedLogMax = 500

// entry is one txn: its log bytes and decoded form.
type entry struct {
	Proposal
	txn datatree.TxnEntry
}

func decodeEntry(zxid int64, body []byte) (*entry, error) {
	te, err := datatree.DecodeEntry(body, 0)
	if err != nil {
		return nil, errorf("proposal 0x%x: %v", zxid, err)
	}
	if te.Header.Zxid != zxid {
		return nil, errorf("proposal packet zxid 0x%x carries txn zxid 0x%x", zxid, te.Header.Zxid)
	}
	return &entry{Proposal: Proposal{Zxid: zxid, Body: body}, txn: te}, nil
}

// database is the server's ZKDatabase in memory: the tree, the global sessions, the
// committedLog, lastProcessedZxid, and the txns received or proposed but not yet applied.
type database struct {
	tree          *datatree.Tree
	sessions      map[int64]int32
	committedLog  []Proposal
	lastProcessed int64
	pending       []*entry // pendingTxns (follower) / outstanding (leader), zxid order
}

func newDatabase(rec Recovered) database {
	db := database{tree: rec.Tree, sessions: map[int64]int32{}, lastProcessed: rec.Tree.LastProcessedZxid()}
	for id, t := range rec.Sessions { //det:unordered-ok copying a map
		db.sessions[id] = t
	}
	db.committedLog = append([]Proposal(nil), rec.CommittedLog...)
	if n := len(db.committedLog); n > committedLogMax {
		db.committedLog = db.committedLog[n-committedLogMax:]
	}
	return db
}

func (db *database) unapplied() []*entry { return db.pending }

// addCommitted appends to the committedLog; the slice grows to twice the window and is
// then cut back, so trimming costs O(1) per txn amortized.
func (db *database) addCommitted(p Proposal) {
	if len(db.committedLog) >= 2*committedLogMax {
		n := copy(db.committedLog, db.committedLog[len(db.committedLog)-committedLogMax+1:])
		clear(db.committedLog[n:])
		db.committedLog = db.committedLog[:n]
	}
	db.committedLog = append(db.committedLog, p)
}

// committed is the committedLog window: the newest ≤500 applied txns.
func (db *database) committed() []Proposal {
	return db.committedLog[max(0, len(db.committedLog)-committedLogMax):]
}

// applyPending applies the pending txn zxid (which must be the head) to the tree.
func (s *Server) applyPending(now int64, zxid int64) {
	if len(s.db.pending) == 0 || s.db.pending[0].Zxid != zxid {
		panic("zab: applyPending: zxid is not the head of the pending txns")
	}
	e := s.db.pending[0]
	s.db.pending = s.db.pending[1:]
	s.applyEntry(now, e)
}

// applyLogged applies a logged txn during fast-forward (no client is answered).
func (s *Server) applyLogged(now int64, e *entry) {
	s.applyTxnToTree(e)
}

// applyEntry applies a committed txn: tree, sessions, committedLog, observation, client
// replies and watch events.
func (s *Server) applyEntry(now int64, e *entry) {
	res := s.applyTxnToTree(e)
	c := Committed{Zxid: e.Zxid, Body: e.Body, Digest: s.db.tree.Digest(), DigestMismatch: res.res.DigestMismatch}
	if f := s.follow; f != nil && f.phase != fBroadcast {
		c.SyncEpoch, c.SyncLeader = f.newEpoch, f.leaderID
	}
	s.emit(c)
	s.afterApply(now, e, res)
}

// applyTxnToTree is FinalRequestProcessor's part that changes the database.
func (s *Server) applyTxnToTree(e *entry) applyResult {
	res := s.processTxn(e)
	h := e.txn.Header
	switch h.Type {
	case datatree.OpCreateSession:
		if cs, ok := e.txn.Txn.(*datatree.CreateSessionTxn); ok {
			s.db.sessions[h.ClientID] = cs.TimeoutMs
		}
	case datatree.OpCloseSession:
		delete(s.db.sessions, h.ClientID)
		if s.sess.tracking {
			delete(s.sess.tracked, h.ClientID)
		}
	}
	if e.Zxid > s.db.lastProcessed {
		s.db.lastProcessed = e.Zxid
	}
	s.db.addCommitted(e.Proposal)
	return res
}

// snapPayload is the SNAP packet body: the session list then the tree section of a
// snapshot (no file header), then "BenWasHere".
func (s *Server) snapPayload() []byte {
	var e jute.Encoder
	ids := sortedIDs(s.db.sessions)
	e.Int(int32(len(ids)))
	for _, id := range ids {
		e.Long(id)
		e.Int(s.db.sessions[id])
	}
	s.db.tree.SerializeTo(&e)
	e.String("BenWasHere")
	return e.Bytes()
}

// installSnapPayload replaces the database with a SNAP payload (clear + deserialize).
func (s *Server) installSnapPayload(b []byte, zxid int64) error {
	d := jute.NewDecoder(b, 0)
	n := d.VectorLen("snap session count", 12)
	sessions := map[int64]int32{}
	for i := 0; i < n && d.Err() == nil; i++ {
		id := d.Long("snap session id")
		sessions[id] = d.Int("snap session timeout")
	}
	if d.Err() != nil {
		return d.Err()
	}
	tree, err := datatree.DeserializeFrom(d)
	if err != nil {
		return err
	}
	if sig := d.String("snap signature"); d.Err() != nil || sig != "BenWasHere" {
		return errorf("SNAP payload: missing signature (got %q, %v)", sig, d.Err())
	}
	tree.SetLastProcessedZxid(zxid)
	s.db = database{tree: tree, sessions: sessions, lastProcessed: zxid}
	s.emit(SnapInstalled{Zxid: zxid, Digest: tree.Digest()})
	return nil
}
