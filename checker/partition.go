package checker

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// Partitioning (see doc.go, "Partitions"): every write is linked to the keys of the state
// it reads or writes — "n:<path>" for a node (its data, version, existence, children) and
// "s:<parent>" for a parent's sequential counter. A create or delete also touches its
// parent's child list, unless the parent is stable for it: a persistent node created
// before the op was invoked and never the target of a delete. Such a parent is cut: it is
// assumed to exist, and its child count is not compared. Partitions are the connected
// components of the links (a multi links all its keys), so each op is in exactly one and
// no two partitions share state.

type buildStats struct {
	linOps, resolved, excluded, skipped, dropped int
}

// pathFacts are the history-wide facts partitioning needs.
type pathFacts struct {
	created     map[string]bool  // paths a create made or may have made
	stableFrom  map[string]int64 // stable persistent paths -> time from which they exist
	seqPrefixes map[string]bool  // requested paths of sequential creates with unknown names
	container   map[string]bool  // paths created as containers or TTL nodes
}

func collectFacts(h *History, lin []*linOp, containersPersist bool) *pathFacts {
	vanishes := func(flags int32) bool {
		return unmodelled(flags) && !(containersPersist && flags == clientproto.FlagContainer)
	}
	f := &pathFacts{created: map[string]bool{}, stableFrom: map[string]int64{},
		seqPrefixes: map[string]bool{}, container: map[string]bool{}}
	deleted := map[string]bool{}
	for _, lo := range lin {
		for i, sub := range lo.op.subOps() {
			if sub.Kind == KindDelete {
				deleted[sub.Path] = true
			}
			if sub.Kind != KindCreate || (!lo.unknown && lo.op.Outcome != OutcomeOK) {
				continue // a create that failed created nothing
			}
			p := sub.Path
			if !lo.unknown && lo.op.Outcome == OutcomeOK {
				p = lo.op.createdPath(i)
			} else if isSequential(sub.Flags) {
				p = ""
			}
			if vanishes(sub.Flags) {
				f.container[sub.Path] = true
			}
			if p == "" {
				f.seqPrefixes[sub.Path] = true
				continue
			}
			f.created[p] = true
			if !lo.unknown && lo.op.Outcome == OutcomeOK && !isEphemeral(sub.Flags) && !vanishes(sub.Flags) {
				if t, ok := f.stableFrom[p]; !ok || lo.ret < t {
					f.stableFrom[p] = lo.ret
				}
			}
		}
	}
	for _, p := range h.initialPaths() {
		f.created[p] = true
		f.stableFrom[p] = math.MinInt64
	}
	for p := range deleted { //det:unordered-ok only removes keys
		delete(f.stableFrom, p)
	}
	return f
}

// stableFor reports whether path exists, unchangeably, for an op invoked at call.
func (f *pathFacts) stableFor(path string, call int64) bool {
	t, ok := f.stableFrom[path]
	return ok && t < call
}

// maybePhantom reports whether path (or an ancestor) may be a node created by a
// sequential create whose name nobody learned.
func (f *pathFacts) maybePhantom(path string) bool {
	for p := path; p != "" && p != "/"; p = parentOf(p) {
		if f.created[p] {
			continue
		}
		if len(p) > 10 && f.seqPrefixes[p[:len(p)-10]] {
			return true
		}
	}
	return false
}

// mayExist reports whether any op could have created path: a create that succeeded or
// may have, a sequential create whose name might be it, or an initial path.
func (f *pathFacts) mayExist(path string) bool {
	return f.created[path] || (len(path) > 10 && f.seqPrefixes[path[:len(path)-10]])
}

// neverEffective reports whether a write fails wherever it is placed, because one of its
// sub-ops needs a node nothing ever created: NoNode, no effect, a multi rolled back. Such
// an unknown write changes nothing and is dropped exactly (no weakening), which keeps it
// out of Porcupine's search.
func (f *pathFacts) neverEffective(o *Op) bool {
	for _, sub := range o.subOps() {
		need := sub.Path
		if sub.Kind == KindCreate {
			need = parentOfSub(sub)
		}
		if !f.mayExist(need) {
			return true
		}
	}
	return false
}

// unionFind over string keys.
type unionFind struct {
	parent map[string]string
}

func (u *unionFind) find(k string) string {
	if _, ok := u.parent[k]; !ok {
		u.parent[k] = k
		return k
	}
	for u.parent[k] != k {
		u.parent[k] = u.parent[u.parent[k]]
		k = u.parent[k]
	}
	return k
}

