package zab

import (
	"github.com/zabsim/zabsim/datatree"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// applyResult is what applying a txn produced, for the client reply and the watches.
type applyResult struct {
	res    datatree.Result
	events []datatree.WatchEvent
}

func (s *Server) processTxn(e *entry) applyResult {
	// ProcessEntry, not ProcessTxn: it also compares the digest the txn carries with the
	// tree's after applying it, as ZooKeeper's processTxn + compareDigest do.
	r := s.db.tree.ProcessEntry(&e.txn)
	return applyResult{res: r, events: r.Events}
}

func toClientStat(st datatree.Stat) cp.Stat {
	return cp.Stat{Czxid: st.Czxid, Mzxid: st.Mzxid, Ctime: st.Ctime, Mtime: st.Mtime, Version: st.Version,
		Cversion: st.Cversion, Aversion: st.Aversion, EphemeralOwner: st.EphemeralOwner,
		DataLength: st.DataLength, NumChildren: st.NumChildren, Pzxid: st.Pzxid}
}

func statOrZero(st *datatree.Stat) cp.Stat {
	if st == nil {
		return cp.Stat{}
	}
	return toClientStat(*st)
}

// serveRead runs a read on the local tree (FinalRequestProcessor), registering a watch
// for the connection when asked.
func (s *Server) serveRead(cc *clientConn, req *cp.Request) *cp.Reply {
	r := &cp.Reply{Xid: req.Xid, Zxid: s.db.lastProcessed}
	if sw, ok := req.Body.(*cp.SetWatchesRequest); ok {
		// setWatches: re-register, firing at once what changed since RelativeZxid.
		s.deliverEvents(s.db.tree.SetWatches(datatree.WatcherID(cc.conn), sw.RelativeZxid,
			sw.DataWatches, sw.ExistWatches, sw.ChildWatches, nil, nil))
		return r
	}
	body, ok := req.Body.(*cp.PathWatchRequest)
	if !ok {
		r.Err = cp.ErrUnimplemented
		return r
	}
	w := datatree.WatcherID(-1)
	if body.Watch {
		w = datatree.WatcherID(cc.conn)
	}
	var code datatree.Code
	switch req.Op {
	case cp.OpGetData:
		var data []byte
		var st datatree.Stat
		data, st, code = s.db.tree.GetData(body.Path, w)
		r.Body = &cp.DataResponse{Data: data, Stat: toClientStat(st)}
	case cp.OpExists:
		var st datatree.Stat
		st, code = s.db.tree.Exists(body.Path, w)
		r.Body = &cp.StatResponse{Stat: toClientStat(st)}
	case cp.OpGetChildren, cp.OpGetChildren2:
		var kids []string
		var st datatree.Stat
		kids, st, code = s.db.tree.GetChildren(body.Path, w)
		r.Body = &cp.ChildrenResponse{Children: kids, Stat: toClientStat(st)}
	default:
		code = datatree.Code(cp.ErrUnimplemented)
	}
	if code != 0 {
		r.Err = cp.ErrCode(code)
		r.Body = nil
	}
	return r
}

// replyFor builds the reply of a write from its applied txn.
func replyFor(req *cp.Request, e *entry, ar applyResult, zxid int64) *cp.Reply {
	r := &cp.Reply{Xid: req.Xid, Zxid: e.Zxid, Err: cp.ErrCode(ar.res.Err)}
	if req.Op == cp.OpMulti {
		r.Body = multiReply(e, ar.res)
		return r
	}
	if r.Err != cp.ErrOK {
		return r
	}
	switch req.Op {
	case cp.OpCreate, cp.OpCreateContainer:
		r.Body = &cp.PathResponse{Path: ar.res.Path}
	case cp.OpCreate2:
		r.Body = &cp.PathStatResponse{Path: ar.res.Path, Stat: statOrZero(ar.res.Stat)}
	case cp.OpSetData:
		r.Body = &cp.StatResponse{Stat: statOrZero(ar.res.Stat)}
	}
	return r
}

func multiReply(e *entry, res datatree.Result) *cp.MultiResponse {
	out := &cp.MultiResponse{}
	mt, _ := e.txn.Txn.(*datatree.MultiTxn)
	for i, sub := range res.Multi {
		mr := cp.MultiResult{Err: cp.ErrCode(sub.Err), Path: sub.Path, Stat: statOrZero(sub.Stat)}
		if mt != nil && i < len(mt.Ops) {
			mr.Op = cp.OpCode(mt.Ops[i].Type)
		}
		out.Results = append(out.Results, mr)
	}
	return out
}
