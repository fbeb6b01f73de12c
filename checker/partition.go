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
	linOps, resolved, excluded, skipped int
}

// pathFacts are the history-wide facts partitioning needs.
type pathFacts struct {
	created     map[string]bool  // paths some create is known to have targeted
	stableFrom  map[string]int64 // stable persistent paths -> time from which they exist
	seqPrefixes map[string]bool  // requested paths of sequential creates with unknown names
	container   map[string]bool  // paths created as containers
}

func collectFacts(h *History, lin []*linOp) *pathFacts {
	f := &pathFacts{created: map[string]bool{"/": true, "/zookeeper": true}, stableFrom: map[string]int64{},
		seqPrefixes: map[string]bool{}, container: map[string]bool{}}
	deleted := map[string]bool{}
	for _, lo := range lin {
		for i, sub := range lo.op.subOps() {
			if sub.Kind == KindDelete {
				deleted[sub.Path] = true
			}
			if sub.Kind != KindCreate {
				continue
			}
			p := sub.Path
			if !lo.unknown && lo.op.Outcome == OutcomeOK {
				p = lo.op.createdPath(i)
			} else if isSequential(sub.Flags) {
				p = ""
			}
			if sub.Flags == clientproto.FlagContainer {
				f.container[sub.Path] = true
			}
			if p == "" {
				f.seqPrefixes[sub.Path] = true
				continue
			}
			f.created[p] = true
			if !lo.unknown && lo.op.Outcome == OutcomeOK && !isEphemeral(sub.Flags) && sub.Flags != clientproto.FlagContainer {
				if t, ok := f.stableFrom[p]; !ok || lo.ret < t {
					f.stableFrom[p] = lo.ret
				}
			}
		}
	}
	for _, p := range append([]string{"/", "/zookeeper"}, h.InitialPaths...) {
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
		parent := parentOf(sub.Path)
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
func buildPartitions(h *History) ([]*partition, buildStats) {
	var st buildStats
	lin := linOps(h)
	f := collectFacts(h, lin)
	st.resolved = resolveUnknown(h, lin)
	uf := &unionFind{parent: map[string]string{}}
	type linked struct {
		lo      *linOp
		keys    []string
		cutFrom []string
	}
	var kept []linked
	cutAll := map[string]bool{}
	for _, lo := range lin {
		if touchesPhantom(lo, f) {
			st.excluded++
			continue
		}
		keys, cutFrom := opLinks(lo, f)
		for _, k := range keys[1:] {
			uf.union(keys[0], k)
		}
		uf.find(keys[0])
		for _, c := range cutFrom {
			cutAll[c] = true
		}
		kept = append(kept, linked{lo, keys, cutFrom})
	}
	byRoot := map[string]*partition{}
	var order []string
	nodeKeys := map[string]map[string]bool{}
	cuts := map[string]map[string]bool{}
	for _, l := range kept {
		root := uf.find(l.keys[0])
		p := byRoot[root]
		if p == nil {
			p = &partition{}
			byRoot[root] = p
			order = append(order, root)
			nodeKeys[root], cuts[root] = map[string]bool{}, map[string]bool{}
		}
		p.ops = append(p.ops, l.lo)
		for _, k := range l.keys {
			if strings.HasPrefix(k, "n:") {
				nodeKeys[root][k[2:]] = true
			}
		}
		for _, c := range l.cutFrom {
			cuts[root][c] = true
		}
	}
	var parts []*partition
	spans := sessionSpans(h)
	for _, root := range order {
		p := byRoot[root]
		if hasContainer(p, f) {
			st.skipped++
			continue
		}
		finishPartition(p, h, spans, nodeKeys[root], cuts[root], cutAll)
		st.linOps += len(p.ops)
		parts = append(parts, p)
	}
	return parts, st
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
			if f.maybePhantom(parentOf(sub.Path)) {
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
			if f.container[sub.Path] || f.container[parentOf(sub.Path)] {
				return true
			}
		}
	}
	return false
}

// finishPartition sets a partition's initial state, environment, session ends and name.
func finishPartition(p *partition, h *History, spans map[int64]sessionSpan, nodes, cutHere, cutAll map[string]bool) {
	e := &env{assumed: map[string]bool{}, cut: cutAll}
	for c := range cutHere { //det:unordered-ok fills a set
		if !nodes[c] {
			e.assumed[c] = true
		}
	}
	var init []znode
	for _, path := range append([]string{"/", "/zookeeper"}, h.InitialPaths...) {
		if nodes[path] && !slices.ContainsFunc(init, func(n znode) bool { return n.path == path }) {
			init = append(init, znode{path: path})
		}
	}
	sort.Slice(init, func(i, j int) bool { return init[i].path < init[j].path })
	p.env, p.init = e, newState(init, nil, nil)
	p.ops = append(p.ops, sessionEnds(spans, p.ops)...)
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

// sessionSpan is when a session's end can have happened: after the Call of its last
// definite write (its closeSession txn commits after all of them), and by the Return of an
// acknowledged close (Forever if none: expiry comes at an unknown time, maybe never).
type sessionSpan struct {
	lastWriteCall int64
	closedBy      int64
}

func sessionSpans(h *History) map[int64]sessionSpan {
	spans := map[int64]sessionSpan{}
	for i := range h.Ops {
		o := &h.Ops[i]
		sp, ok := spans[o.Session]
		if !ok {
			sp = sessionSpan{lastWriteCall: math.MinInt64, closedBy: Forever}
		}
		if o.Kind.IsWrite() && o.Outcome != OutcomeUnknown {
			sp.lastWriteCall = max(sp.lastWriteCall, o.Call)
		}
		if o.Kind == KindCloseSession && o.Outcome == OutcomeOK {
			sp.closedBy = min(sp.closedBy, o.Return)
		}
		spans[o.Session] = sp
	}
	return spans
}

// sessionEnds adds, for every session with an ephemeral create in the partition, the
// pseudo-op that deletes its ephemerals there, over the session's sessionSpan.
func sessionEnds(spans map[int64]sessionSpan, ops []*linOp) []*linOp {
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
		out = append(out, &linOp{idx: -1, session: s, end: true, unknown: true, call: sp.lastWriteCall, ret: sp.closedBy})
	}
	return out
}

// resolveUnknown clamps the Return of unknown writes whose unique value an OK getData
// observed: a replica serves only committed txns, so the write took effect no later than
// that read returned. Returns how many were clamped.
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
	seen := map[pv]int64{}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Kind == KindGetData && o.Outcome == OutcomeOK {
			k := pv{o.Path, string(o.Result.Data)}
			if t, ok := seen[k]; !ok || o.Return < t {
				seen[k] = o.Return
			}
		}
	}
	n := 0
	for _, lo := range lin {
		o := lo.op
		if !lo.unknown || len(o.Data) == 0 || o.Kind == KindMulti || (o.Kind == KindCreate && isSequential(o.Flags)) ||
			(o.Kind != KindCreate && o.Kind != KindSetData) {
			continue
		}
		k := pv{o.Path, string(o.Data)}
		if t, ok := seen[k]; ok && writers[k] == 1 && t >= lo.call {
			lo.ret = t
			n++
		}
	}
	return n
}