func (u *unionFind) union(a, b string) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u.parent[max(ra, rb)] = min(ra, rb)
	}
}

// opLinks lists the keys one op touches and the parents it is cut from.
func opLinks(lo *linOp, f *pathFacts) (keys, cutFrom []string) {
	for i, sub := range lo.op.subOps() {
		parent := parentOfSub(sub)
		switch {
		case sub.Kind == KindCreate && isSequential(sub.Flags):
			keys = append(keys, "s:"+parent)
			if !lo.unknown && lo.op.Outcome == OutcomeOK && lo.op.createdPath(i) != "" {
				keys = append(keys, "n:"+lo.op.createdPath(i))
			}
		default:
			keys = append(keys, "n:"+sub.Path)
		}
		if sub.Kind != KindCreate && sub.Kind != KindDelete {
			continue
		}
		if f.stableFor(parent, lo.call) {
			cutFrom = append(cutFrom, parent)
		} else {
			keys = append(keys, "n:"+parent)
		}
	}
	return keys, cutFrom
}

// buildPartitions turns the history's writes into Porcupine partitions.
func buildPartitions(h *History, or *oracle, opts Options) ([]*partition, buildStats) {
	var st buildStats
	lin := linOps(h)
	lin, st.dropped, st.resolved = resolveByOracle(lin, or)
	f := collectFacts(h, lin, opts.ContainersPersist)
	st.resolved += resolveUnknown(h, lin)
	tl := newTimeline(lin)
	kept, cutAll := linkAll(lin, f, &st)
	for _, p := range ReservedPaths {
		cutAll[p] = true // their children (quota, config, ...) are not modelled
	}
	kept, st.dropped = pruneUnobservable(kept, st.dropped)
	groups := groupLinked(kept)
	var parts []*partition
	spans := sessionSpans(h)
	for _, g := range groups {
		if hasContainer(g.p, f) {
			st.skipped++
			continue
		}
		finishPartition(g.p, h, spans, tl, g.nodes, g.cuts, cutAll)
		st.linOps += len(g.p.ops)
		parts = append(parts, g.p)
	}
	return parts, st
}

// linkAll computes every write's keys, leaving out the unknown writes that fail wherever
// placed and the writes on possible phantom names. cutAll collects every parent some op
// was cut from.
func linkAll(lin []*linOp, f *pathFacts, st *buildStats) (kept []linked, cutAll map[string]bool) {
	cutAll = map[string]bool{}
	for _, lo := range lin {
		if lo.unknown && f.neverEffective(lo.op) {
			st.dropped++
			continue
		}
		if touchesPhantom(lo, f) {
			st.excluded++
			continue
		}
		keys, cutFrom := opLinks(lo, f)
		for _, c := range cutFrom {
			cutAll[c] = true // even if lo is pruned later: its child is not partition-local
		}
		kept = append(kept, linked{lo, keys, cutFrom})
	}
	return kept, cutAll
}

// group is one connected component of linked writes, with the node paths it models and
// the stable parents its ops were cut from.
type group struct {
	p     *partition
	nodes map[string]bool
	cuts  map[string]bool
}

// groupLinked returns the connected components of the writes' keys, in the order of their
// first op.
func groupLinked(kept []linked) []*group {
	uf := &unionFind{parent: map[string]string{}}
	for _, l := range kept {
		for _, k := range l.keys[1:] {
			uf.union(l.keys[0], k)
		}
	}
	byRoot := map[string]*group{}
	var out []*group
	for _, l := range kept {
		root := uf.find(l.keys[0])
		g := byRoot[root]
		if g == nil {
			g = &group{p: &partition{}, nodes: map[string]bool{}, cuts: map[string]bool{}}
			byRoot[root] = g
			out = append(out, g)
		}
		g.p.ops = append(g.p.ops, l.lo)
		for _, k := range l.keys {
			if strings.HasPrefix(k, "n:") {
				g.nodes[k[2:]] = true
			}
		}
		for _, c := range l.cutFrom {
			g.cuts[c] = true
		}
	}
	return out
}

// linked is a write with the keys it touches and the stable parents it is cut from.
type linked struct {
	lo      *linOp
	keys    []string
	cutFrom []string
}

