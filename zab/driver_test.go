package zab

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/zabsim/zabsim/datatree"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// This file is an in-test deterministic world for protocol tests: servers, connections
// with a fixed latency (FIFO per connection), timers, and a fake disk whose operations
// complete after a latency or, for a server in manual-disk mode, only when the test says.

const (
	msNs         = int64(1e6)
	netLatencyNs = 1 * msNs
	diskNs       = 2 * msNs
	tcpTimeoutNs = 15000 * msNs
)

type tevent struct {
	at  int64
	seq int64
	fn  func()
}

type eventHeap []*tevent

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*tevent)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// fakeDisk is one server's durable state.
type fakeDisk struct {
	log           []Proposal // durable txn log
	snapTree      *datatree.Tree
	snapSessions  map[int64]int32
	snapZxid      int64
	acceptedEpoch int64
	currentEpoch  int64
	manual        bool
	held          []heldOp // manual mode: completions waiting for the test
}

type tconn struct {
	owner, peer int64
	ch          Channel
	other       ConnID
	closed      bool
	dead        bool // lost to a partition: delivers nothing more
}

type tworld struct {
	t        testing.TB
	cfg      *Config
	variant  Variant
	now      int64
	seq      int64
	events   eventHeap
	servers  map[int64]*Server
	disks    map[int64]*fakeDisk
	conns    map[ConnID]*tconn
	nextConn ConnID
	timerGen map[[2]int64]int64
	cut      map[[2]int64]bool // partitioned pairs (both directions)
	trace    []string
	effects  map[int64][]Effect // every effect each server emitted, in order
	// lose, when set, is asked about every delivery; true loses the message and black-holes
	// its connection (a crash or cut between two packets).
	lose func(to int64, msg any) bool
}

func newWorld(t testing.TB, n int, variant Variant) *tworld {
	return newWorldCfg(t, n, variant, "")
}

// newWorldCfg is newWorld with extra zoo.cfg lines.
func newWorldCfg(t testing.TB, n int, variant Variant, extra string) *tworld {
	t.Helper()
	var b strings.Builder
	b.WriteString("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/data\nclientPort=2181\n" + extra)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "server.%d=zk%d:2888:3888\n", i, i)
	}
	cfg, err := ParseConfig(strings.NewReader(b.String()), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	w := &tworld{t: t, cfg: cfg, variant: variant, servers: map[int64]*Server{}, disks: map[int64]*fakeDisk{},
		conns: map[ConnID]*tconn{}, timerGen: map[[2]int64]int64{}, cut: map[[2]int64]bool{},
		effects: map[int64][]Effect{}}
	for i := int64(1); i <= int64(n); i++ {
		w.disks[i] = &fakeDisk{snapTree: datatree.New(), snapSessions: map[int64]int32{}}
	}
	return w
}

func (w *tworld) at(t int64, fn func()) {
	w.seq++
	heap.Push(&w.events, &tevent{at: t, seq: w.seq, fn: fn})
}

func (w *tworld) logf(format string, args ...any) {
	w.trace = append(w.trace, fmt.Sprintf("%8.1fms ", float64(w.now)/1e6)+fmt.Sprintf(format, args...))
}

// recovered rebuilds a server's state from its fake disk (snapshot + log replay).
func (w *tworld) recovered(id int64) Recovered {
	d := w.disks[id]
	tree := d.snapTree.Clone()
	sessions := copySessions(d.snapSessions)
	last := d.snapZxid
	var committed []Proposal
	for _, p := range d.log {
		if p.Zxid <= d.snapZxid {
			continue
		}
		te, err := datatree.DecodeEntry(p.Body, 0)
		if err != nil {
			w.t.Fatalf("server %d: bad log entry: %v", id, err)
		}
		tree.ProcessTxn(te.Header, te.Txn)
		applySessionTxn(sessions, te)
		last = p.Zxid
	}
	// As ZKDatabase.loadDataBase: the committedLog holds the txns replayed after the
	// snapshot, not older log entries (which may have a hole where a SNAP sync was taken).
	for _, p := range d.log {
		if p.Zxid > d.snapZxid {
			committed = append(committed, p)
		}
	}
	if len(committed) > committedLogMax {
		committed = committed[len(committed)-committedLogMax:]
	}
	tree.SetLastProcessedZxid(max(tree.LastProcessedZxid(), last))
	return Recovered{Tree: tree, Sessions: sessions, LastLoggedZxid: last, CommittedLog: committed,
		AcceptedEpoch: d.acceptedEpoch, CurrentEpoch: d.currentEpoch}
}

