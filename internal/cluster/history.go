package cluster

import (
	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// recordAt is one history entry: a completed client call, or the marker of a session
// expiry the client learned of.
type recordAt struct {
	rec     client.Record
	expired bool
	client  int
	session int64
	at      int64
}

// History converts everything the clients recorded into the checker's history. Calls
// still in flight are included as unknown (UnknownPending). A client that saw an unknown
// outcome continues as a new Porcupine process, so no process has two open calls.
func (c *Cluster) History() checker.History {
	h := checker.History{}
	procOf := map[int]int{} // client id -> current proc
	nextProc := 0
	proc := func(client int) int {
		if _, ok := procOf[client]; !ok {
			nextProc++
			procOf[client] = nextProc
		}
		return procOf[client]
	}
	for _, r := range c.records {
		if r.expired {
			h.Ops = append(h.Ops, checker.Op{Session: r.session, Proc: proc(r.client), Server: -1,
				Kind: checker.KindSessionExpired, Call: r.at, Return: r.at, Outcome: checker.OutcomeOK,
				ReplyZxid: checker.NoZxid})
			continue
		}
		op, ok := c.convert(r.rec)
		if !ok {
			continue
		}
		op.Proc = proc(r.rec.Client)
		if op.Outcome == checker.OutcomeUnknown {
			delete(procOf, r.rec.Client)
		}
		h.Ops = append(h.Ops, op)
	}
	for _, cl := range c.clients {
		for _, rec := range cl.lib.InFlight() {
			op, ok := c.convert(rec)
			if !ok {
				continue
			}
			op.Proc = proc(rec.Client)
			op.Outcome, op.UnknownReason, op.ReplyZxid = checker.OutcomeUnknown, checker.UnknownPending, checker.NoZxid
			op.Result = checker.Result{}
			delete(procOf, rec.Client)
			h.Ops = append(h.Ops, op)
		}
	}
	return h
}

// convert maps one client record to a checker op. Records of calls no server ever saw
// (refused by the client for a bad path, failed before they were sent, made after the
// session ended) are left out.
func (c *Cluster) convert(r client.Record) (checker.Op, bool) {
	op := checker.Op{Session: r.SessionID, Xid: r.Request.Xid, Server: -1, Call: r.CallNs, Return: r.ReturnNs, ReplyZxid: checker.NoZxid}
	if n := c.byName[r.Server]; n != nil {
		op.Server = int(n.sid)
	}
	if !describeRequest(&op, r.Request) {
		return op, false
	}
	switch {
	case r.Outcome == client.OutcomeOK:
		op.Outcome = checker.OutcomeOK
		op.ReplyZxid = r.Zxid
		op.Result = resultOf(r.Reply)
	case r.Outcome == client.OutcomeUnknown:
		op.Outcome = checker.OutcomeUnknown
		op.UnknownReason = checker.UnknownConnectionLoss
		if r.Err == cp.ErrSessionExpired {
			op.UnknownReason = checker.UnknownSessionExpired
		}
	case r.Replied:
		op.Outcome, op.Err, op.ReplyZxid = checker.OutcomeError, r.Err, r.Zxid
		op.Result = resultOf(r.Reply) // a failed multi lists its sub-results
	default:
		return op, false // never sent
	}
	return op, true
}

func describeRequest(op *checker.Op, req *cp.Request) bool {
	switch req.Op {
	case cp.OpCloseSession:
		op.Kind = checker.KindCloseSession
		return true
	case cp.OpMulti:
		op.Kind = checker.KindMulti
		for _, sub := range req.Body.(*cp.MultiRequest).Ops {
			var s checker.Op
			describeRequest(&s, &cp.Request{Op: sub.Op, Body: sub.Body})
			op.SubOps = append(op.SubOps, checker.SubOp{Kind: s.Kind, Path: s.Path, Data: s.Data, Version: s.Version, Flags: s.Flags})
		}
		return true
	}
	switch b := req.Body.(type) {
	case *cp.CreateRequest:
		op.Kind, op.Path, op.Data, op.Flags = checker.KindCreate, b.Path, b.Data, b.Flags
	case *cp.DeleteRequest:
		op.Kind, op.Path, op.Version = checker.KindDelete, b.Path, b.Version
	case *cp.SetDataRequest:
		op.Kind, op.Path, op.Data, op.Version = checker.KindSetData, b.Path, b.Data, b.Version
	case *cp.CheckVersionRequest:
		op.Kind, op.Path, op.Version = checker.KindCheck, b.Path, b.Version
	case *cp.SyncRequest:
		op.Kind, op.Path = checker.KindSync, b.Path
	case *cp.PathWatchRequest:
		op.Path = b.Path
		switch req.Op {
		case cp.OpGetData:
			op.Kind = checker.KindGetData
		case cp.OpExists:
			op.Kind = checker.KindExists
		default:
			op.Kind = checker.KindGetChildren
		}
	default:
		return false
	}
	return true
}

func resultOf(body cp.ReplyBody) checker.Result {
	var res checker.Result
	switch b := body.(type) {
	case *cp.PathResponse:
		res.CreatedPath = b.Path
	case *cp.PathStatResponse:
		res.CreatedPath, res.Stat = b.Path, statOf(b.Stat)
	case *cp.StatResponse:
		res.Stat = statOf(b.Stat)
	case *cp.DataResponse:
		res.Data, res.Stat = b.Data, statOf(b.Stat)
	case *cp.ChildrenResponse:
		res.Children = b.Children
	case *cp.MultiResponse:
		for _, m := range b.Results {
			sr := checker.SubResult{Err: m.Err, CreatedPath: m.Path}
			if m.Op == cp.OpSetData || m.Op == cp.OpCreate2 {
				sr.Stat = statOf(m.Stat)
			}
			res.Multi = append(res.Multi, sr)
		}
	}
	return res
}

func statOf(s cp.Stat) *checker.Stat {
	return &checker.Stat{Czxid: s.Czxid, Mzxid: s.Mzxid, Pzxid: s.Pzxid, Ctime: s.Ctime, Mtime: s.Mtime,
		Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion, EphemeralOwner: s.EphemeralOwner,
		DataLength: s.DataLength, NumChildren: s.NumChildren}
}
