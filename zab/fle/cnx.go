package fle

import "slices"

// recvQueueCapacity is QuorumCnxManager.RECV_CAPACITY: a full receive queue drops its
// oldest message.
const recvQueueCapacity = 100

// peerLink is what QuorumCnxManager keeps per remote server: the current connection (its
// SendWorker), the send queue of capacity 1 (a newer message replaces an unsent older one)
// and the last message handed to a connection, re-sent on reconnect when the queue is
// empty.
type peerLink struct {
	conn     ConnID // 0: no connection
	queued   []byte // nil: queue empty
	lastSent []byte
	// hasQueue is whether queueSendMap has an entry for this peer (haveDelivered and
	// connectAll look only at those).
	hasQueue bool
}

// connState is one open connection: which peer it is to (0 until an accepted connection's
// handshake arrives).
type connState struct {
	peer           int64
	awaitHandshake bool
}

// inbound is one received notification waiting in the receive queue.
type inbound struct {
	from int64
	n    Notification
}

// cnxManager models QuorumCnxManager plus FLE's WorkerSender thread, I/O-free:
//   - the sender handles queued notifications in order; a notification to a peer with no
//     connection starts connectOne, which (as in 3.8 without SASL) is synchronous: the
//     sender waits until that dial succeeds or fails before handling the next one;
//   - connectOne is synchronized, so one dial is outstanding at a time; the others wait in
//     dialQueue;
//   - the connection tie-break: a dialed connection to a larger sid sends its handshake
//     and closes; an accepted connection from a smaller sid is closed and dialed back.
type cnxManager struct {
	links    map[int64]*peerLink
	conns    map[ConnID]*connState
	sendQ    []outbound
	waitSend int64 // sid whose dial the sender waits for; 0: not waiting
	dialing  int64 // sid of the outstanding dial; 0: none
	// timedOutSid/timedOutNs: the dial given up on ConnectTimer. The network may report
	// the same timeout at the same instant; that report must not end the next dial.
	timedOutSid, timedOutNs int64
	// redial: another connectOne for the sid being dialed waits on the monitor; if this
	// dial fails, it dials again (ZooKeeper's connectOne is synchronized, not coalesced).
	redial  bool
	dialQ   []int64
	inbox   []inbound
	dropped int // receive-queue overflows, for tests and reports
}

// outbound is a notification the sender has not handled yet (FLE's sendqueue).
type outbound struct {
	to      int64
	payload []byte
}

func (e *Election) link(sid int64) *peerLink {
	l, ok := e.cnx.links[sid]
	if !ok {
		l = &peerLink{}
		e.cnx.links[sid] = l
	}
	return l
}

// toSend queues a notification for the sender and lets it run.
func (e *Election) toSend(now int64, sid int64, n Notification) {
	e.cnx.sendQ = append(e.cnx.sendQ, outbound{to: sid, payload: n.Marshal()})
	e.runSender(now)
}

// runSender handles queued notifications until the queue is empty or the sender is
// blocked in connectOne.
func (e *Election) runSender(now int64) {
	for e.cnx.waitSend == 0 && len(e.cnx.sendQ) > 0 {
		m := e.cnx.sendQ[0]
		e.cnx.sendQ = e.cnx.sendQ[1:]
		if m.to == e.cfg.MyID {
			n, err := ParseNotification(m.payload)
			if err != nil {
				panic("fle: own notification does not parse: " + err.Error())
			}
			e.addToRecvQueue(inbound{from: m.to, n: n})
			continue
		}
		l := e.link(m.to)
		l.hasQueue = true
		l.queued = m.payload // capacity 1: the newest message wins
		if l.conn != 0 {
			e.flush(m.to, l)
			continue
		}
		e.connectOne(now, m.to, true)
	}
}

// flush hands the queued message of a connected peer to its connection.
func (e *Election) flush(sid int64, l *peerLink) {
	if l.queued == nil {
		return
	}
	e.emit(Send{Conn: l.conn, To: sid, Payload: l.queued})
	l.lastSent, l.queued = l.queued, nil
}