func applySessionTxn(sessions map[int64]int32, te datatree.TxnEntry) {
	switch te.Header.Type {
	case datatree.OpCreateSession:
		sessions[te.Header.ClientID] = te.Txn.(*datatree.CreateSessionTxn).TimeoutMs
	case datatree.OpCloseSession:
		delete(sessions, te.Header.ClientID)
	}
}

// start boots server id from its disk.
func (w *tworld) start(id int64) {
	s, err := NewServer(w.cfg, id, w.recovered(id), Options{Variant: w.variant, Rand: rand.New(rand.NewPCG(uint64(id), 7))})
	if err != nil {
		w.t.Fatal(err)
	}
	w.servers[id] = s
	w.logf("s%d start", id)
	w.run(id, s.Start(w.now))
}

func (w *tworld) crash(id int64) {
	w.logf("s%d crash", id)
	delete(w.servers, id)
	d := w.disks[id]
	d.held = nil
	for c, tc := range w.conns { //det:unordered-ok test world, closing order is irrelevant to the outcome
		if tc.owner == id && !tc.closed {
			w.closeConn(c)
		}
	}
}

// run executes a server's effects.
func (w *tworld) run(id int64, effs []Effect) {
	s := w.servers[id]
	w.effects[id] = append(w.effects[id], effs...)
	for _, e := range effs {
		if w.servers[id] != s {
			return // crashed or exited
		}
		w.exec(id, s, e)
	}
}

func (w *tworld) blocked(a, b int64) bool { return w.cut[[2]int64{a, b}] || w.cut[[2]int64{b, a}] }

func (w *tworld) exec(id int64, s *Server, e Effect) {
	switch e := e.(type) {
	case Send:
		if rep, ok := e.Msg.(*cp.Reply); ok && rep.Xid >= 0 {
			w.logf("s%d reply conn %d xid %d zxid 0x%x err %v", id, e.Conn, rep.Xid, rep.Zxid, rep.Err)
		}
		tc := w.conns[e.Conn]
		if tc == nil || tc.closed {
			return
		}
		if pkt, ok := e.Msg.(QuorumPacket); ok && pkt.Type != PacketPing {
			w.logf("s%d -> s%d %v", id, tc.peer, pkt)
		}
		other := tc.other
		w.at(w.now+netLatencyNs, func() {
			oc := w.conns[other]
			if oc == nil || oc.closed || oc.dead {
				return
			}
			if w.blocked(oc.owner, oc.peer) || (w.lose != nil && w.lose(oc.owner, e.Msg)) {
				w.blackHole(other)
				return
			}
			if srv := w.servers[oc.owner]; srv != nil {
				w.run(oc.owner, srv.OnPeerMessage(w.now, other, e.Msg))
			}
		})
	case Dial:
		w.at(w.now+netLatencyNs, func() { w.dial(id, s, e) })
	case CloseConn:
		if tc := w.conns[e.Conn]; tc != nil && !tc.closed {
			tc.closed = true
			w.breakOther(tc.other)
		}
	case SetTimer:
		key := [2]int64{id, int64(e.ID)}
		w.timerGen[key]++
		gen := w.timerGen[key]
		w.at(e.At, func() {
			if w.timerGen[key] == gen && w.servers[id] == s {
				w.run(id, s.OnTimer(w.now, e.ID))
			}
		})
	case CancelTimer:
		w.timerGen[[2]int64{id, int64(e.ID)}]++
	case AppendTxns, RollAndSnapshot, WriteEpoch, Reload:
		w.disk(id, s, e)
	case Exit:
		w.logf("s%d exit %d: %s", id, e.Code, e.Reason)
		w.crash(id)
	case ModeChanged:
		w.logf("s%d mode %v leader %d (%s)", id, e.Mode, e.Leader, e.Reason)
	case Established:
		w.logf("s%d established epoch %d", id, e.Epoch)
	case Committed:
		w.logf("s%d committed 0x%x", id, e.Zxid)
	case Truncate:
		w.logf("s%d truncate to 0x%x", id, e.Zxid)
		w.disk(id, s, e)
	}
}

func (w *tworld) breakOther(c ConnID) {
	w.at(w.now+netLatencyNs, func() {
		oc := w.conns[c]
		if oc == nil || oc.closed {
			return
		}
		oc.closed = true
		if srv := w.servers[oc.owner]; srv != nil {
			w.run(oc.owner, srv.OnPeerClosed(w.now, c))
		}
	})
}

