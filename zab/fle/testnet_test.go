package fle

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
)

// testNet is an in-test deterministic network for running several Elections together:
// connections are FIFO per direction (like TCP), delays are drawn per message so messages
// of different connections reorder freely, and during the fault phase connections break
// (in-flight data lost, each side told after its own delay) and partitions come and go.
// One seed decides everything.
type testNet struct {
	rng    *rand.Rand
	now    int64
	seq    uint64
	events eventQueue
	nodes  []*testNode // nodes[i].id == i+1
	conns  map[ConnID]*testConn
	nextID ConnID

	// Fault phase: until faultsUntil, delays are drawn from [1, faultDelayMs] ms, each
	// message breaks its connection with probability breakProb, and partitions happen.
	faultsUntil  int64
	faultDelayMs int64
	breakProb    float64
	// After the faults: delays from [minDelayMs, maxDelayMs].
	minDelayMs, maxDelayMs int64
	// side[i] is node i+1's partition side during a partition; nil: none.
	side           []int
	partitionUntil int64

	// zabStandIn restarts the election of a follower whose leader is not LEADING and of a
	// leader without a quorum of followers, as ZAB's initLimit/syncLimit timeouts would.
	zabStandIn bool
	trace      []string
	traceOn    bool
}

type testNode struct {
	id          int64
	e           *Election
	cfg         Config
	down        bool
	zxid, epoch int64
	timers      map[Timer]int64
	decisions   []Decided
	decidedAt   int64
}

type testConn struct {
	dialer, acceptor int64
	up               map[int64]bool // which ends were told OnConnected
	broken           bool
	closedBy         map[int64]bool
	lastAt           map[int64]int64 // per receiving node: FIFO delivery time
}

type evKind int

const (
	evDeliver evKind = iota
	evConnected
	evDialFailed
	evClosed
	evTimer
	evStart
	evZabCheck
	evPartition
	evCrash
	evRestart
)

type netEvent struct {
	at      int64
	seq     uint64
	kind    evKind
	node    int64
	conn    ConnID
	peer    int64
	dialed  bool
	payload []byte
	timer   Timer
}

type eventQueue []netEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(netEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	ev := old[len(old)-1]
	*q = old[:len(old)-1]
	return ev
}

// nodeSpec is one server's persistent state and when it starts.
type nodeSpec struct {
	zxid, epoch int64
	startMs     int64
	observer    bool
}

func newTestNet(seed uint64, specs []nodeSpec, pred Predicate) *testNet {
	n := &testNet{
		rng:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		conns:      map[ConnID]*testConn{},
		minDelayMs: 1, maxDelayMs: 5,
	}
	var voters, observers []int64
	for i, sp := range specs {
		if sp.observer {
			observers = append(observers, int64(i+1))
		} else {
			voters = append(voters, int64(i+1))
		}
	}
	for i, sp := range specs {
		cfg := Config{MyID: int64(i + 1), Voters: voters, Observers: observers, Predicate: pred}
		e, err := New(cfg)
		if err != nil {
			panic(err)
		}
		n.nodes = append(n.nodes, &testNode{id: int64(i + 1), e: e, cfg: cfg, zxid: sp.zxid, epoch: sp.epoch, timers: map[Timer]int64{}})
		n.schedule(netEvent{at: sp.startMs * msNs, kind: evStart, node: int64(i + 1)})
	}
	return n
}

func (n *testNet) schedule(ev netEvent) {
	n.seq++
	ev.seq = n.seq
	heap.Push(&n.events, ev)
}

func (n *testNet) node(id int64) *testNode { return n.nodes[id-1] }

func (n *testNet) inFaults() bool { return n.now < n.faultsUntil }

func (n *testNet) delay() int64 {
	if n.inFaults() {
		return (1 + n.rng.Int64N(n.faultDelayMs)) * msNs
	}
	return (n.minDelayMs + n.rng.Int64N(n.maxDelayMs-n.minDelayMs+1)) * msNs
}

func (n *testNet) cut(a, b int64) bool {
	return n.side != nil && n.side[a-1] != n.side[b-1]
}