// connectOne asks for a connection to sid unless one exists; bySender makes the sender
// wait for the outcome.
func (e *Election) connectOne(now int64, sid int64, bySender bool) {
	if e.link(sid).conn != 0 {
		return
	}
	if bySender {
		e.cnx.waitSend = sid
	}
	if e.cnx.dialing == sid {
		e.cnx.redial = true
	}
	if e.cnx.dialing != sid && !slices.Contains(e.cnx.dialQ, sid) {
		e.cnx.dialQ = append(e.cnx.dialQ, sid)
	}
	e.startNextDial(now)
}

// startNextDial starts the first queued dial still needed, if none is outstanding.
func (e *Election) startNextDial(now int64) {
	for e.cnx.dialing == 0 && len(e.cnx.dialQ) > 0 {
		sid := e.cnx.dialQ[0]
		e.cnx.dialQ = e.cnx.dialQ[1:]
		if e.link(sid).conn != 0 {
			if e.cnx.waitSend == sid {
				e.cnx.waitSend = 0 // connected meanwhile: nothing to wait for
			}
			continue
		}
		e.cnx.dialing, e.cnx.redial = sid, false
		e.emit(Dial{To: sid})
		e.emit(SetTimer{Timer: ConnectTimer, At: now + e.cfg.ConnectTimeoutMs*msNs})
	}
}

// dialFinished records the end of connectOne for sid (connected, refused or timed out):
// the next dial may start and a sender waiting for it resumes. After a failure, a
// connectOne(sid) that waited on the monitor meanwhile (a dial-back for an accepted
// connection, connectAll) dials sid again first.
func (e *Election) dialFinished(now int64, sid int64, failed bool) {
	e.cnx.dialing = 0
	e.emit(CancelTimer{Timer: ConnectTimer})
	if e.cnx.waitSend == sid {
		e.cnx.waitSend = 0
	}
	if failed && e.cnx.redial && !slices.Contains(e.cnx.dialQ, sid) {
		e.cnx.dialQ = slices.Insert(e.cnx.dialQ, 0, sid)
	}
	e.cnx.redial = false
	e.startNextDial(now)
	e.runSender(now)
}

// haveDelivered is QuorumCnxManager.haveDelivered: true if *any* peer's send queue is
// empty (not all of them: ZooKeeper's quirk), false if there are no queues.
func (e *Election) haveDelivered() bool {
	for _, l := range e.cnx.links { //det:unordered-ok an "any" test; the result does not depend on order
		if l.hasQueue && l.queued == nil {
			return true
		}
	}
	return false
}

// connectAll is QuorumCnxManager.connectAll: connectOne for every peer with a send queue.
// Unlike ZooKeeper, where it blocks lookForLeader's thread, the dials just queue.
func (e *Election) connectAll(now int64) {
	for _, sid := range e.sortedLinkIDs() {
		if e.cnx.links[sid].hasQueue {
			e.connectOne(now, sid, false)
		}
	}
}

func (e *Election) sortedLinkIDs() []int64 {
	ids := make([]int64, 0, len(e.cnx.links))
	for sid := range e.cnx.links { //det:unordered-ok sorted right below
		ids = append(ids, sid)
	}
	slices.Sort(ids)
	return ids
}

// adopt makes conn the connection to sid (a new SendWorker): an older connection is
// closed, and the worker starts by re-sending the last message if the queue is empty.
func (e *Election) adopt(conn ConnID, sid int64) {
	l := e.link(sid)
	if l.conn != 0 && l.conn != conn {
		e.closeConn(l.conn)
	}
	l.conn, l.hasQueue = conn, true
	if l.queued == nil && l.lastSent != nil {
		e.emit(Send{Conn: conn, To: sid, Payload: l.lastSent})
		return
	}
	e.flush(sid, l)
}

// closeConn closes a connection we hold and forgets it.
func (e *Election) closeConn(conn ConnID) {
	c, ok := e.cnx.conns[conn]
	if !ok {
		return
	}
	delete(e.cnx.conns, conn)
	if l, ok := e.cnx.links[c.peer]; ok && l.conn == conn {
		l.conn = 0
	}
	e.emit(Close{Conn: conn})
}

// addToRecvQueue appends to the receive queue, dropping the oldest when it is full.
func (e *Election) addToRecvQueue(m inbound) {
	if len(e.cnx.inbox) >= recvQueueCapacity {
		e.cnx.inbox = e.cnx.inbox[1:]
		e.cnx.dropped++
	}
	e.cnx.inbox = append(e.cnx.inbox, m)
}