// blackHole: a message was lost to a partition. The connection never delivers again;
// both ends learn that it broke only after a TCP retransmission timeout (longer than
// syncLimit, so the protocol's own timeouts act first).
func (w *tworld) blackHole(c ConnID) {
	oc := w.conns[c]
	if oc.dead {
		return
	}
	oc.dead = true
	w.conns[oc.other].dead = true
	w.at(w.now+tcpTimeoutNs, func() {
		for _, x := range []ConnID{c, oc.other} {
			xc := w.conns[x]
			if xc.closed {
				continue
			}
			xc.closed = true
			if srv := w.servers[xc.owner]; srv != nil {
				w.run(xc.owner, srv.OnPeerClosed(w.now, x))
			}
		}
	})
}

func (w *tworld) closeConn(c ConnID) {
	tc := w.conns[c]
	tc.closed = true
	w.breakOther(tc.other)
}

func (w *tworld) dial(id int64, s *Server, d Dial) {
	if w.servers[id] != s {
		return
	}
	target := w.servers[d.Peer]
	if target == nil || w.blocked(id, d.Peer) {
		w.run(id, s.OnDialFailed(w.now, d.Peer, d.Channel))
		return
	}
	w.nextConn += 2
	a, b := w.nextConn-1, w.nextConn
	w.conns[a] = &tconn{owner: id, peer: d.Peer, ch: d.Channel, other: b}
	w.conns[b] = &tconn{owner: d.Peer, peer: id, ch: d.Channel, other: a}
	w.run(d.Peer, target.OnPeerConnected(w.now, b, id, d.Channel, false))
	if w.servers[id] == s {
		w.run(id, s.OnPeerConnected(w.now, a, d.Peer, d.Channel, true))
	}
}

// disk executes a disk effect against the fake disk; completion after diskNs, or held
// until releaseDisk in manual mode.
func (w *tworld) disk(id int64, s *Server, e Effect) {
	d := w.disks[id]
	var complete func()
	switch e := e.(type) {
	case AppendTxns:
		complete = func() {
			d.log = append(d.log, e.Entries...)
			w.run(id, s.OnDiskDone(w.now, e.Op, nil))
		}
	case RollAndSnapshot:
		tree, sessions, zxid := e.Tree.Clone(), copySessions(e.Sessions), e.Zxid
		complete = func() {
			d.snapTree, d.snapSessions, d.snapZxid = tree, sessions, zxid
			w.run(id, s.OnDiskDone(w.now, e.Op, nil))
		}
	case WriteEpoch:
		complete = func() {
			if e.Which == AcceptedEpochFile {
				d.acceptedEpoch = e.Value
			} else {
				d.currentEpoch = e.Value
			}
			w.run(id, s.OnDiskDone(w.now, e.Op, nil))
		}
	case Truncate:
		complete = func() {
			d.log = slices.DeleteFunc(d.log, func(p Proposal) bool { return p.Zxid > e.Zxid })
			if d.snapZxid > e.Zxid {
				// ZK-4837: ZooKeeper 3.8 would reload this newer snapshot and resurrect the
				// truncated txns. This world applies the proposed fix (skip snapshots newer
				// than the truncation point; the log here is never purged, so replaying it
				// from the start is complete).
				d.snapTree, d.snapSessions, d.snapZxid = datatree.New(), map[int64]int32{}, 0
			}
			w.run(id, s.OnReloaded(w.now, e.Op, w.recovered(id), nil))
		}
	case Reload:
		complete = func() { w.run(id, s.OnReloaded(w.now, e.Op, w.recovered(id), nil)) }
	}
	guarded := func() {
		if w.servers[id] == s {
			complete()
		}
	}
	if d.manual {
		d.held = append(d.held, heldOp{e: e, complete: guarded})
		return
	}
	w.at(w.now+diskNs, guarded)
}

// releaseDisk completes the oldest held disk op of a manual-disk server.
func (w *tworld) releaseDisk(id int64) bool {
	d := w.disks[id]
	if len(d.held) == 0 {
		return false
	}
	op := d.held[0]
	d.held = d.held[1:]
	op.complete()
	return true
}

type heldOp struct {
	e        Effect
	complete func()
}

// releaseDiskUntilAppend completes held ops up to (not including) the first AppendTxns.
func (w *tworld) releaseDiskUntilAppend(id int64) {
	for len(w.disks[id].held) > 0 {
		if _, ok := w.disks[id].held[0].e.(AppendTxns); ok {
			return
		}
		w.releaseDisk(id)
	}
}