// step runs the next event; false when none is left.
func (n *testNet) step() bool {
	if n.events.Len() == 0 {
		return false
	}
	ev := heap.Pop(&n.events).(netEvent)
	n.now = ev.at
	if n.side != nil && n.now >= n.partitionUntil {
		n.side = nil
	}
	if ev.kind == evPartition {
		n.partition()
		return true
	}
	nd := n.node(ev.node)
	if n.traceOn {
		n.trace = append(n.trace, fmt.Sprintf("%8.1fms %d ev%d conn %d peer %d dialed %v timer %v len %d", float64(n.now)/msNs, ev.node, ev.kind, ev.conn, ev.peer, ev.dialed, ev.timer, len(ev.payload)))
	}
	if nd.down && ev.kind != evRestart {
		return true // a crashed process sees nothing
	}
	switch ev.kind {
	case evCrash:
		n.crash(nd)
	case evRestart:
		if nd.down {
			n.restart(nd)
		}
	case evStart:
		n.apply(nd, nd.e.Start(n.now, nd.zxid, nd.epoch))
	case evTimer:
		if nd.timers[ev.timer] == ev.at {
			delete(nd.timers, ev.timer)
			n.apply(nd, nd.e.OnTimer(n.now, ev.timer))
		}
	case evConnected:
		switch {
		case !n.conns[ev.conn].broken:
			n.conns[ev.conn].up[ev.node] = true
			n.apply(nd, nd.e.OnConnected(n.now, ev.conn, ev.peer, ev.dialed))
		case ev.dialed:
			n.apply(nd, nd.e.OnDialFailed(n.now, ev.peer)) // broken before it was up
		}
	case evDialFailed:
		n.apply(nd, nd.e.OnDialFailed(n.now, ev.peer))
	case evClosed:
		n.apply(nd, nd.e.OnClosed(n.now, ev.conn))
	case evDeliver:
		c := n.conns[ev.conn]
		if !c.broken && !c.closedBy[ev.node] {
			n.apply(nd, nd.e.OnMessage(n.now, ev.conn, ev.payload))
		}
	case evZabCheck:
		n.zabCheck(nd)
	}
	return true
}

// apply executes a node's effects on the network.
func (n *testNet) apply(nd *testNode, effs []Effect) {
	for _, eff := range effs {
		if n.traceOn {
			n.trace = append(n.trace, fmt.Sprintf("           %d %T %+v", nd.id, eff, eff))
		}
		switch eff := eff.(type) {
		case Send:
			n.send(nd.id, eff)
		case Dial:
			n.dial(nd.id, eff.To)
		case Close:
			n.closeConn(nd.id, eff.Conn)
		case SetTimer:
			nd.timers[eff.Timer] = eff.At
			n.schedule(netEvent{at: eff.At, kind: evTimer, node: nd.id, timer: eff.Timer})
		case CancelTimer:
			delete(nd.timers, eff.Timer)
		case Decided:
			nd.decisions = append(nd.decisions, eff)
			nd.decidedAt = n.now
			if n.traceOn {
				n.trace = append(n.trace, fmt.Sprintf("%8.1fms %d decided %s %s", float64(n.now)/msNs, nd.id, eff.State, eff.Vote))
			}
			if n.zabStandIn {
				n.schedule(netEvent{at: n.now + 20_000*msNs, kind: evZabCheck, node: nd.id})
			}
		}
	}
}

func (n *testNet) other(c *testConn, me int64) int64 {
	if c.dialer == me {
		return c.acceptor
	}
	return c.dialer
}

func (n *testNet) send(from int64, s Send) {
	c, ok := n.conns[s.Conn]
	if !ok || c.broken || c.closedBy[from] {
		return
	}
	to := n.other(c, from)
	if n.inFaults() && n.rng.Float64() < n.breakProb {
		n.breakConn(s.Conn)
		return
	}
	at := max(n.now+n.delay(), c.lastAt[to]+1)
	c.lastAt[to] = at
	n.schedule(netEvent{at: at, kind: evDeliver, node: to, conn: s.Conn, payload: s.Payload})
}

func (n *testNet) dial(from, to int64) {
	if n.cut(from, to) {
		return // no answer: the election's connect timeout fires
	}
	if n.node(to).down {
		n.schedule(netEvent{at: n.now + n.delay(), kind: evDialFailed, node: from, peer: to}) // refused
		return
	}
	n.nextID++
	id := n.nextID
	at := n.now + n.delay()
	n.conns[id] = &testConn{dialer: from, acceptor: to, up: map[int64]bool{}, closedBy: map[int64]bool{}, lastAt: map[int64]int64{}}
	n.schedule(netEvent{at: at, kind: evConnected, node: to, conn: id})
	n.schedule(netEvent{at: at, kind: evConnected, node: from, conn: id, peer: to, dialed: true})
}

// closeConn: the closer forgets the connection; data it sent still arrives, then the
// other side learns of the close.
func (n *testNet) closeConn(from int64, id ConnID) {
	c := n.conns[id]
	if c == nil || c.closedBy[from] {
		return
	}
	c.closedBy[from] = true
	to := n.other(c, from)
	at := max(n.now+n.delay(), c.lastAt[to]+1)
	c.lastAt[to] = at
	n.schedule(netEvent{at: at, kind: evClosed, node: to, conn: id})
}