// OnConnected reports a new election connection. dialed says whether this side dialed it
// (then peer is the server dialed); for an accepted connection peer is ignored: the
// remote's id comes from its handshake, the first message on the connection.
func (e *Election) OnConnected(now int64, conn ConnID, peer int64, dialed bool) []Effect {
	e.out = nil
	if !dialed {
		e.cnx.conns[conn] = &connState{awaitHandshake: true}
		return e.out
	}
	e.cnx.conns[conn] = &connState{peer: peer}
	e.emit(Send{Conn: conn, To: peer, Payload: e.handshake(), Handshake: true})
	if peer > e.cfg.MyID {
		e.closeConn(conn) // lost the challenge: the larger sid dials back
	} else {
		e.adopt(conn, peer)
	}
	if peer == e.cnx.dialing {
		e.dialFinished(now, peer, false)
	}
	e.drain(now)
	return e.out
}

// connectTimedOut ends the outstanding dial on ConnectTimer (connect's cnxTimeout). A
// network that also reports the timeout does so at the same instant (zabsim's sim uses the
// same 5 s); staleDialFailure drops that report.
func (e *Election) connectTimedOut(now int64) {
	sid := e.cnx.dialing
	if sid == 0 {
		return
	}
	e.cnx.timedOutSid, e.cnx.timedOutNs = sid, now
	e.dialFinished(now, sid, true)
}

// staleDialFailure says whether a failure reported for sid now is the network's report of
// the dial ConnectTimer already ended (reported once).
func (e *Election) staleDialFailure(now, sid int64) bool {
	if e.cnx.timedOutSid != sid || e.cnx.timedOutNs != now {
		return false
	}
	e.cnx.timedOutSid = 0
	return true
}

func (e *Election) handshake() []byte {
	return Handshake{ProtocolVersion: ProtocolVersionV1, Sid: e.cfg.MyID, Addr: e.cfg.ElectionAddr}.Marshal()
}

// OnDialFailed reports that a Dial to peer failed (refused, unreachable, timed out).
func (e *Election) OnDialFailed(now int64, peer int64) []Effect {
	e.out = nil
	if e.staleDialFailure(now, peer) {
		return e.out
	}
	if peer == e.cnx.dialing {
		e.dialFinished(now, peer, true)
	}
	e.drain(now)
	return e.out
}

// OnClosed reports that the remote side or the network closed conn.
func (e *Election) OnClosed(now int64, conn ConnID) []Effect {
	e.out = nil
	if c, ok := e.cnx.conns[conn]; ok {
		delete(e.cnx.conns, conn)
		if l, ok := e.cnx.links[c.peer]; ok && l.conn == conn {
			l.conn = 0
		}
	}
	return e.out
}

// OnMessage delivers one message received on conn: the handshake of an accepted
// connection, or a notification frame.
func (e *Election) OnMessage(now int64, conn ConnID, payload []byte) []Effect {
	e.out = nil
	c, ok := e.cnx.conns[conn]
	switch {
	case !ok:
		// A connection we closed: data still in flight is discarded.
	case len(payload) == 0 || len(payload) > MaxFrameBytes:
		e.closeConn(conn) // RecvWorker: "Received packet with invalid packet"
	case c.awaitHandshake:
		e.acceptHandshake(now, conn, c, payload)
	default:
		if n, err := ParseNotification(payload); err == nil {
			e.addToRecvQueue(inbound{from: c.peer, n: n})
		}
		// A malformed notification is dropped, as WorkerReceiver drops short ones.
	}
	e.drain(now)
	return e.out
}

// acceptHandshake applies the connection rules to an accepted connection once the
// remote's handshake names it.
func (e *Election) acceptHandshake(now int64, conn ConnID, c *connState, payload []byte) {
	h, err := ParseHandshake(payload)
	if err != nil || !e.isServer(h.Sid) || h.Sid == e.cfg.MyID {
		e.closeConn(conn)
		return
	}
	c.peer, c.awaitHandshake = h.Sid, false
	if h.Sid > e.cfg.MyID {
		e.adopt(conn, h.Sid)
		return
	}
	// The smaller sid dialed us: drop any connection we think we have, close this one and
	// dial back, so that the surviving connection is the one the larger sid initiated.
	if l := e.link(h.Sid); l.conn != 0 {
		e.closeConn(l.conn)
	}
	e.closeConn(conn)
	e.connectOne(now, h.Sid, false)
}
