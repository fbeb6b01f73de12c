package checker

// oracle answers, for an op of the history, what the replicas say became of its request.
// It refuses to answer for a (session, xid) that more than one op of the history carries:
// a client that reused an xid would make the answer ambiguous, and a wrong answer would
// be a false alarm.
type oracle struct {
	r    *Replicas
	dups map[requestID]bool
}

func newOracle(h *History, r *Replicas) *oracle {
	if r == nil || len(r.requests) == 0 {
		return nil
	}
	seen := map[requestID]bool{}
	dups := map[requestID]bool{}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Xid == 0 {
			continue
		}
		id := requestID{o.Session, o.Xid}
		dups[id] = dups[id] || seen[id]
		seen[id] = true
	}
	return &oracle{r: r, dups: dups}
}

// fate is CommittedRequest for op o, or FateUnknown when the oracle cannot tell.
func (or *oracle) fate(o *Op) (int64, RequestFate) {
	if or == nil || or.dups[requestID{o.Session, o.Xid}] {
		return 0, FateUnknown
	}
	return or.r.CommittedRequest(o.Session, o.Xid)
}