// breakConn loses everything in flight; each side learns after its own delay.
func (n *testNet) breakConn(id ConnID) {
	c := n.conns[id]
	if c.broken {
		return
	}
	c.broken = true
	// An end not yet told OnConnected never is: the dialer's dial fails (see evConnected).
	for _, end := range []int64{c.dialer, c.acceptor} {
		if c.up[end] && !c.closedBy[end] {
			n.schedule(netEvent{at: n.now + n.delay(), kind: evClosed, node: end, conn: id})
		}
	}
}

// partition splits the nodes in two at random for a while and breaks the connections that
// cross; the next partition is scheduled while the fault phase lasts.
func (n *testNet) partition() {
	if !n.inFaults() {
		return
	}
	n.side = make([]int, len(n.nodes))
	for i := range n.side {
		n.side[i] = n.rng.IntN(2)
	}
	n.partitionUntil = n.now + (100+n.rng.Int64N(3000))*msNs
	ids := make([]ConnID, 0, len(n.conns))
	for id := range n.conns { //det:unordered-ok sorted right below
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if c := n.conns[id]; n.cut(c.dialer, c.acceptor) {
			n.breakConn(id)
		}
	}
	n.schedule(netEvent{at: n.partitionUntil + n.rng.Int64N(2000)*msNs, kind: evPartition})
}

// crash: the process dies; its connections break (the peers learn after a delay) and its
// memory is lost. restart brings up a fresh Election (logicalclock 0) with the same
// persistent state and starts it.
func (n *testNet) crash(nd *testNode) {
	nd.down = true
	clear(nd.timers)
	ids := make([]ConnID, 0, len(n.conns))
	for id := range n.conns { //det:unordered-ok sorted right below
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if c := n.conns[id]; c.dialer == nd.id || c.acceptor == nd.id {
			c.closedBy[nd.id] = true
			n.breakConn(id)
		}
	}
	if n.traceOn {
		n.trace = append(n.trace, fmt.Sprintf("%8.1fms %d crashed", float64(n.now)/msNs, nd.id))
	}
}

func (n *testNet) restart(nd *testNode) {
	e, err := New(nd.cfg)
	if err != nil {
		panic(err)
	}
	nd.e, nd.down = e, false
	n.apply(nd, nd.e.Start(n.now, nd.zxid, nd.epoch))
}

// zabCheck stands in for ZAB's timeouts: a follower whose leader is not LEADING for it, or
// a leader without a quorum of followers, goes back to LOOKING.
func (n *testNet) zabCheck(nd *testNode) {
	if nd.e.State() == Looking {
		return
	}
	if !n.establishedFor(nd) {
		n.apply(nd, nd.e.Start(n.now, nd.zxid, nd.epoch))
		return
	}
	n.schedule(netEvent{at: n.now + 2_000*msNs, kind: evZabCheck, node: nd.id})
}

func (n *testNet) establishedFor(nd *testNode) bool {
	leader := nd.e.CurrentVote().Leader
	if leader != nd.id {
		l := n.node(leader)
		return !l.down && l.e.State() == Leading && l.e.CurrentVote().Leader == leader && !n.cut(nd.id, leader)
	}
	followers := 0
	for _, f := range n.nodes {
		if f.id != nd.id && !f.down && f.e.State() == Following && f.e.CurrentVote().Leader == nd.id && !n.cut(f.id, nd.id) {
			followers++
		}
	}
	return 2*(followers+1) > len(nd.cfg.Voters)
}

// settled: nobody is LOOKING and everyone follows one leader that is LEADING.
func (n *testNet) settled() (leader int64, ok bool) {
	leader = n.nodes[0].e.CurrentVote().Leader
	for _, nd := range n.nodes {
		if nd.down || nd.e.State() == Looking || nd.e.CurrentVote().Leader != leader {
			return 0, false
		}
	}
	if leader < 1 || leader > int64(len(n.nodes)) || n.node(leader).e.State() != Leading {
		return 0, false
	}
	return leader, true
}

// runUntilSettled runs until settled after the fault phase or until limitNs.
func (n *testNet) runUntilSettled(limitNs int64) (int64, bool) {
	for n.now <= limitNs {
		if !n.inFaults() {
			if leader, ok := n.settled(); ok {
				return leader, true
			}
		}
		if !n.step() {
			break
		}
	}
	return 0, false
}