// pruneUnobservable drops unknown writes nothing can observe: no definite write that may be
// linearized after it (its Return is not before the unknown's Call) touches any of its
// keys, directly or through other such unknown writes. Whether it happened or not, every
// definite answer is the same, so dropping it is exact; it spares Porcupine a branch.
func pruneUnobservable(kept []linked, dropped int) ([]linked, int) {
	latest := map[string]int64{} // key -> latest Return of a relevant op touching it
	relevant := make([]bool, len(kept))
	mark := func(i int) {
		relevant[i] = true
		for _, k := range kept[i].keys {
			if t, ok := latest[k]; !ok || kept[i].lo.ret > t {
				latest[k] = kept[i].lo.ret
			}
		}
	}
	for i, l := range kept {
		if !l.lo.unknown {
			mark(i)
		}
	}
	for changed := true; changed; {
		changed = false
		for i, l := range kept {
			if relevant[i] {
				continue
			}
			for _, k := range l.keys {
				if t, ok := latest[k]; ok && t >= l.lo.call {
					mark(i)
					changed = true
					break
				}
			}
		}
	}
	out := kept[:0]
	for i, l := range kept {
		if relevant[i] {
			out = append(out, l)
		} else {
			dropped++
		}
	}
	return out, dropped
}

// linOps converts the history's writes into Porcupine operations.
func linOps(h *History) []*linOp {
	var out []*linOp
	for i := range h.Ops {
		o := &h.Ops[i]
		c := classify(o)
		if c == linSkip || len(o.subOps()) == 0 {
			continue
		}
		lo := &linOp{idx: i, op: o, unknown: c == linUnknown, session: o.Session, call: o.Call, ret: o.Return}
		if lo.unknown {
			lo.ret = Forever
		}
		out = append(out, lo)
	}
	return out
}

func touchesPhantom(lo *linOp, f *pathFacts) bool {
	for _, sub := range lo.op.subOps() {
		if sub.Kind == KindCreate && isSequential(sub.Flags) {
			if f.maybePhantom(parentOfSub(sub)) {
				return true
			}
			continue
		}
		if f.maybePhantom(sub.Path) {
			return true
		}
	}
	return false
}

func hasContainer(p *partition, f *pathFacts) bool {
	for _, lo := range p.ops {
		for _, sub := range lo.op.subOps() {
			if f.container[sub.Path] || f.container[parentOfSub(sub)] {
				return true
			}
		}
	}
	return false
}

// finishPartition sets a partition's initial state, environment, session ends and name.
func finishPartition(p *partition, h *History, spans map[int64]*sessionSpan, tl *timeline, nodes, cutHere, cutAll map[string]bool) {
	e := &env{assumed: map[string]bool{}, cut: cutAll}
	for c := range cutHere { //det:unordered-ok fills a set
		if !nodes[c] {
			e.assumed[c] = true
		}
	}
	var init []znode
	for _, path := range h.initialPaths() {
		if nodes[path] && !slices.ContainsFunc(init, func(n znode) bool { return n.path == path }) {
			init = append(init, znode{path: path})
		}
	}
	sort.Slice(init, func(i, j int) bool { return init[i].path < init[j].path })
	p.env, p.init = e, newState(init, nil, nil)
	for _, lo := range p.ops {
		tl.place(lo)
	}
	p.ops = append(p.ops, sessionEnds(spans, tl, p.ops)...)
	p.tl = tl
	p.name = partitionName(nodes)
}

func partitionName(nodes map[string]bool) string {
	var paths []string
	for n := range nodes { //det:unordered-ok sorted right after
		paths = append(paths, n)
	}
	sort.Strings(paths)
	if len(paths) > 3 {
		return fmt.Sprintf("{%s, ... %d paths}", strings.Join(paths[:3], ", "), len(paths))
	}
	return "{" + strings.Join(paths, ", ") + "}"
}

// sessionSpan is when a session's end can have happened: after its last definite write
// (its closeSession txn commits after all of them), and at its acknowledged close, if any
// (otherwise at an unknown time, maybe never: expiry).
type sessionSpan struct {
	lastWriteCall int64
	lastWriteZxid int64
	closed        bool  // an explicit close was acknowledged
	closeReturn   int64 // its Return
	closeZxid     int64 // its zxid (0 if not recorded)
}

