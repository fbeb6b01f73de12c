package checker

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// This file generates histories of a correct ZooKeeper, for the no-false-alarm tests and
// the benchmarks. Its tree is a plain sequential model written separately from model.go
// and reads.go (maps, full version history per path), driven by a discrete-event loop:
// every write takes effect at one instant inside its interval and gets the next zxid
// (failed writes too, as error txns do); every read is served by one of three replicas
// at a zxid between what its session has seen and what is committed (stale but legal);
// calls can lose their connection (unknown outcome: the write happened, never happened,
// or happens much later), sessions reconnect to other servers, close, or expire.

type genConfig struct {
	clients     int
	ops         int     // calls to record (setup not counted)
	unknownRate float64 // share of calls whose outcome is lost
	opsPerRoot  int     // roughly how many calls share one root before rotating
	leaderEvery int     // start a new epoch every so many writes (0: never)
}

// gversion is one path's state from a zxid on.
type gversion struct {
	zxid       int64
	exists     bool
	data       string
	version    int32
	czxid      int64
	mzxid      int64
	owner      int64
	kids       int32
	ephemeral  bool
	childCount int64 // child creations so far (ZooKeeper's persisted cversion)
}

type childEvent struct {
	zxid  int64
	name  string
	added bool
}

// gstore is the committed history: every version of every path.
type gstore struct {
	versions map[string][]gversion
	childEv  map[string][]childEvent
	zxid     int64
	epoch    int64
	writes   int
	assigned []int64 // every zxid handed out, increasing
}

func (s *gstore) cur(path string) gversion {
	v := s.versions[path]
	if len(v) == 0 {
		return gversion{}
	}
	return v[len(v)-1]
}

func (s *gstore) at(path string, z int64) gversion {
	v := s.versions[path]
	i := sort.Search(len(v), func(k int) bool { return v[k].zxid > z })
	if i == 0 {
		return gversion{}
	}
	return v[i-1]
}

func (s *gstore) put(path string, v gversion) { s.versions[path] = append(s.versions[path], v) }

