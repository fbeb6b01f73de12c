package checker

import (
	"fmt"
	"slices"
	"sort"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// The session/zxid layer (doc.go, "Reads and sessions"). ZooKeeper's reads are not
// linearizable, but every answer carries the zxid order: these checks run in linear (or
// n log n) time, with no search.

// effectKind is what a committed write did to one path.
type effectKind uint8

const (
	effCreate effectKind = iota + 1
	effSet
	effDelete
)

// effect is one acknowledged write's change to one path, at its zxid.
type effect struct {
	zxid      int64
	kind      effectKind
	data      string
	ephemeral bool // may vanish without a client delete: ephemeral, or a container
	op        int
}

// mayVanish reports whether a node created with these flags can disappear without any
// client's delete: an ephemeral (its session ends), a container or a TTL node (the leader
// deletes them).
func mayVanish(flags int32) bool {
	return isEphemeral(flags) || unmodelled(flags)
}

// commitIndex is what the acknowledged writes (and the unknown ones the replica oracle
// saw commit) say the committed history is, plus what other unknown writes may have
// added to it.
type commitIndex struct {
	effects     map[string][]effect // path -> effects sorted by zxid
	children    map[string][]string // parent -> child paths with effects, sorted
	byZxid      map[int64]int       // zxid -> op index of the acknowledged write
	maybeCreate map[string]bool     // paths an unknown write may have created
	maybeDelete map[string]bool     // paths an unknown write may have deleted
	maybeSet    map[string]bool     // paths an unknown write may have changed
	maybeSeq    map[string]bool     // requested names of sequential creates with unknown results
	initial     map[string]bool
}

func buildCommitIndex(h *History, or *oracle) *commitIndex {
	ci := &commitIndex{effects: map[string][]effect{}, children: map[string][]string{}, byZxid: map[int64]int{},
		maybeCreate: map[string]bool{}, maybeDelete: map[string]bool{}, maybeSet: map[string]bool{},
		maybeSeq: map[string]bool{}, initial: map[string]bool{}}
	for _, p := range h.initialPaths() {
		ci.initial[p] = true
		ci.addEffect(p, effect{zxid: 0, kind: effCreate, op: -1})
	}
	for i := range h.Ops {
		o := &h.Ops[i]
		if !o.Kind.IsWrite() || o.Kind == KindCloseSession {
			continue
		}
		z := writeZxid(o)
		if z == 0 && classify(o) == linUnknown {
			var fate RequestFate
			switch z, fate = or.fate(o); {
			case fate == FateFailed || fate == FateNever:
				continue // it changed nothing
			case fate != FateCommitted || o.Kind == KindMulti:
				z = 0 // a multi txn commits even when it fails: its effect stays uncertain
			}
		}
		if z > 0 {
			ci.byZxid[z] = i
			ci.addAcknowledged(i, o, z)
		} else if classify(o) == linUnknown || o.Outcome == OutcomeOK {
			ci.addMaybe(o) // unknown, or acknowledged without a recorded zxid: not placeable
		}
	}
	for p, list := range ci.effects { //det:unordered-ok each list sorted on its own
		sort.SliceStable(list, func(a, b int) bool { return list[a].zxid < list[b].zxid })
		markIncarnations(list)
		ci.effects[p] = list
	}
	for p, kids := range ci.children { //det:unordered-ok each list sorted on its own
		slices.Sort(kids)
		ci.children[p] = slices.Compact(kids)
	}
	return ci
}

// markIncarnations makes every setData effect carry whether the node it changed may be
// ephemeral: the flag of the create that made it, or "may be" when no acknowledged create
// did (an unknown create, maybe ephemeral, made it).
func markIncarnations(list []effect) {
	known, ephemeral := false, false
	for k := range list {
		switch list[k].kind {
		case effCreate:
			known, ephemeral = true, list[k].ephemeral
		case effDelete:
			known = false
		case effSet:
			list[k].ephemeral = !known || ephemeral
		}
	}
}

func (ci *commitIndex) addEffect(path string, e effect) {
	if _, ok := ci.effects[path]; !ok && path != "/" {
		ci.children[parentOf(path)] = append(ci.children[parentOf(path)], path)
	}
	ci.effects[path] = append(ci.effects[path], e)
}

func (ci *commitIndex) addAcknowledged(i int, o *Op, z int64) {
	for j, sub := range o.subOps() {
		switch sub.Kind {
		case KindCreate:
			p := o.createdPath(j)
			if p == "" {
				ci.maybeSeq[sub.Path] = true
				continue
			}
			ci.addEffect(p, effect{zxid: z, kind: effCreate, data: string(sub.Data), ephemeral: mayVanish(sub.Flags), op: i})
		case KindSetData:
			ci.addEffect(sub.Path, effect{zxid: z, kind: effSet, data: string(sub.Data), op: i})
		case KindDelete:
			ci.addEffect(sub.Path, effect{zxid: z, kind: effDelete, op: i})
		}
	}
}

func (ci *commitIndex) addMaybe(o *Op) {
	for _, sub := range o.subOps() {
		switch {
		case sub.Kind == KindCreate && isSequential(sub.Flags):
			ci.maybeSeq[sub.Path] = true
		case sub.Kind == KindCreate:
			ci.maybeCreate[sub.Path] = true
		case sub.Kind == KindSetData:
			ci.maybeSet[sub.Path] = true
		case sub.Kind == KindDelete:
			ci.maybeDelete[sub.Path] = true
		}
	}
}

// lastAt returns the last acknowledged effect on path with zxid <= z.
func (ci *commitIndex) lastAt(path string, z int64) (effect, bool) {
	list := ci.effects[path]
	i := sort.Search(len(list), func(k int) bool { return list[k].zxid > z })
	if i == 0 {
		return effect{}, false
	}
	return list[i-1], true
}

// firstAfter returns the first acknowledged effect on path with zxid > z.
func (ci *commitIndex) firstAfter(path string, z int64) (effect, bool) {
	list := ci.effects[path]
	i := sort.Search(len(list), func(k int) bool { return list[k].zxid > z })
	if i == len(list) {
		return effect{}, false
	}
	return list[i], true
}

// mayExistUnseen reports whether path may exist at some zxid without an acknowledged
// create explaining it (an unknown create, or a sequential create whose name is unknown).
func (ci *commitIndex) mayExistUnseen(path string) bool {
	if ci.maybeCreate[path] || ci.initial[path] {
		return true
	}
	return len(path) > 10 && ci.maybeSeq[path[:len(path)-10]]
}

// mayVanishUnseen reports whether path may have been deleted without an acknowledged
// delete (an unknown delete, or an ephemeral whose session ended).
func (ci *commitIndex) mayVanishUnseen(path string, last effect) bool {
	return ci.maybeDelete[path] || last.ephemeral
}

// checkReads runs W1, W2, R1, R2, R3 and R4.
func checkReads(h *History, st *Stats, or *oracle) []Failure {
	ci := buildCommitIndex(h, or)
	var out []Failure
	out = append(out, checkUniqueZxids(h)...)
	out = append(out, checkZxidRealTime(h)...)
	out = append(out, checkSessions(h)...)
	for i := range h.Ops {
		o := &h.Ops[i]
		if !o.Kind.IsRead() || o.Outcome == OutcomeUnknown || o.ReplyZxid <= 0 {
			continue
		}
		st.ReadsChecked++
		out = append(out, ci.checkRead(h, i)...)
	}
	return out
}

// checkUniqueZxids is W1: two acknowledged writes never share a zxid.
func checkUniqueZxids(h *History) []Failure {
	seen := map[int64]int{}
	var out []Failure
	for i := range h.Ops {
		z := writeZxid(&h.Ops[i])
		if z <= 0 {
			continue
		}
		if j, ok := seen[z]; ok {
			out = append(out, Failure{Invariant: InvUniqueZxid, Ops: []int{j, i}, Zxid: z, Explanation: fmt.Sprintf(
				"two acknowledged writes at zxid 0x%x: #%d %s and #%d %s", z, j, h.Ops[j].Describe(), i, h.Ops[i].Describe())})
			continue
		}
		seen[z] = i
	}
	return out
}

// checkZxidRealTime is W2: if write a returned before write b was invoked, zxid(a) < zxid(b).
func checkZxidRealTime(h *History) []Failure {
	var writes []int
	for i := range h.Ops {
		if writeZxid(&h.Ops[i]) > 0 {
			writes = append(writes, i)
		}
	}
	byReturn := slices.Clone(writes)
	slices.SortStableFunc(byReturn, func(a, b int) int { return compareInt64(h.Ops[a].Return, h.Ops[b].Return) })
	slices.SortStableFunc(writes, func(a, b int) int { return compareInt64(h.Ops[a].Call, h.Ops[b].Call) })
	var out []Failure
	maxOp, k := -1, 0
	for _, b := range writes {
		for ; k < len(byReturn) && h.Ops[byReturn[k]].Return < h.Ops[b].Call; k++ {
			if maxOp < 0 || writeZxid(&h.Ops[byReturn[k]]) > writeZxid(&h.Ops[maxOp]) {
				maxOp = byReturn[k]
			}
		}
		if maxOp >= 0 && writeZxid(&h.Ops[b]) <= writeZxid(&h.Ops[maxOp]) {
			out = append(out, Failure{Invariant: InvZxidRealTime, Ops: []int{maxOp, b}, Zxid: writeZxid(&h.Ops[b]),
				Explanation: fmt.Sprintf("#%d returned before #%d was invoked but has a zxid not below it: #%d %s; #%d %s",
					maxOp, b, maxOp, h.Ops[maxOp].Describe(), b, h.Ops[b].Describe())})
		}
	}
	return out
}

// sessionReply is whether an answer counts for the session checks: it came from a server
// and carries the zxid order.
func sessionReply(o *Op) bool {
	if o.Outcome == OutcomeUnknown || o.ReplyZxid <= 0 {
		return false // no server answer (a real reply zxid is above 0: createSession took 1)
	}
	if o.Outcome == OutcomeOK {
		return true
	}
	switch o.Err {
	case clientproto.ErrNoNode, clientproto.ErrNodeExists, clientproto.ErrBadVersion, clientproto.ErrNotEmpty,
		clientproto.ErrNoChildrenForEphemerals:
		return true
	}
	return false
}

// checkSessions is R1 (reply zxids never go backwards in a session, in receive order,
// across reconnects) and R2 (a read or sync answers at or after every acknowledged write
// its session sent before it; acknowledged writes commit in the order they were sent).
func checkSessions(h *History) []Failure {
	bySession := map[int64][]int{}
	var sessions []int64
	for i := range h.Ops {
		o := &h.Ops[i]
		if _, ok := bySession[o.Session]; !ok {
			sessions = append(sessions, o.Session)
		}
		bySession[o.Session] = append(bySession[o.Session], i)
	}
	var out []Failure
	for _, s := range sessions {
		ops := bySession[s]
		out = append(out, monotonicReplies(h, ops)...)
		out = append(out, readYourWrites(h, ops)...)
	}
	return out
}

func monotonicReplies(h *History, ops []int) []Failure {
	var replies []int
	for _, i := range ops {
		if sessionReply(&h.Ops[i]) {
			replies = append(replies, i)
		}
	}
	slices.SortStableFunc(replies, func(a, b int) int { return compareInt64(h.Ops[a].Return, h.Ops[b].Return) })
	for k := 1; k < len(replies); k++ {
		a, b := replies[k-1], replies[k]
		if h.Ops[b].ReplyZxid < h.Ops[a].ReplyZxid {
			return []Failure{{Invariant: InvMonotonicSession, Ops: []int{a, b}, Zxid: h.Ops[b].ReplyZxid,
				Explanation: fmt.Sprintf("session 0x%x saw zxid 0x%x and then 0x%x: #%d %s; #%d %s", h.Ops[a].Session,
					h.Ops[a].ReplyZxid, h.Ops[b].ReplyZxid, a, h.Ops[a].Describe(), b, h.Ops[b].Describe())}}
		}
	}
	return nil
}

func readYourWrites(h *History, ops []int) []Failure {
	sorted := slices.Clone(ops)
	slices.SortStableFunc(sorted, func(a, b int) int { return compareInt64(h.Ops[a].Call, h.Ops[b].Call) })
	lastWrite := -1
	for _, i := range sorted {
		o := &h.Ops[i]
		if (o.Kind.IsRead() || o.Kind == KindSync) && sessionReply(o) && lastWrite >= 0 &&
			o.ReplyZxid < writeZxid(&h.Ops[lastWrite]) {
			return []Failure{{Invariant: InvReadYourWrites, Ops: []int{lastWrite, i}, Zxid: o.ReplyZxid,
				Explanation: fmt.Sprintf("#%d was sent after its session's acknowledged write #%d (zxid 0x%x) but answered at 0x%x: %s",
					i, lastWrite, writeZxid(&h.Ops[lastWrite]), o.ReplyZxid, o.Describe())}}
		}
		z := writeZxid(o)
		if z > 0 && lastWrite >= 0 && z <= writeZxid(&h.Ops[lastWrite]) {
			return []Failure{{Invariant: InvSessionFIFO, Ops: []int{lastWrite, i}, Zxid: z,
				Explanation: fmt.Sprintf("#%d was sent after its session's acknowledged write #%d (zxid 0x%x) but committed before it, at 0x%x: %s",
					i, lastWrite, writeZxid(&h.Ops[lastWrite]), z, o.Describe())}}
		}
		if z > 0 {
			lastWrite = i
		}
	}
	return nil
}

// checkRead is R3 (the answer is the committed state at the reply zxid) and R4 (no
// answer shows a write invoked after the read returned) for one read.
func (ci *commitIndex) checkRead(h *History, i int) []Failure {
	o := &h.Ops[i]
	z := o.ReplyZxid
	if o.Outcome == OutcomeError {
		if o.Err == clientproto.ErrNoNode {
			return ci.checkAbsent(h, i, o.Path, z)
		}
		return nil
	}
	var out []Failure
	if st := o.Result.Stat; st != nil {
		out = append(out, ci.checkStat(h, i, st)...)
	}
	if o.Kind == KindGetChildren {
		out = append(out, ci.checkChildren(h, i)...)
	}
	return out
}

func (ci *commitIndex) readFail(h *History, inv string, i int, other int, format string, args ...any) Failure {
	ops := []int{i}
	if other >= 0 {
		ops = append(ops, other)
	}
	msg := fmt.Sprintf(format, args...) + fmt.Sprintf(": #%d %s", i, h.Ops[i].Describe())
	if other >= 0 {
		msg += fmt.Sprintf("; #%d %s", other, h.Ops[other].Describe())
	}
	return Failure{Invariant: inv, Ops: ops, Zxid: h.Ops[i].ReplyZxid, Explanation: msg}
}

// checkAbsent: NoNode at zxid z is wrong if the path's last acknowledged effect at or
// before z is a create that nothing unknown could have undone.
func (ci *commitIndex) checkAbsent(h *History, i int, path string, z int64) []Failure {
	last, ok := ci.lastAt(path, z)
	if !ok || last.kind == effDelete || ci.mayVanishUnseen(path, last) {
		return nil
	}
	return []Failure{ci.readFail(h, InvReadSnapshot, i, last.op,
		"NoNode at zxid 0x%x, but %s was written at 0x%x and not deleted", z, path, last.zxid)}
}

// checkStat compares a returned Stat (and getData's value) with the committed history.
func (ci *commitIndex) checkStat(h *History, i int, st *Stat) []Failure {
	o := &h.Ops[i]
	z := o.ReplyZxid
	if st.Mzxid > z || st.Czxid > z {
		return []Failure{ci.readFail(h, InvNoFutureReads, i, -1,
			"stat mzxid 0x%x / czxid 0x%x is above the reply zxid 0x%x", st.Mzxid, st.Czxid, z)}
	}
	for _, zx := range []int64{st.Czxid, st.Mzxid} {
		if w, ok := ci.byZxid[zx]; ok && h.Ops[w].Call > o.Return {
			return []Failure{ci.readFail(h, InvNoFutureReads, i, w,
				"the read returned at t=%d a write invoked later at t=%d", o.Return, h.Ops[w].Call)}
		}
	}
	if w, ok := ci.byZxid[st.Mzxid]; ok {
		e, found := ci.effectOf(o.Path, st.Mzxid)
		if !found {
			return []Failure{ci.readFail(h, InvReadSnapshot, i, w, "mzxid 0x%x is a write to another path", st.Mzxid)}
		}
		if o.Kind == KindGetData && e.kind != effDelete && e.data != string(o.Result.Data) {
			return []Failure{ci.readFail(h, InvReadSnapshot, i, w,
				"value %q is not what the write at mzxid 0x%x wrote (%q)", o.Result.Data, st.Mzxid, e.data)}
		}
		if ws := statAfterWrite(&h.Ops[w], o.Path, st.Mzxid); ws != nil &&
			(ws.Version != st.Version || ws.Czxid != st.Czxid || ws.DataLength != st.DataLength) {
			return []Failure{ci.readFail(h, InvReadSnapshot, i, w,
				"stat {version %d, czxid 0x%x, dataLength %d} differs from the one the write at mzxid 0x%x produced {%d, 0x%x, %d}",
				st.Version, st.Czxid, st.DataLength, st.Mzxid, ws.Version, ws.Czxid, ws.DataLength)}
		}
	}
	if next, ok := ci.firstAfter(o.Path, st.Mzxid); ok && next.zxid <= z && next.zxid != st.Czxid {
		return []Failure{ci.readFail(h, InvReadSnapshot, i, next.op,
			"at reply zxid 0x%x the node was already changed at 0x%x, after its mzxid 0x%x", z, next.zxid, st.Mzxid)}
	}
	return nil
}

// statAfterWrite is the node's Stat right after acknowledged write w (at zxid) changed
// path, as far as w's answer tells: a create makes version 0 with czxid = zxid; a setData
// returns the Stat. Nil when the answer does not say.
func statAfterWrite(w *Op, path string, zxid int64) *Stat {
	var out *Stat
	for j, sub := range w.subOps() {
		switch {
		case sub.Kind == KindCreate && w.createdPath(j) == path:
			out = &Stat{Czxid: zxid, DataLength: int32(len(sub.Data))}
		case sub.Kind == KindSetData && sub.Path == path:
			out = nil
			if w.Kind == KindSetData {
				out = w.Result.Stat
			} else if j < len(w.Result.Multi) {
				out = w.Result.Multi[j].Stat
			}
		}
	}
	return out
}

// effectOf returns the acknowledged effect on path at exactly zxid.
func (ci *commitIndex) effectOf(path string, zxid int64) (effect, bool) {
	e, ok := ci.lastAt(path, zxid)
	return e, ok && e.zxid == zxid
}

// checkChildren: every child that certainly exists at the reply zxid is listed, and every
// listed child may exist there.
func (ci *commitIndex) checkChildren(h *History, i int) []Failure {
	o := &h.Ops[i]
	z := o.ReplyZxid
	listed := map[string]bool{}
	for _, name := range o.Result.Children {
		listed[joinPath(o.Path, name)] = true
	}
	for _, c := range ci.children[o.Path] {
		last, ok := ci.lastAt(c, z)
		if ok && last.kind != effDelete && !ci.mayVanishUnseen(c, last) && !listed[c] {
			return []Failure{ci.readFail(h, InvReadSnapshot, i, last.op,
				"child %s, created at 0x%x and not deleted, is missing at zxid 0x%x", c, last.zxid, z)}
		}
	}
	for _, name := range o.Result.Children {
		c := joinPath(o.Path, name)
		if ci.mayExistUnseen(c) {
			continue
		}
		last, ok := ci.lastAt(c, z)
		if ok && last.kind != effDelete {
			continue
		}
		if ok && ci.maybeCreate[c] {
			continue
		}
		why := "no write created it by then"
		if ok {
			why = fmt.Sprintf("it was deleted at 0x%x", last.zxid)
		}
		return []Failure{ci.readFail(h, InvReadSnapshot, i, -1, "child %s is listed at zxid 0x%x but %s", c, z, why)}
	}
	return nil
}
