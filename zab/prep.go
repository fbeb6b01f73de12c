package zab

import (
	"github.com/zabsim/zabsim/datatree"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// prepSessions answers datatree.Prepper's session questions for the submission being
// prepped (SessionTracker.checkSession with the request's owner).
type prepSessions struct {
	s      *Server
	origin int64
}

func (ps *prepSessions) CheckSession(id int64) datatree.Code {
	return datatree.Code(ps.s.checkSession(id, ps.origin))
}

func (ps *prepSessions) CheckGlobalSession(id int64) datatree.Code { return ps.CheckSession(id) }

// prep turns a submission into a txn with the given zxid through datatree's Prepper
// (PrepRequestProcessor); the leader's session tracker is updated as ZooKeeper's prep does
// (createSession tracks the session, closeSession marks it closing).
func (s *Server) prep(now int64, sub submission, zxid int64) *entry {
	l := s.lead
	if l.prepper == nil {
		l.prepSessions = &prepSessions{s: s}
		l.prepper = datatree.NewPrepper(s.db.tree, l.prepSessions)
	}
	l.prepSessions.origin = sub.origin
	switch sub.op {
	case opCreateSession:
		s.trackSession(now, sub.sessionID, sub.timeoutMs, sub.origin)
	case opCloseSession:
		if t, ok := s.sess.tracked[sub.sessionID]; ok {
			t.closing = true
		}
	}
	req := toPrepRequest(sub)
	te := l.prepper.Prep(req, zxid, now/1e6)
	return &entry{Proposal: Proposal{Zxid: zxid, Body: datatree.MarshalEntry(&te)}, txn: te}
}

// checkSession is SessionTracker.checkSession: unknown or closing → SESSIONEXPIRED; owned
// by another server → SESSIONMOVED; no owner yet (after failover) → the requester takes it.
func (s *Server) checkSession(id int64, origin int64) cp.ErrCode {
	t, ok := s.sess.tracked[id]
	if !ok || t.closing {
		return cp.ErrSessionExpired
	}
	if t.owner == -1 {
		t.owner = origin
	} else if t.owner != origin {
		return cp.ErrSessionMoved
	}
	return cp.ErrOK
}

// toPrepRequest converts a client request into the Prepper's form.
func toPrepRequest(sub submission) *datatree.Request {
	r := &datatree.Request{SessionID: sub.sessionID, Cxid: sub.cxid, Type: int32(sub.op), TimeoutMs: sub.timeoutMs, Version: -1}
	if sub.req != nil {
		fillPrepRequest(r, sub.req.Op, sub.req.Body)
	}
	return r
}

func fillPrepRequest(r *datatree.Request, op cp.OpCode, body cp.RequestBody) {
	r.Type = int32(op)
	switch b := body.(type) {
	case *cp.CreateRequest:
		r.Path, r.Data, r.Mode, r.ACL = b.Path, b.Data, datatree.CreateMode(b.Flags), toTreeACL(b.ACL)
	case *cp.DeleteRequest:
		r.Path, r.Version = b.Path, b.Version
	case *cp.SetDataRequest:
		r.Path, r.Data, r.Version = b.Path, b.Data, b.Version
	case *cp.CheckVersionRequest:
		r.Path, r.Version = b.Path, b.Version
	case *cp.MultiRequest:
		for _, op := range b.Ops {
			sub := datatree.Request{Version: -1}
			fillPrepRequest(&sub, op.Op, op.Body)
			r.Ops = append(r.Ops, sub)
		}
	}
}

func toTreeACL(acls []cp.ACL) []datatree.ACL {
	out := make([]datatree.ACL, len(acls))
	for i, a := range acls {
		out[i] = datatree.ACL{Perms: a.Perms, ID: datatree.ID{Scheme: a.Scheme, ID: a.ID}}
	}
	return out
}