func sessionSpans(h *History) map[int64]*sessionSpan {
	spans := map[int64]*sessionSpan{}
	for i := range h.Ops {
		o := &h.Ops[i]
		sp := spans[o.Session]
		if sp == nil {
			sp = &sessionSpan{lastWriteCall: math.MinInt64}
			spans[o.Session] = sp
		}
		if o.Kind == KindCloseSession && o.Outcome == OutcomeOK && (!sp.closed || o.Return < sp.closeReturn) {
			sp.closed, sp.closeReturn, sp.closeZxid = true, o.Return, max(0, o.ReplyZxid)
			continue
		}
		if o.Kind.IsWrite() && o.Outcome != OutcomeUnknown {
			sp.lastWriteCall = max(sp.lastWriteCall, o.Call)
			sp.lastWriteZxid = max(sp.lastWriteZxid, linZxid(o))
		}
	}
	return spans
}

// sessionEnds adds, for every session with an ephemeral create in the partition, the
// pseudo-op that deletes its ephemerals there, placed over the session's sessionSpan.
func sessionEnds(spans map[int64]*sessionSpan, tl *timeline, ops []*linOp) []*linOp {
	var ids []int64
	for _, lo := range ops {
		for _, sub := range lo.op.subOps() {
			if sub.Kind == KindCreate && isEphemeral(sub.Flags) && !slices.Contains(ids, lo.session) {
				ids = append(ids, lo.session)
			}
		}
	}
	slices.Sort(ids)
	out := make([]*linOp, 0, len(ids))
	for _, s := range ids {
		sp := spans[s]
		end := &linOp{idx: -1, session: s, end: true, unknown: true, call: sp.lastWriteCall, ret: Forever}
		end.pcall, end.pret = max(tl.slot(sp.lastWriteZxid), tl.after(sp.lastWriteCall)), Forever
		switch {
		case sp.closed && sp.closeZxid > 0:
			end.pcall, end.pret = tl.slot(sp.closeZxid), tl.slot(sp.closeZxid)
		case sp.closed:
			end.pret = max(end.pcall, tl.before(sp.closeReturn))
		}
		out = append(out, end)
	}
	return out
}

// resolveByOracle uses the txns the replica checker saw: an unknown write whose request
// (session, xid) committed is placed exactly at its zxid; one that committed as an error
// txn, or that no server ever logged, never changed the tree and is dropped. Returns the kept ops, how many it dropped and how many
// it placed.
func resolveByOracle(lin []*linOp, or *oracle) (out []*linOp, dropped, placed int) {
	out = lin[:0]
	for _, lo := range lin {
		if !lo.unknown {
			out = append(out, lo)
			continue
		}
		z, fate := or.fate(lo.op)
		switch fate {
		case FateCommitted:
			lo.clampZxid, lo.clampExact = z, true
			placed++
		case FateNever, FateFailed:
			dropped++ // it never changed the tree
			continue
		}
		out = append(out, lo)
	}
	return out, dropped, placed
}

// resolveUnknown clamps unknown writes whose unique value an OK getData observed: a
// replica serves only committed txns, so the write took effect no later than that read
// returned, at a zxid no later than the read's mzxid (or reply zxid). Returns how many
// were clamped.
func resolveUnknown(h *History, lin []*linOp) int {
	type pv struct{ path, data string }
	writers := map[pv]int{}
	for _, lo := range lin {
		for _, sub := range lo.op.subOps() {
			if sub.Kind == KindCreate || sub.Kind == KindSetData {
				writers[pv{sub.Path, string(sub.Data)}]++
			}
		}
	}
	type sighting struct {
		ret, zxid int64
		exact     bool // zxid is the write's own (the read's mzxid)
	}
	seen := map[pv]sighting{}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Kind == KindGetData && o.Outcome == OutcomeOK {
			k := pv{o.Path, string(o.Result.Data)}
			sg := sighting{ret: o.Return, zxid: o.ReplyZxid}
			if o.Result.Stat != nil {
				sg.zxid, sg.exact = o.Result.Stat.Mzxid, true // the write itself is at this zxid
			}
			if r, ok := seen[k]; !ok || o.Return < r.ret {
				seen[k] = sg
			}
		}
	}
	n := 0
	for _, lo := range lin {
		o := lo.op
		if !lo.unknown || lo.clampExact || len(o.Data) == 0 || o.Kind == KindMulti || (o.Kind == KindCreate && isSequential(o.Flags)) ||
			(o.Kind != KindCreate && o.Kind != KindSetData) {
			continue
		}
		k := pv{o.Path, string(o.Data)}
		if r, ok := seen[k]; ok && writers[k] == 1 && r.ret >= lo.call {
			lo.ret, lo.clampZxid, lo.clampExact = r.ret, r.zxid, r.exact
			n++
		}
	}
	return n
}
