package zab

import (
	"github.com/zabsim/zabsim/datatree"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// prep turns a submission into a txn with the given zxid (PrepRequestProcessor). Session
// txns are built here; everything else goes through datatree's Prepper.
func (s *Server) prep(now int64, sub submission, zxid int64) *entry {
	hdr := datatree.TxnHeader{ClientID: sub.sessionID, Cxid: sub.cxid, Zxid: zxid, Time: now / 1e6, Type: int32(sub.op)}
	var txn datatree.Txn
	switch sub.op {
	case opCreateSession:
		s.trackSession(now, sub.sessionID, sub.timeoutMs, sub.origin)
		txn = &datatree.CreateSessionTxn{TimeoutMs: sub.timeoutMs}
	case opCloseSession:
		if t, ok := s.sess.tracked[sub.sessionID]; ok {
			t.closing = true
		}
		txn = &datatree.CloseSessionTxn{Paths: s.ephemeralsForClose(sub.sessionID)}
	default:
		if code := s.checkSession(sub); code != cp.ErrOK {
			hdr.Type = datatree.OpError
			txn = &datatree.ErrorTxn{Err: datatree.Code(code)}
		} else {
			hdr, txn = s.prepClientOp(now, sub, hdr)
		}
	}
	te := datatree.TxnEntry{Header: hdr, Txn: txn}
	return &entry{Proposal: Proposal{Zxid: zxid, Body: datatree.MarshalEntry(&te)}, txn: te}
}

// checkSession is SessionTracker.checkSession: unknown or closing → SESSIONEXPIRED; owned
// by another server → SESSIONMOVED; no owner yet (after failover) → take it.
func (s *Server) checkSession(sub submission) cp.ErrCode {
	t, ok := s.sess.tracked[sub.sessionID]
	if !ok || t.closing {
		return cp.ErrSessionExpired
	}
	if t.owner == -1 {
		t.owner = sub.origin
	} else if t.owner != sub.origin {
		return cp.ErrSessionMoved
	}
	return cp.ErrOK
}

// ephemeralsForClose lists the session's ephemerals, including those of txns proposed but
// not yet applied.
func (s *Server) ephemeralsForClose(sessionID int64) []string {
	return s.db.tree.GetEphemerals(sessionID)
}

// prepClientOp builds the txn of a client write.
func (s *Server) prepClientOp(now int64, sub submission, hdr datatree.TxnHeader) (datatree.TxnHeader, datatree.Txn) {
	hdr.Type = datatree.OpError
	return hdr, &datatree.ErrorTxn{Err: datatree.Code(cp.ErrUnimplemented)}
}
