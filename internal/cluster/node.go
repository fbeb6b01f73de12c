package cluster

import (
	"fmt"
	"slices"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// node is one server host: its zab.Server (nil while the host is down), the connections
// and timers of the current incarnation, and its durable store.
type node struct {
	c    *Cluster
	sid  int64
	host sim.HostID
	addr zab.ServerAddr

	srv   *zab.Server
	inc   int // bumped at every boot and crash: callbacks of an older incarnation are ignored
	conns map[zab.ConnID]*connInfo
	timer map[zab.TimerID]sim.Timer
	store *store

	// diskFreeAt serializes disk effects: each completes after the previous one.
	diskFreeAt sim.Time
	// unlogged are appended entries not yet reported durable (Logged), by zxid, so the
	// replica checker can fingerprint the bytes when the server says they are durable.
	unlogged []zab.Proposal
	leading  bool // established leader, as told to the replica checker
	// applied is the zxid of the last txn applied to the server's tree (unlike
	// zab.Status.LastProcessedZxid, which a new leader sets to its epoch's first zxid).
	applied int64
	// syncApplied are txns applied while syncing with a leader not yet established: they
	// reach the replica checker as commits only once that leader is (see observe.go).
	syncApplied []zab.Committed
	// staleReloads are the TRUNC reloads that picked a snapshot newer than the truncation
	// point (ZK-4837; see known4837.go).
	staleReloads []staleReload
	// ahead are writes of data newer than the server's currentEpoch (known1653.go).
	ahead []aheadWrite
	// crashesAtBoot is how many power losses the host had had at the last successful
	// boot (a later refusal to start is explained by the ones after it).
	crashesAtBoot int
	// bootsNs are the virtual times of its successful starts, in order.
	bootsNs []int64
	// acceptedWrites are the acceptedEpoch writes that completed, in order.
	acceptedWrites []epochWrite

	last  zab.Status // the server's status when last read (kept while it is down)
	exits int
}

type connInfo struct {
	conn   *sim.Conn
	client bool
}

func (n *node) now() int64 { return int64(n.c.w.LocalNow(n.host)) }

// sinceStartBefore keeps the crash reports from the second-to-last successful start at
// or before atNs on: the power losses whose disk the last start read, and any since it.
func (n *node) sinceStartBefore(reps []sim.CrashReport, atNs int64) []sim.CrashReport {
	last, prev := int64(-1), int64(-1)
	for _, b := range n.bootsNs {
		if b <= atNs {
			last, prev = b, last
		}
	}
	var out []sim.CrashReport
	for _, r := range reps {
		if int64(r.At) >= prev { // a power loss at the instant of a start came after it
			out = append(out, r)
		}
	}
	return out
}

type epochWrite struct {
	value, atNs int64
}

// lastAcceptedWrite returns when the server last completed writing acceptedEpoch =
// epoch at or before atNs.
func (n *node) lastAcceptedWrite(epoch, atNs int64) (int64, bool) {
	for i := len(n.acceptedWrites) - 1; i >= 0; i-- {
		if w := n.acceptedWrites[i]; w.value == epoch && w.atNs <= atNs {
			return w.atNs, true
		}
	}
	return 0, false
}

// acceptedEpochWritten says whether the server completed writing acceptedEpoch = epoch
// at a time in (fromNs, toNs].
func (n *node) acceptedEpochWritten(epoch, fromNs, toNs int64) bool {
	for _, w := range n.acceptedWrites {
		if w.value == epoch && w.atNs > fromNs && w.atNs <= toNs {
			return true
		}
	}
	return false
}

// boot recovers the server from its disk and starts it.
func (n *node) boot() error {
	rec, err := n.store.recover()
	if err != nil {
		return fmt.Errorf("cluster: server %d: recovery: %w", n.sid, err)
	}
	srv, err := zab.NewServer(n.c.cfg, n.sid, rec, zab.Options{Variant: n.c.opts.Variant,
		Rand: n.c.w.Rand(fmt.Sprintf("server/%d/%d", n.sid, n.inc))})
	if err != nil {
		return fmt.Errorf("cluster: server %d: %w", n.sid, err)
	}
	n.inc++
	n.srv = srv
	n.crashesAtBoot = len(n.c.CrashReports(n.sid))
	n.bootsNs = append(n.bootsNs, int64(n.c.w.Now()))
	n.conns = map[zab.ConnID]*connInfo{}
	n.timer = map[zab.TimerID]sim.Timer{}
	n.unlogged, n.syncApplied = nil, nil
	n.applied = rec.Tree.LastProcessedZxid()
	n.c.replicas.Recovered(int(n.sid), n.applied, uint64(rec.Tree.Digest()), true, int64(n.c.w.Now()))
	n.c.replicas.Epoch(int(n.sid), checkerAccepted, rec.AcceptedEpoch, int64(n.c.w.Now()))
	n.c.replicas.Epoch(int(n.sid), checkerCurrent, rec.CurrentEpoch, int64(n.c.w.Now()))
	// The quorum port is bound only while leading (ZooKeeper's Leader opens it).
	for _, port := range []int{n.addr.ElectionPort, n.clientPort()} {
		if err := n.c.w.Network().Listen(n.host, port, n.acceptOn(port)); err != nil {
			return fmt.Errorf("cluster: server %d: listen on port %d: %w", n.sid, port, err)
		}
	}
	n.c.tracef("server %d boot: lastLogged=0x%x epochs=%d/%d", n.sid, rec.LastLoggedZxid, rec.AcceptedEpoch, rec.CurrentEpoch)
	n.apply(n.srv.Start(n.now()))
	return nil
}

func (n *node) clientPort() int {
	if n.addr.ClientPort != 0 {
		return n.addr.ClientPort
	}
	return n.c.cfg.ClientPort
}

// down forgets the process: called from the host's crash hook (and for Exit).
func (n *node) down() {
	if n.srv == nil {
		return
	}
	n.last = n.srv.Status()
	if n.leading {
		n.leading = false
		n.c.replicas.LeaderLost(int(n.sid), int64(n.c.w.Now()))
	}
	n.srv = nil
	n.inc++
	n.conns, n.timer, n.unlogged, n.syncApplied = nil, nil, nil, nil
	n.diskFreeAt = 0
}

// alive returns the server if incarnation inc is still the running one.
func (n *node) alive(inc int) *zab.Server {
	if n.srv == nil || n.inc != inc {
		return nil
	}
	return n.srv
}

// acceptOn returns the accept callback of one listening port.
func (n *node) acceptOn(port int) func(*sim.Conn) sim.Handlers {
	inc := n.inc
	return func(sc *sim.Conn) sim.Handlers {
		srv := n.alive(inc)
		if srv == nil {
			_ = sc.Close()
			return sim.Handlers{}
		}
		id := zab.ConnID(sc.ID())
		if port == n.clientPort() {
			n.conns[id] = &connInfo{conn: sc, client: true}
			h := n.handlers(inc, id)
			n.apply(srv.OnClientConnected(n.now(), id))
			return h
		}
		peer, ok := n.c.sidOfHost[sc.Remote()]
		if !ok {
			_ = sc.Close() // not a server of the ensemble
			return sim.Handlers{}
		}
		ch := zab.Quorum
		if port == n.addr.ElectionPort {
			ch = zab.Election
		}
		n.conns[id] = &connInfo{conn: sc}
		h := n.handlers(inc, id)
		n.apply(srv.OnPeerConnected(n.now(), id, peer, ch, false))
		return h
	}
}

// handlers routes a connection's events to the server of incarnation inc.
func (n *node) handlers(inc int, id zab.ConnID) sim.Handlers {
	return sim.Handlers{
		OnMessage: func(_ *sim.Conn, payload any) {
			srv := n.alive(inc)
			ci := n.conns[id]
			if srv == nil || ci == nil {
				return
			}
			if ci.client {
				n.apply(srv.OnClientMessage(n.now(), id, payload))
				return
			}
			n.apply(srv.OnPeerMessage(n.now(), id, payload))
		},
		OnClose: func(_ *sim.Conn, _ error) {
			srv := n.alive(inc)
			ci := n.conns[id]
			if srv == nil || ci == nil {
				return
			}
			delete(n.conns, id)
			n.closed(srv, id, ci)
		},
	}
}

// closed tells the server that a connection was closed by the peer or broke.
func (n *node) closed(srv *zab.Server, id zab.ConnID, ci *connInfo) {
	if ci.client {
		n.apply(srv.OnClientClosed(n.now(), id))
	} else {
		n.apply(srv.OnPeerClosed(n.now(), id))
	}
}

// apply executes a batch of effects in order. A batch stops early if the host went down
// (an Exit, or a crash injected by a hook).
func (n *node) apply(effs []zab.Effect) {
	inc := n.inc
	for _, e := range effs {
		if n.alive(inc) == nil {
			return
		}
		n.applyOne(inc, e)
		if n.c.afterEffect != nil {
			n.c.afterEffect(n.sid, e)
		}
	}
}

func (n *node) applyOne(inc int, e zab.Effect) {
	switch e := e.(type) {
	case zab.Send:
		if ci := n.conns[e.Conn]; ci != nil {
			_ = ci.conn.Send(e.Msg, e.SizeBytes) // a closed end: the OnClose already told the server
		}
	case zab.Dial:
		n.dial(inc, e)
	case zab.CloseConn:
		if ci := n.conns[e.Conn]; ci != nil {
			delete(n.conns, e.Conn)
			_ = ci.conn.Close() // data already sent is delivered first, then the FIN
		}
	case zab.SetTimer:
		n.setTimer(inc, e)
	case zab.CancelTimer:
		n.timer[e.ID].Cancel()
		delete(n.timer, e.ID)
	case zab.AppendTxns, zab.RollAndSnapshot, zab.WriteEpoch, zab.Truncate, zab.Reload:
		n.disk(inc, e)
	case zab.Exit:
		n.exit(e)
	default:
		n.observe(e)
	}
}

func (n *node) dial(inc int, d zab.Dial) {
	peer := n.c.bySID[d.Peer]
	if peer == nil {
		n.c.harnessError(fmt.Sprintf("server %d dialed unknown server %d", n.sid, d.Peer))
		return
	}
	port := peer.addr.QuorumPort
	if d.Channel == zab.Election {
		port = peer.addr.ElectionPort
	}
	// Data the acceptor sends at once can arrive before our dial completes; it is held and
	// delivered right after OnPeerConnected, as TCP would (the SYN-ACK comes first).
	var id zab.ConnID
	var early []any
	h := sim.Handlers{
		OnMessage: func(sc *sim.Conn, p any) {
			if id == 0 {
				early = append(early, p)
				return
			}
			n.handlers(inc, id).OnMessage(sc, p)
		},
		OnClose: func(sc *sim.Conn, err error) { n.handlers(inc, id).OnClose(sc, err) },
	}
	n.c.w.Network().Dial(n.host, peer.host, port, h, func(sc *sim.Conn, err error) {
		srv := n.alive(inc)
		if srv == nil {
			if sc != nil {
				_ = sc.Close()
			}
			return
		}
		if err != nil {
			n.apply(srv.OnDialFailed(n.now(), d.Peer, d.Channel))
			return
		}
		id = zab.ConnID(sc.ID())
		n.conns[id] = &connInfo{conn: sc}
		n.apply(srv.OnPeerConnected(n.now(), id, d.Peer, d.Channel, true))
		for _, p := range early {
			n.handlers(inc, id).OnMessage(sc, p)
		}
		early = nil
	})
}

// setTimer arms t on the host's own clock. The server must see the timer fire at or after
// t.At on that clock: converting a span of a drifting clock to true time truncates, so the
// callback can land a nanosecond or so early; it then waits again for the rest (at least
// 1ns of true time, so the wait always ends) instead of handing the server an early fire
// that it would re-arm for the same instant forever.
func (n *node) setTimer(inc int, t zab.SetTimer) {
	n.timer[t.ID].Cancel()
	n.timer[t.ID] = n.c.w.AfterHost(n.host, n.trueDelay(t.At), func() { n.fireTimer(inc, t) })
}

// trueDelay is the true-time wait until the host's clock reads atLocalNs (0 if past).
func (n *node) trueDelay(atLocalNs int64) sim.Duration {
	d := sim.Duration(atLocalNs - n.now())
	if d <= 0 {
		return 0
	}
	return max(n.c.w.LocalToTrue(n.host, d), 1)
}

func (n *node) fireTimer(inc int, t zab.SetTimer) {
	srv := n.alive(inc)
	if srv == nil {
		return
	}
	if n.now() < t.At {
		n.timer[t.ID] = n.c.w.AfterHost(n.host, n.trueDelay(t.At), func() { n.fireTimer(inc, t) })
		return
	}
	delete(n.timer, t.ID)
	n.apply(srv.OnTimer(n.now(), t.ID))
}

// exit handles zab.Exit: the process ends as ZooKeeper's System.exit does, on a machine
// that stays up — the same as Kill: sockets closed, ports refusing, page cache kept. With
// Options.RestartAfterExit set, a supervisor restarts it.
func (n *node) exit(e zab.Exit) {
	n.exits++
	n.c.tracef("server %d exit code %d: %s", n.sid, e.Code, e.Reason)
	n.c.stopProcess(n)
	if n.c.opts.RestartAfterExit > 0 {
		n.c.w.After(n.c.opts.RestartAfterExit, func() { n.c.Restart(n.sid) })
	}
}

// observe feeds the observation effects to the status view and the replica checker.
func (n *node) observe(e zab.Effect) {
	at := int64(n.c.w.Now())
	switch e := e.(type) {
	case zab.ModeChanged:
		if n.leading && e.Mode != zab.Leading {
			n.leading = false
			n.c.replicas.LeaderLost(int(n.sid), at)
		}
		n.listenQuorum(e.Mode == zab.Leading)
		n.abandonSyncApplied(at)
		n.c.tracef("server %d mode %v leader %d epoch %d (%s)", n.sid, e.Mode, e.Leader, e.Epoch, e.Reason)
	case zab.Established:
		n.leading = true
		n.c.replicas.LeaderEstablished(int(n.sid), e.Epoch, at)
		n.c.onEstablished(n, e)
		n.c.releaseSyncApplied(e, at)
	case zab.Synced:
		n.c.tracef("server %d synced with %d in epoch %d by %v", n.sid, e.Leader, e.Epoch, e.Mode)
	case zab.Committed:
		n.committed(e, at)
	case zab.FastForwarded:
		n.movedWithoutCommits(e.Zxid, e.Digest, at)
	case zab.SnapInstalled:
		n.movedWithoutCommits(e.Zxid, e.Digest, at)
	case zab.Logged:
		n.logged(e.Zxid, at)
	}
}

// logged reports to the checker every appended entry up to zxid, now durable.
func (n *node) logged(zxid int64, at int64) {
	k := 0
	for k < len(n.unlogged) && n.unlogged[k].Zxid <= zxid {
		n.c.replicas.Logged(int(n.sid), n.unlogged[k].Zxid, n.unlogged[k].Body, at)
		k++
	}
	n.unlogged = n.unlogged[k:]
}

// closeSessionOf reads a log-entry body's TxnHeader: (clientId long, cxid int, zxid long,
// time long, type int). It reports the session of a closeSession txn.
func closeSessionOf(body []byte) (int64, bool) {
	const typeOff = 8 + 4 + 8 + 8
	if len(body) < typeOff+4 {
		return 0, false
	}
	typ := int32(uint32(body[typeOff])<<24 | uint32(body[typeOff+1])<<16 | uint32(body[typeOff+2])<<8 | uint32(body[typeOff+3]))
	if cp.OpCode(typ) != cp.OpCloseSession {
		return 0, false
	}
	var sess int64
	for _, b := range body[:8] {
		sess = sess<<8 | int64(b)
	}
	return sess, true
}

// connIDs returns the ids of the open connections, sorted.
func (n *node) connIDs() []zab.ConnID {
	ids := make([]zab.ConnID, 0, len(n.conns))
	for id := range n.conns { //det:unordered-ok sorted below
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// listenQuorum opens or closes the quorum port: ZooKeeper's Leader binds it when it
// starts leading and closes it when it stops, so a learner that dials a server not (yet)
// leading is refused and retries.
func (n *node) listenQuorum(on bool) {
	net := n.c.w.Network()
	if !on {
		net.Unlisten(n.host, n.addr.QuorumPort)
		return
	}
	if err := net.Listen(n.host, n.addr.QuorumPort, n.acceptOn(n.addr.QuorumPort)); err != nil {
		n.c.harnessError(fmt.Sprintf("server %d: listen on quorum port: %v", n.sid, err))
	}
}