func (s *gstore) childrenAt(parent string, z int64) []string {
	set := map[string]bool{}
	for _, e := range s.childEv[parent] {
		if e.zxid > z {
			break
		}
		if e.added {
			set[e.name] = true
		} else {
			delete(set, e.name)
		}
	}
	var out []string
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// nextZxid hands out the next zxid, starting a new epoch now and then (a leader change).
func (s *gstore) nextZxid(cfg *genConfig) int64 {
	s.writes++
	if cfg.leaderEvery > 0 && s.writes%cfg.leaderEvery == 0 {
		s.epoch++
		s.zxid = s.epoch << 32
	}
	s.zxid++
	s.assigned = append(s.assigned, s.zxid)
	return s.zxid
}

// servable picks a zxid a replica may stand at: an assigned one, at least lo.
func (s *gstore) servable(rnd *rand.Rand, lo int64) int64 {
	i := sort.Search(len(s.assigned), func(k int) bool { return s.assigned[k] >= lo })
	if i == len(s.assigned) {
		return lo
	}
	return s.assigned[i+rnd.IntN(len(s.assigned)-i)]
}

func (s *gstore) statOf(v gversion) *Stat {
	owner := int64(0)
	if v.ephemeral {
		owner = v.owner
	}
	return &Stat{Czxid: v.czxid, Mzxid: v.mzxid, Version: v.version, DataLength: int32(len(v.data)),
		NumChildren: v.kids, EphemeralOwner: owner}
}

// writeTxn applies one write at zxid z to a scratch copy of the touched paths and
// returns its error code; on success the changes are committed into the store.
type scratch struct {
	s       *gstore
	changes map[string]gversion
	order   []string
	kids    []childEvent
	kidsOf  []string
}

func (w *scratch) get(path string) gversion {
	if v, ok := w.changes[path]; ok {
		return v
	}
	return w.s.cur(path)
}

func (w *scratch) set(path string, v gversion) {
	if _, ok := w.changes[path]; !ok {
		w.order = append(w.order, path)
	}
	w.changes[path] = v
}

func (w *scratch) commit(z int64) {
	for _, p := range w.order {
		v := w.changes[p]
		v.zxid = z
		w.s.put(p, v)
	}
	for i, e := range w.kids {
		e.zxid = z
		w.s.childEv[w.kidsOf[i]] = append(w.s.childEv[w.kidsOf[i]], e)
	}
}

func (w *scratch) apply(sub SubOp, session, z int64) (clientproto.ErrCode, string) {
	switch sub.Kind {
	case KindCreate:
		return w.create(sub, session, z)
	}
	v := w.get(sub.Path)
	switch {
	case !v.exists:
		return clientproto.ErrNoNode, ""
	case sub.Version != -1 && sub.Version != v.version:
		return clientproto.ErrBadVersion, ""
	case sub.Kind == KindDelete && v.kids > 0:
		return clientproto.ErrNotEmpty, ""
	case sub.Kind == KindDelete:
		w.set(sub.Path, gversion{childCount: v.childCount})
		w.child(sub.Path, false)
	case sub.Kind == KindSetData:
		v.data, v.version, v.mzxid = string(sub.Data), v.version+1, z
		w.set(sub.Path, v)
	}
	return clientproto.ErrOK, ""
}

func (w *scratch) create(sub SubOp, session, z int64) (clientproto.ErrCode, string) {
	parent := parentOf(sub.Path)
	pv := w.get(parent)
	if !pv.exists && parent != "/" {
		return clientproto.ErrNoNode, ""
	}
	path := sub.Path
	if isSequential(sub.Flags) {
		path = fmt.Sprintf("%s%010d", sub.Path, pv.childCount)
	}
	if w.get(path).exists {
		return clientproto.ErrNodeExists, ""
	}
	if pv.ephemeral {
		return clientproto.ErrNoChildrenForEphemerals, ""
	}
	old := w.get(path)
	w.set(path, gversion{exists: true, data: string(sub.Data), czxid: z, mzxid: z, owner: session,
		ephemeral: isEphemeral(sub.Flags), childCount: old.childCount})
	w.child(path, true)
	return clientproto.ErrOK, path
}

// child records a child appearing or going, and updates the parent's counts.
func (w *scratch) child(path string, added bool) {
	parent := parentOf(path)
	pv := w.get(parent)
	if added {
		pv.kids++
		pv.childCount++
	} else {
		pv.kids--
	}
	if parent != "/" {
		w.set(parent, pv)
	}
	w.kids = append(w.kids, childEvent{name: baseName(path), added: added})
	w.kidsOf = append(w.kidsOf, parent)
}

// ---- the event loop ----

type genEvent struct {
	at   int64
	seq  int
	kind int // evInvoke, evApply, evReturn, evExpire
	c    *genClient
	op   int // index in gen.ops
}

const (
	evInvoke = iota
	evApply
	evReturn
	evExpire
)

type eventQueue []genEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(genEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type genClient struct {
	id       int
	session  int64
	proc     int
	server   int
	lastSeen int64
	counter  int
	versions map[string]int32 // last version seen per path (for conditional writes)
	seqNames []string         // sequential nodes it created
	xid      int32
	// appliedFloor is the highest zxid the server has applied or answered for the client's
	// calls: a call pipelined behind a write sees that write (FIFO client order).
	appliedFloor int64
	expiring     bool
}

// pending is what the loop knows about a call beyond its Op.
type pending struct {
	c         *genClient
	lost      bool // the client will never learn the outcome
	effective bool // the call takes effect (always, unless lost and dropped)
	pipelined bool // another call of the client was sent behind it before its answer
	truth     *Op  // a lost call that took effect: its real answer
}

type gen struct {
	cfg      genConfig
	rnd      *rand.Rand
	st       *gstore
	q        eventQueue
	seq      int
	ops      []Op
	meta     []pending
	applied  [3]int64 // each replica's applied zxid (monotonic)
	nextSess int64
	nextProc int
	roots    []string
	issued   int
	outOps   int // calls still to issue
	closed   map[int64]bool
	txns     []genTxn // every client txn, in zxid order
}

// genTxn is one committed client txn, for the replica oracle.
type genTxn struct {
	zxid    int64
	session int64
	xid     int32
	failed  bool // an error txn
}

// replicas returns a replica checker fed with every committed txn, as the cluster harness
// would feed it: log-entry bodies starting with a TxnHeader.
func (g *gen) replicas() *Replicas {
	r := NewReplicas()
	for _, t := range g.txns {
		body := txnHeader(t.session, t.xid, t.zxid)
		if t.failed {
			binary.BigEndian.PutUint32(body[28:], uint32(0xffffffff)) // type -1: error txn
		}
		r.Committed(1, t.zxid, body, 0, false, 0)
	}
	return r
}

func txnHeader(session int64, xid int32, zxid int64) []byte {
	b := make([]byte, txnHeaderSize)
	binary.BigEndian.PutUint64(b[0:], uint64(session))
	binary.BigEndian.PutUint32(b[8:], uint32(xid))
	binary.BigEndian.PutUint64(b[12:], uint64(zxid))
	return b
}

func generate(seed uint64, cfg genConfig) History {
	h, _ := generateWithOracle(seed, cfg)
	return h
}

// generateWithOracle also returns the history as an all-knowing observer saw it: every lost
// call that took effect appears with its real answer, returning at the instant it took
// effect; the ones that never did are left out.
func generateWithOracle(seed uint64, cfg genConfig) (History, History) {
	h, o, _ := generateAll(seed, cfg)
	return h, o
}

// generateAll also returns the replica checker fed with the run's committed txns.
func generateAll(seed uint64, cfg genConfig) (History, History, *Replicas) {
	g := &gen{cfg: cfg, rnd: rand.New(rand.NewPCG(seed, 0x5eed)), st: &gstore{versions: map[string][]gversion{},
		childEv: map[string][]childEvent{}, epoch: 1, zxid: 1 << 32}, nextSess: 0x100, outOps: cfg.ops, closed: map[int64]bool{}}
	g.setup()
	for i := range cfg.clients {
		c := &genClient{id: i, versions: map[string]int32{}}
		g.newSession(c)
		g.push(g.now()+int64(g.rnd.IntN(10)), evInvoke, c, -1)
	}
	for g.q.Len() > 0 {
		e := heap.Pop(&g.q).(genEvent)
		g.handle(e)
	}
	var oracle History
	for i, o := range g.ops {
		m := g.meta[i]
		switch {
		case !m.lost:
			oracle.Ops = append(oracle.Ops, o)
		case m.truth != nil:
			oracle.Ops = append(oracle.Ops, *m.truth)
		}
	}
	return History{Ops: g.ops}, oracle, g.replicas()
}

func (g *gen) now() int64 {
	if len(g.ops) == 0 {
		return 0
	}
	return g.ops[len(g.ops)-1].Return + 1
}

func (g *gen) push(at int64, kind int, c *genClient, op int) {
	g.seq++
	heap.Push(&g.q, genEvent{at: at, seq: g.seq, kind: kind, c: c, op: op})
}

func (g *gen) newSession(c *genClient) {
	g.nextSess++
	g.nextProc++
	c.session, c.proc, c.server, c.expiring = g.nextSess, g.nextProc, g.rnd.IntN(3), false
}

// setup records the creation of /t and the roots, one after the other, before any client.
func (g *gen) setup() {
	n := 3 * max(2, g.cfg.ops/max(1, 3*g.cfg.opsPerRoot))
	paths := []string{"/t"}
	for i := range n {
		r := fmt.Sprintf("/t/k%d", i)
		paths = append(paths, r)
		g.roots = append(g.roots, r)
	}
	t := int64(0)
	for _, p := range paths {
		w := &scratch{s: g.st, changes: map[string]gversion{}}
		z := g.st.nextZxid(&g.cfg)
		g.txns = append(g.txns, genTxn{zxid: z, session: 1, xid: int32(len(g.txns) + 1)})
		w.apply(SubOp{Kind: KindCreate, Path: p}, 0, z)
		w.commit(z)
		g.ops = append(g.ops, Op{Session: 1, Proc: 0, Server: 0, Kind: KindCreate, Path: p, Version: -1,
			Call: t, Return: t + 1, Outcome: OutcomeOK, ReplyZxid: z, Result: Result{CreatedPath: p}})
		g.meta = append(g.meta, pending{effective: true})
		t += 2
	}
	g.applied = [3]int64{g.st.zxid, g.st.zxid, g.st.zxid}
}

func (g *gen) between(lo, hi int64) int64 { return lo + g.rnd.Int64N(hi-lo+1) }

func (g *gen) handle(e genEvent) {
	switch e.kind {
	case evInvoke:
		g.invoke(e.at, e.c)
	case evApply:
		g.apply(e.at, e.op)
	case evReturn:
		g.finish(e.at, e.op)
	case evExpire:
		g.expire(e.at, e.c, e.op)
	}
}

func (g *gen) invoke(t int64, c *genClient) {
	if g.outOps <= 0 {
		return
	}
	g.outOps--
	o := g.pick(c)
	o.Call, o.Session, o.Proc, o.Server, o.ReplyZxid = t, c.session, c.proc, c.server, NoZxid
	c.xid++
	o.Xid = c.xid
	i := len(g.ops)
	g.ops = append(g.ops, o)
	g.meta = append(g.meta, pending{c: c, effective: true})
	apply := t + g.between(1, 40)
	if o.Kind != KindCloseSession && g.outOps > 0 && g.rnd.IntN(7) == 0 {
		g.pipeline(t, c, i, apply)
		return
	}
	if o.Kind == KindCloseSession || g.rnd.Float64() >= g.cfg.unknownRate {
		g.push(apply, evApply, c, i)
		g.push(apply+g.between(1, 40), evReturn, c, i)
		return
	}
	g.loseConnection(t, c, i, apply)
}

// pipeline sends a second call right behind call i on the same connection, before i's
// answer: the server runs them in order and the answers come back in order.
func (g *gen) pipeline(t int64, c *genClient, i int, apply int64) {
	o2 := g.pick(c)
	if o2.Kind == KindCloseSession {
		o2 = Op{Kind: KindSync, Path: "/t"}
	}
	g.outOps--
	o2.Call, o2.Session, o2.Proc, o2.Server, o2.ReplyZxid = t+1, c.session, c.proc, c.server, NoZxid
	c.xid++
	o2.Xid = c.xid
	j := len(g.ops)
	g.ops = append(g.ops, o2)
	g.meta = append(g.meta, pending{c: c, effective: true})
	g.meta[i].pipelined = true
	apply2 := max(apply, t+1) + g.between(0, 20)
	ret1 := apply + g.between(1, 40)
	g.push(apply, evApply, c, i)
	g.push(apply2, evApply, c, j)
	g.push(ret1, evReturn, c, i)
	g.push(max(ret1, apply2)+g.between(0, 20), evReturn, c, j)
}

// loseConnection makes call i's outcome unknown: it takes effect now, much later, or never;
// the client moves on as a new proc, maybe on another server, maybe with an expired session.
func (g *gen) loseConnection(t int64, c *genClient, i int, apply int64) {
	m := &g.meta[i]
	m.lost = true
	g.ops[i].Outcome, g.ops[i].UnknownReason = OutcomeUnknown, UnknownConnectionLoss
	switch g.rnd.IntN(3) {
	case 0:
		m.effective = false
	case 1:
		apply += g.between(100, 400) // commits after the client's next calls
	}
	if m.effective {
		g.push(apply, evApply, c, i)
	}
	g.nextProc++
	c.proc = g.nextProc
	c.server = g.rnd.IntN(3)
	resume := t + g.between(50, 120)
	if g.rnd.IntN(8) == 0 {
		c.expiring = true
		g.push(max(apply, resume)+g.between(1, 50), evExpire, c, i)
		return
	}
	g.push(resume, evInvoke, c, -1)
}

// expire ends the session (its ephemerals go with a closeSession txn); the client learns
// of it later and starts a new session.
func (g *gen) expire(t int64, c *genClient, _ int) {
	g.endSession(c.session)
	learn := t + g.between(1, 30)
	g.ops = append(g.ops, Op{Session: c.session, Proc: c.proc, Server: -1, Kind: KindSessionExpired,
		Call: learn, Return: learn, Outcome: OutcomeOK, ReplyZxid: NoZxid})
	g.meta = append(g.meta, pending{c: c})
	g.newSession(c)
	g.push(learn+1, evInvoke, c, -1)
}

func (g *gen) endSession(session int64) int64 {
	g.closed[session] = true
	w := &scratch{s: g.st, changes: map[string]gversion{}}
	var paths []string
	for p := range g.st.versions {
		v := g.st.cur(p)
		if v.exists && v.ephemeral && v.owner == session {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	z := g.st.nextZxid(&g.cfg)
	g.txns = append(g.txns, genTxn{zxid: z, session: session, xid: -11})
	for _, p := range paths {
		w.apply(SubOp{Kind: KindDelete, Path: p, Version: -1}, session, z)
	}
	w.commit(z)
	return z
}

// apply makes call i take effect at time t.
func (g *gen) apply(t int64, i int) {
	o := &g.ops[i]
	if g.closed[o.Session] {
		return // a late request of a closed session: the server rejects it
	}
	defer func() {
		if o.ReplyZxid > 0 {
			c := g.meta[i].c
			c.appliedFloor = max(c.appliedFloor, o.ReplyZxid)
		}
	}()
	switch o.Kind {
	case KindGetData, KindExists, KindGetChildren, KindSync:
		g.serveRead(o, g.meta[i].c)
	case KindCloseSession:
		o.ReplyZxid = g.endSession(o.Session)
		o.Outcome = OutcomeOK
	default:
		g.applyWrite(o)
	}
	if g.meta[i].lost {
		truth := *o
		truth.Return = t
		g.meta[i].truth = &truth
		o.Outcome, o.Result, o.ReplyZxid, o.Err = OutcomeUnknown, Result{}, NoZxid, 0
	}
}

func (g *gen) applyWrite(o *Op) {
	z := g.st.nextZxid(&g.cfg)
	g.txns = append(g.txns, genTxn{zxid: z, session: o.Session, xid: o.Xid})
	w := &scratch{s: g.st, changes: map[string]gversion{}}
	var results []SubResult
	code, failAt := clientproto.ErrOK, -1
	for k, sub := range o.subOps() {
		rc, created := w.apply(sub, o.Session, z)
		r := SubResult{Err: rc, CreatedPath: created}
		if rc == clientproto.ErrOK && sub.Kind == KindSetData && g.rnd.IntN(2) == 0 {
			r.Stat = g.st.statOf(w.get(sub.Path))
		}
		results = append(results, r)
		if rc != clientproto.ErrOK {
			code, failAt = rc, k
			break
		}
	}
	o.ReplyZxid = z
	if failAt >= 0 {
		if o.Kind != KindMulti {
			g.txns[len(g.txns)-1].failed = true // a failed multi is still a multi txn
		}
		o.Outcome, o.Err = OutcomeError, code
		if o.Kind == KindMulti {
			o.Result.Multi = multiFailure(len(o.SubOps), failAt, code)
		}
		return
	}
	w.commit(z)
	o.Outcome = OutcomeOK
	switch o.Kind {
	case KindMulti:
		o.Result.Multi = results
	case KindCreate:
		o.Result.CreatedPath = results[0].CreatedPath
		if g.rnd.IntN(2) == 0 { // create2
			o.Result.Stat = g.st.statOf(g.st.cur(results[0].CreatedPath))
		}
	case KindSetData:
		o.Result.Stat = g.st.statOf(g.st.cur(o.Path))
	}
}

func multiFailure(n, failAt int, code clientproto.ErrCode) []SubResult {
	out := make([]SubResult, n)
	for k := range out {
		switch {
		case k == failAt:
			out[k].Err = code
		case k > failAt:
			out[k].Err = clientproto.ErrRuntimeInconsistency
		}
	}
	return out
}

// serveRead answers a read from the session's replica, at a zxid no older than what the
// session has seen and no newer than what is committed.
func (g *gen) serveRead(o *Op, c *genClient) {
	srv := o.Server
	lo := max(g.applied[srv], c.lastSeen, c.appliedFloor)
	z := g.st.servable(g.rnd, lo)
	g.applied[srv] = z
	o.ReplyZxid, o.Outcome = z, OutcomeOK
	if o.Kind == KindSync {
		return
	}
	v := g.st.at(o.Path, z)
	if !v.exists {
		o.Outcome, o.Err = OutcomeError, clientproto.ErrNoNode
		return
	}
	switch o.Kind {
	case KindGetData:
		o.Result.Data, o.Result.Stat = []byte(v.data), g.st.statOf(v)
	case KindExists:
		o.Result.Stat = g.st.statOf(v)
	case KindGetChildren:
		kids := g.st.childrenAt(o.Path, z)
		g.rnd.Shuffle(len(kids), func(a, b int) { kids[a], kids[b] = kids[b], kids[a] })
		o.Result.Children = kids
	}
}

func (g *gen) finish(t int64, i int) {
	o := &g.ops[i]
	o.Return = t
	c := g.meta[i].c
	if o.ReplyZxid != NoZxid {
		c.lastSeen = max(c.lastSeen, o.ReplyZxid)
	}
	if o.Result.Stat != nil {
		c.versions[o.Path] = o.Result.Stat.Version
	}
	if o.Kind == KindCreate && o.Outcome == OutcomeOK && isSequential(o.Flags) {
		c.seqNames = append(c.seqNames, o.Result.CreatedPath)
	}
	if o.Kind == KindCloseSession {
		g.newSession(c)
	}
	if !g.meta[i].pipelined {
		g.push(t+g.between(0, 5), evInvoke, c, -1)
	}
}

// pick chooses the next call of client c: mostly under a few roots of a window that moves
// as the run goes (so partitions stay small), with unique data per call.
func (g *gen) pick(c *genClient) Op {
	g.issued++
	block := g.block()
	root := block[g.rnd.IntN(len(block))]
	c.counter++
	data := []byte(fmt.Sprintf("c%d-%d", c.id, c.counter))
	node := root + "/" + []string{"a", "b", "c"}[g.rnd.IntN(3)]
	if g.rnd.IntN(6) == 0 {
		node += "/x"
	}
	ver := int32(-1)
	if g.rnd.IntN(2) == 0 {
		ver = int32(g.rnd.IntN(2))
		if v, ok := c.versions[node]; ok {
			ver = v
		}
	}
	o := Op{Path: node, Version: -1}
	switch r := g.rnd.IntN(100); {
	case r < 14:
		o.Kind, o.Data, o.Flags = KindCreate, data, []int32{0, 0, 1}[g.rnd.IntN(3)]
	case r < 20:
		o.Kind, o.Path, o.Data, o.Flags = KindCreate, root+"/q-", data, []int32{2, 3}[g.rnd.IntN(2)]
	case r < 36:
		o.Kind, o.Data, o.Version = KindSetData, data, ver
	case r < 38:
		o.Kind, o.Path, o.Data = KindSetData, root, data
	case r < 46:
		o.Kind, o.Version = KindDelete, ver
	case r < 49 && len(c.seqNames) > 0:
		o.Kind, o.Path = KindDelete, c.seqNames[g.rnd.IntN(len(c.seqNames))]
	case r < 54:
		o = g.pickMulti(root, node, data, ver)
	case r < 70:
		o.Kind = KindGetData
	case r < 78:
		o.Kind = KindExists
	case r < 88:
		o.Kind, o.Path = KindGetChildren, root
	case r < 92:
		o.Kind, o.Path = KindSync, root
	case r < 93:
		o.Kind, o.Path = KindCloseSession, ""
	default:
		o.Kind, o.Path = KindGetData, root
	}
	return o
}

// block returns the three roots the current calls work under; blocks never overlap, so a
// multi spanning two roots joins partitions of one block only.
func (g *gen) block() []string {
	blocks := len(g.roots) / 3
	b := min(blocks-1, g.issued*blocks/max(1, g.cfg.ops))
	return g.roots[3*b : 3*b+3]
}

func (g *gen) pickMulti(root, node string, data []byte, ver int32) Op {
	o := Op{Kind: KindMulti, Version: -1}
	switch g.rnd.IntN(3) {
	case 0:
		o.SubOps = []SubOp{{Kind: KindCheck, Path: node, Version: ver}, {Kind: KindSetData, Path: node, Data: data, Version: -1}}
	case 1:
		o.SubOps = []SubOp{{Kind: KindCreate, Path: root + "/a", Data: data}, {Kind: KindCreate, Path: root + "/b", Data: data}}
	default:
		block := g.block()
		other := block[g.rnd.IntN(len(block))] + "/b"
		o.SubOps = []SubOp{{Kind: KindSetData, Path: node, Data: data, Version: -1},
			{Kind: KindSetData, Path: other, Data: data, Version: -1}}
	}
	return o
}
