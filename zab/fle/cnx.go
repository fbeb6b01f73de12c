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

// cnxManager models QuorumCnxManager plus FLE's WorkerSender thread, I/O-free, as in 3.8
// (since ZOOKEEPER-3756, 3.6.1):
//   - the sender hands each queued notification to the peer's send queue at once and never
//     waits: a peer with no connection gets connectOne, which only starts the dial
//     (initiateConnectionAsync) and returns;
//   - dials run in parallel, at most one per peer (inprogressConnections): a connectOne
//     for a peer whose dial is in progress is skipped;
//   - the connection tie-break: a dialed connection to a larger sid sends its handshake
//     and closes; an accepted connection from a smaller sid is closed and dialed back.
type cnxManager struct {
	links map[int64]*peerLink
	conns map[ConnID]*connState
	sendQ []outbound
	// dialing: the peers with a dial in progress and when each gives up (cnxTimeout).
	dialing map[int64]int64
	// timedOut: when ConnectTimer gave up on a peer's dial. The network may report the same
	// timeout at the same instant; that report must not end the next dial.
	timedOut map[int64]int64
	// redial: peers whose dial-back arrived while their dial was in progress; if that dial
	// fails, it is made again at once (see docs/fidelity/fle.md: it stands in for the SYN
	// retransmission zabsim's network does not model).
	redial  map[int64]bool
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

// runSender handles every queued notification: loopback ones go to the receive queue,
// the others to their peer's send queue (and connection, or a new dial).
func (e *Election) runSender(now int64) {
	for len(e.cnx.sendQ) > 0 {
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
		e.connectOne(now, m.to, false)
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

// connectOne starts a dial to sid unless it is connected or being dialed. redialIfBusy
// (a dial-back, connectAll) asks for one more dial if the one in progress fails.
func (e *Election) connectOne(now int64, sid int64, redialIfBusy bool) {
	if e.startDial(now, sid, redialIfBusy) {
		e.armConnectTimer()
	}
}

// startDial is connectOne without arming ConnectTimer; it says whether a dial began.
func (e *Election) startDial(now int64, sid int64, redialIfBusy bool) bool {
	if e.link(sid).conn != 0 {
		return false
	}
	if _, busy := e.cnx.dialing[sid]; busy {
		if redialIfBusy {
			e.cnx.redial[sid] = true
		}
		return false
	}
	e.cnx.dialing[sid] = now + e.cfg.ConnectTimeoutMs*msNs
	e.emit(Dial{To: sid})
	return true
}

// armConnectTimer sets ConnectTimer to the earliest give-up time of the dials in progress.
func (e *Election) armConnectTimer() {
	at := int64(0)
	for _, deadline := range e.cnx.dialing { //det:unordered-ok a minimum; the result does not depend on order
		if at == 0 || deadline < at {
			at = deadline
		}
	}
	if at == 0 {
		e.emit(CancelTimer{Timer: ConnectTimer})
		return
	}
	e.emit(SetTimer{Timer: ConnectTimer, At: at})
}

// dialFinished records the end of the dial to sid (connected, refused or timed out).
func (e *Election) dialFinished(now int64, sid int64, failed bool) {
	if e.endDial(now, sid, failed) {
		e.armConnectTimer()
	}
}

// endDial forgets the dial to sid, if one is in progress, without re-arming ConnectTimer;
// after a failure, a dial-back that arrived meanwhile dials sid again. It says whether
// there was a dial.
func (e *Election) endDial(now int64, sid int64, failed bool) bool {
	if _, ok := e.cnx.dialing[sid]; !ok {
		return false
	}
	delete(e.cnx.dialing, sid)
	again := failed && e.cnx.redial[sid]
	delete(e.cnx.redial, sid)
	if again {
		e.startDial(now, sid, false)
	}
	return true
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
func (e *Election) connectAll(now int64) {
	for _, sid := range e.sortedLinkIDs() {
		if e.cnx.links[sid].hasQueue {
			e.connectOne(now, sid, true)
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
	e.dialFinished(now, peer, false)
	e.drain(now)
	return e.out
}

// connectTimedOut ends, on ConnectTimer, every dial whose cnxTimeout has passed (none if
// the fire is stale; the timer is re-armed for the earliest dial left). A
// network that also reports the timeout does so at the same instant (zabsim's sim uses the
// same 5 s); staleDialFailure drops that report.
func (e *Election) connectTimedOut(now int64) {
	var expired []int64
	for sid, deadline := range e.cnx.dialing { //det:unordered-ok collected, then sorted
		if deadline <= now {
			expired = append(expired, sid)
		}
	}
	slices.Sort(expired)
	for _, sid := range expired {
		e.cnx.timedOut[sid] = now
		e.endDial(now, sid, true)
	}
	e.armConnectTimer()
}

// staleDialFailure says whether a failure reported for sid now is the network's report of
// a dial ConnectTimer already ended (reported once).
func (e *Election) staleDialFailure(now, sid int64) bool {
	at, ok := e.cnx.timedOut[sid]
	if !ok || at != now {
		return false
	}
	delete(e.cnx.timedOut, sid)
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
	e.dialFinished(now, peer, true)
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
	e.connectOne(now, h.Sid, true)
}
