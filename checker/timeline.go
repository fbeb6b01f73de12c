package checker

import (
	"math"
	"slices"
)

// The order Porcupine checks writes in.
//
// ZooKeeper commits writes in zxid order, and every definite write (OK or an error txn)
// carries its zxid. So instead of real-time intervals, Porcupine is given positions in
// zxid order: a definite write with zxid z is the point 2·(number of definite zxids <= z);
// odd positions lie between them. An unknown write may sit anywhere after every definite
// write that returned before it was invoked (its zxid, if it has one, was assigned after
// those committed), so its interval starts just after the highest of them and is open.
// This is exact, not a weakening: the true order of all writes is zxid order, and it is
// among the orders these intervals allow. That real time agrees with zxid order is W2's
// job. The gain is large: definite writes have no freedom left, so the search only
// places unknown writes, instead of exploring every interleaving of overlapping calls.
//
// A definite write without a zxid (a client that did not record one) keeps its real-time
// constraints, translated into positions.
type timeline struct {
	zxids    []int64 // definite write zxids, sorted
	byReturn []int64 // definite writes' Return times, sorted
	maxRank  []int64 // maxRank[i]: highest position among the first i by Return
	byCall   []int64 // definite writes' Call times, sorted
	minRank  []int64 // minRank[i]: lowest position among those from i on by Call
}

// linZxid is the zxid of a definite write as the server answered it, or 0.
func linZxid(o *Op) int64 {
	if z := writeZxid(o); z > 0 {
		return z
	}
	if o.Outcome == OutcomeError && o.ReplyZxid != NoZxid && o.ReplyZxid > 0 {
		return o.ReplyZxid
	}
	return 0
}

func newTimeline(lin []*linOp) *timeline {
	tl := &timeline{}
	type rc struct{ t, rank int64 }
	var rets, calls []rc
	for _, lo := range lin {
		if !lo.unknown {
			if z := linZxid(lo.op); z > 0 {
				tl.zxids = append(tl.zxids, z)
			}
		}
	}
	slices.Sort(tl.zxids)
	for _, lo := range lin {
		if lo.unknown {
			continue
		}
		if z := linZxid(lo.op); z > 0 {
			r := tl.rank(z)
			rets, calls = append(rets, rc{lo.ret, r}), append(calls, rc{lo.call, r})
		}
	}
	slices.SortFunc(rets, func(a, b rc) int { return compareInt64(a.t, b.t) })
	slices.SortFunc(calls, func(a, b rc) int { return compareInt64(a.t, b.t) })
	tl.maxRank = make([]int64, len(rets)+1)
	for i, r := range rets {
		tl.byReturn = append(tl.byReturn, r.t)
		tl.maxRank[i+1] = max(tl.maxRank[i], r.rank)
	}
	tl.minRank = make([]int64, len(calls)+1)
	tl.minRank[len(calls)] = math.MaxInt64
	for i := len(calls) - 1; i >= 0; i-- {
		tl.minRank[i] = min(tl.minRank[i+1], calls[i].rank)
	}
	for _, c := range calls {
		tl.byCall = append(tl.byCall, c.t)
	}
	return tl
}

// rank is the even position of a definite zxid; slot is the odd position just after
// every definite zxid <= z.
func (tl *timeline) rank(z int64) int64 {
	i, _ := slices.BinarySearch(tl.zxids, z+1)
	return 2 * int64(i)
}

func (tl *timeline) slot(z int64) int64 { return tl.rank(z) + 1 }

// after is the odd position just after every definite write that returned before t.
func (tl *timeline) after(t int64) int64 {
	i, _ := slices.BinarySearch(tl.byReturn, t)
	return tl.maxRank[i] + 1
}

// before is the odd position just before every definite write invoked after t.
func (tl *timeline) before(t int64) int64 {
	i, _ := slices.BinarySearch(tl.byCall, t+1)
	if tl.minRank[i] == math.MaxInt64 {
		return Forever
	}
	return tl.minRank[i] - 1
}

// place sets the Porcupine interval of one op.
func (tl *timeline) place(lo *linOp) {
	switch {
	case lo.end:
		// Set by sessionEnds.
	case !lo.unknown && linZxid(lo.op) > 0:
		lo.pcall = tl.rank(linZxid(lo.op))
		lo.pret = lo.pcall
	case !lo.unknown:
		lo.pcall, lo.pret = tl.after(lo.call), tl.before(lo.ret)
	case lo.clampExact:
		lo.pcall = tl.slot(lo.clampZxid)
		lo.pret = lo.pcall
	case lo.clampZxid > 0:
		lo.pcall, lo.pret = tl.after(lo.call), tl.slot(lo.clampZxid)
	default:
		lo.pcall, lo.pret = tl.after(lo.call), Forever
	}
	if lo.pret < lo.pcall {
		lo.pret = lo.pcall // real time contradicts zxid order: W2 reports it
	}
}