// step runs the next event; false when none is left.
func (w *tworld) step() bool {
	if w.events.Len() == 0 {
		return false
	}
	ev := heap.Pop(&w.events).(*tevent)
	w.now = max(w.now, ev.at)
	ev.fn()
	return true
}

// runFor advances virtual time by d.
func (w *tworld) runFor(d int64) {
	end := w.now + d
	for w.events.Len() > 0 && w.events[0].at <= end {
		w.step()
	}
	w.now = end
}

// runUntil steps until cond holds or virtual time runs out.
func (w *tworld) runUntil(limit int64, cond func() bool) bool {
	end := w.now + limit
	for !cond() {
		if w.events.Len() == 0 || w.events[0].at > end {
			w.now = end
			return cond()
		}
		w.step()
	}
	return true
}

func (w *tworld) leader() int64 {
	for _, id := range w.ids() {
		if st := w.servers[id].Status(); st.Mode == Leading && st.Serving {
			return id
		}
	}
	return -1
}

func (w *tworld) ids() []int64 {
	var ids []int64
	for id := range w.servers { //det:unordered-ok sorted below
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// allServing reports whether every running server serves under one leader.
func (w *tworld) allServing() bool {
	l := w.leader()
	if l < 0 {
		return false
	}
	for _, id := range w.ids() {
		st := w.servers[id].Status()
		if !st.Serving || st.Leader != l {
			return false
		}
	}
	return true
}

func (w *tworld) partition(a int64, others ...int64) {
	for _, b := range others {
		w.cut[[2]int64{a, b}] = true
	}
}

func (w *tworld) heal() { w.cut = map[[2]int64]bool{} }

func (w *tworld) dump() string { return strings.Join(w.trace, "\n") }

// makeTxns builds n create txns /e<epoch>-<i> in epoch, starting at counter from.
func makeTxns(epoch int64, from, n int) []Proposal {
	var out []Proposal
	for i := 0; i < n; i++ {
		zxid := makeZxid(epoch, int64(from+i))
		te := datatree.TxnEntry{Header: datatree.TxnHeader{ClientID: 0, Cxid: int32(i), Zxid: zxid, Time: 1, Type: datatree.OpCreate},
			Txn: &datatree.CreateTxn{Path: fmt.Sprintf("/e%d-%d", epoch, from+i), Data: []byte("x"), ACL: datatree.OpenACLUnsafe}}
		out = append(out, Proposal{Zxid: zxid, Body: datatree.MarshalEntry(&te)})
	}
	return out
}

// giveLog puts txns on a server's durable log and sets its epochs.
func (w *tworld) giveLog(id int64, ps []Proposal, epoch int64) {
	d := w.disks[id]
	d.log = append(d.log, ps...)
	d.acceptedEpoch, d.currentEpoch = epoch, epoch
}

// connectClient opens a session for a client on conn at server id and runs until the
// ConnectResponse; it returns the session id.
func (w *tworld) connectClient(id int64, conn ConnID, timeoutMs int32) int64 {
	w.t.Helper()
	s := w.servers[id]
	w.run(id, s.OnClientConnected(w.now, conn))
	w.run(id, s.OnClientMessage(w.now, conn, &cp.ConnectRequest{TimeoutMs: timeoutMs}))
	w.runFor(50 * msNs)
	for _, m := range w.clientMsgs(id, conn) {
		if r, ok := m.(*cp.ConnectResponse); ok && r.TimeoutMs > 0 {
			return r.SessionID
		}
	}
	w.t.Fatalf("no session for conn %d on server %d\n%s", conn, id, w.dump())
	return 0
}

// clientMsgs lists what server id sent to client conn.
func (w *tworld) clientMsgs(id int64, conn ConnID) []any {
	var out []any
	for _, e := range w.effects[id] {
		if s, ok := e.(Send); ok && s.Conn == conn {
			out = append(out, s.Msg)
		}
	}
	return out
}

// request sends one client request and runs for a while.
func (w *tworld) request(id int64, conn ConnID, req *cp.Request) {
	w.run(id, w.servers[id].OnClientMessage(w.now, conn, req))
	w.runFor(50 * msNs)
}

func createReq(xid int32, path, data string) *cp.Request {
	return &cp.Request{Xid: xid, Op: cp.OpCreate, Body: &cp.CreateRequest{Path: path, Data: []byte(data), ACL: cp.OpenACLUnsafe}}
}
