package zab

import (
	"slices"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

const (
	opCreateSession = cp.OpCreateSession
	opCloseSession  = cp.OpCloseSession
)

type clientState int

const (
	cAwaitConnect clientState = iota
	cCreating                 // createSession submitted
	cRevalidating             // waiting for the leader's REVALIDATE answer
	cOpen
	cClosing // closeSession submitted
)

// clientConn is one client connection (ServerCnxn).
type clientConn struct {
	conn      ConnID
	state     clientState
	sessionID int64
	timeoutMs int32
	queue     []*pendingRequest // per-session FIFO of unanswered requests
}

// pendingRequest is a client request waiting for its turn or its txn.
type pendingRequest struct {
	cc    *clientConn
	req   *cp.Request
	write bool // write or sync: answered when its txn (or SYNC) is applied locally
	reply *cp.Reply
}

// submission is a request handed to the leader's pipeline.
type submission struct {
	origin    int64 // sid of the server the client is connected to
	sessionID int64
	cxid      int32
	op        cp.OpCode
	req       *cp.Request // nil for createSession / closeSession
	timeoutMs int32       // createSession
	learner   ConnID      // the learner connection that forwarded it (0: local)
}

func (s *Server) serving() bool {
	return (s.lead != nil && s.lead.phase == phaseBroadcast) || (s.follow != nil && s.follow.phase == fBroadcast)
}

// OnClientConnected reports a new client connection.
func (s *Server) OnClientConnected(now int64, conn ConnID) []Effect {
	if s.exited {
		return nil
	}
	if !s.serving() {
		s.emit(CloseConn{Conn: conn})
		return s.flush()
	}
	s.clients[conn] = &clientConn{conn: conn}
	return s.flush()
}

// OnClientClosed reports that a client connection broke.
func (s *Server) OnClientClosed(now int64, conn ConnID) []Effect {
	if cc, ok := s.clients[conn]; ok {
		s.forgetClient(cc)
	}
	return s.flush()
}

func (s *Server) forgetClient(cc *clientConn) {
	delete(s.clients, cc.conn)
	if s.sess.local[cc.sessionID] == cc.conn {
		delete(s.sess.local, cc.sessionID)
	}
	s.db.tree.RemoveWatcher(datatree.WatcherID(cc.conn))
}

func (s *Server) closeClient(cc *clientConn) {
	s.forgetClient(cc)
	s.emit(CloseConn{Conn: cc.conn})
}

// disconnectClients closes every client connection (the server stopped serving).
func (s *Server) disconnectClients(now int64) {
	conns := make([]ConnID, 0, len(s.clients))
	for c := range s.clients { //det:unordered-ok sorted below
		conns = append(conns, c)
	}
	slices.Sort(conns)
	for _, c := range conns {
		s.closeClient(s.clients[c])
	}
}

// OnClientMessage delivers a *clientproto.ConnectRequest (first message) or a
// *clientproto.Request.
func (s *Server) OnClientMessage(now int64, conn ConnID, msg any) []Effect {
	if s.exited {
		return nil
	}
	cc, ok := s.clients[conn]
	if !ok {
		return nil
	}
	switch m := msg.(type) {
	case *cp.ConnectRequest:
		if cc.state == cAwaitConnect {
			s.clientConnect(now, cc, m)
		}
	case *cp.Request:
		if cc.state == cOpen {
			s.clientRequest(now, cc, m)
		}
	default:
		s.closeClient(cc)
	}
	return s.flush()
}

func (s *Server) sendClient(conn ConnID, msg any, op cp.OpCode) {
	s.emit(Send{Conn: conn, Msg: msg, SizeBytes: cp.SizeBytes(msg, op)})
}

// clientConnect is processConnectRequest.
func (s *Server) clientConnect(now int64, cc *clientConn, req *cp.ConnectRequest) {
	if req.LastZxidSeen > s.db.lastProcessed {
		// "Refusing session request for client as it has seen zxid … our last zxid is …"
		s.closeClient(cc)
		return
	}
	cc.timeoutMs = s.negotiateTimeout(req.TimeoutMs)
	if req.SessionID == 0 {
		cc.sessionID = s.sess.mint()
		cc.state = cCreating
		s.sess.local[cc.sessionID] = cc.conn
		s.submit(now, submission{origin: s.id, sessionID: cc.sessionID, op: opCreateSession, timeoutMs: cc.timeoutMs})
		return
	}
	cc.sessionID = req.SessionID
	if !slices.Equal(req.Passwd, sessionPassword(req.SessionID)) {
		s.finishConnect(cc, false)
		return
	}
	s.sess.local[cc.sessionID] = cc.conn
	cc.state = cRevalidating
	if s.lead != nil {
		valid := s.touchSession(now, cc.sessionID, cc.timeoutMs)
		if valid {
			s.sess.tracked[cc.sessionID].owner = s.id
		}
		s.finishConnect(cc, valid)
		return
	}
	var e jute.Encoder
	e.Long(cc.sessionID)
	e.Int(cc.timeoutMs)
	s.follow.revalidating[cc.sessionID] = cc.conn
	s.send(s.follow.conn, QuorumPacket{Type: PacketRevalidate, Data: e.Bytes()})
}

// finishConnect answers the ConnectRequest; an invalid session gets timeout 0 and is closed.
func (s *Server) finishConnect(cc *clientConn, valid bool) {
	// finishSessionInit: an invalid session gets timeout 0, id 0 and a zero password.
	resp := &cp.ConnectResponse{Passwd: make([]byte, 16)}
	if valid {
		resp.TimeoutMs, resp.SessionID, resp.Passwd = cc.timeoutMs, cc.sessionID, sessionPassword(cc.sessionID)
		cc.state = cOpen
		s.noteTouch(cc)
	}
	s.sendClient(cc.conn, resp, 0)
	if !valid {
		s.closeClient(cc)
	}
}

// noteTouch records client activity for the next PING reply (followers only; the
// leader touches its tracker directly).
func (s *Server) noteTouch(cc *clientConn) {
	if s.follow != nil {
		s.sess.touch(cc.sessionID, cc.timeoutMs)
	}
}

func (s *Server) leaderRevalidate(now int64, h *learnerHandler, data []byte) {
	d := jute.NewDecoder(data, 0)
	id := d.Long("revalidate sessionId")
	to := d.Int("revalidate timeout")
	if d.Err() != nil {
		s.dropLearner(now, h.conn, "bad REVALIDATE")
		return
	}
	valid := s.touchSession(now, id, to)
	if valid {
		s.sess.tracked[id].owner = h.sid
	}
	var e jute.Encoder
	e.Long(id)
	e.Bool(valid)
	s.send(h.conn, QuorumPacket{Type: PacketRevalidate, Data: e.Bytes()})
}

func (s *Server) followerRevalidated(now int64, data []byte) {
	d := jute.NewDecoder(data, 0)
	id := d.Long("revalidate sessionId")
	valid := d.Bool("revalidate valid")
	conn, ok := s.follow.revalidating[id]
	if d.Err() != nil || !ok {
		return
	}
	delete(s.follow.revalidating, id)
	if cc, ok := s.clients[conn]; ok && cc.state == cRevalidating {
		s.finishConnect(cc, valid)
	}
}

// clientRequest is the per-session FIFO pipeline: writes and syncs go to the leader, reads
// wait for the session's earlier writes and then run on the local tree.
func (s *Server) clientRequest(now int64, cc *clientConn, req *cp.Request) {
	if s.lead != nil {
		s.touchSession(now, cc.sessionID, cc.timeoutMs)
	} else {
		s.noteTouch(cc)
	}
	if req.Op == cp.OpPing {
		s.sendClient(cc.conn, &cp.Reply{Xid: cp.XidPing, Zxid: s.db.lastProcessed}, cp.OpPing)
		return
	}
	write := req.Op.IsWrite() || req.Op == cp.OpSync || req.Op == cp.OpCloseSession
	pr := &pendingRequest{cc: cc, req: req, write: write}
	cc.queue = append(cc.queue, pr)
	if write {
		if req.Op == cp.OpCloseSession {
			cc.state = cClosing
		}
		s.submit(now, submission{origin: s.id, sessionID: cc.sessionID, cxid: req.Xid, op: req.Op, req: req})
	}
	s.drainClient(cc)
}

// drainClient answers the session's requests in order as far as possible.
func (s *Server) drainClient(cc *clientConn) {
	for len(cc.queue) > 0 {
		pr := cc.queue[0]
		if pr.write && pr.reply == nil {
			return
		}
		if !pr.write {
			pr.reply = s.serveRead(cc, pr.req)
		}
		cc.queue = cc.queue[1:]
		s.sendClient(cc.conn, pr.reply, pr.req.Op)
		if pr.req.Op == cp.OpCloseSession {
			s.closeClient(cc)
			return
		}
	}
}

// submit hands a write/sync/session request to the leader (locally or as REQUEST).
func (s *Server) submit(now int64, sub submission) {
	if s.lead != nil {
		s.leaderSubmit(now, sub)
		return
	}
	if s.follow == nil || s.follow.conn == 0 {
		return
	}
	if sub.op == cp.OpSync {
		s.follow.pendingSyncs = append(s.follow.pendingSyncs, s.findPending(sub.sessionID, sub.cxid))
	}
	s.send(s.follow.conn, QuorumPacket{Type: PacketRequest, Data: encodeForwarded(sub)})
}

// encodeForwarded is a REQUEST payload: long sessionId, int cxid, int type, request bytes.
func encodeForwarded(sub submission) []byte {
	var e jute.Encoder
	e.Long(sub.sessionID)
	e.Int(sub.cxid)
	e.Int(int32(sub.op))
	switch {
	case sub.op == opCreateSession:
		e.Int(sub.timeoutMs)
	case sub.req != nil && sub.op != opCloseSession:
		b, err := cp.EncodeRequest(sub.req)
		if err != nil {
			panic("zab: encoding a request the server accepted: " + err.Error())
		}
		e.Raw(b[8:]) // drop the RequestHeader (xid, type): the body follows
	}
	return e.Bytes()
}

func (s *Server) leaderRequestFromLearner(now int64, h *learnerHandler, data []byte) {
	d := jute.NewDecoder(data, 0)
	sub := submission{origin: h.sid, learner: h.conn}
	sub.sessionID = d.Long("request sessionId")
	sub.cxid = d.Int("request cxid")
	sub.op = cp.OpCode(d.Int("request type"))
	if d.Err() != nil {
		s.dropLearner(now, h.conn, "bad REQUEST")
		return
	}
	body := d.Rest()
	if !datatree.IsWrite(int32(sub.op)) && sub.op != cp.OpSync {
		s.dropLearner(now, h.conn, "REQUEST with non-write op "+sub.op.String())
		return
	}
	switch sub.op {
	case opCreateSession:
		to, err := decodeInt(body, "createSession timeout")
		if err != nil {
			s.dropLearner(now, h.conn, err.Error())
			return
		}
		sub.timeoutMs = to
	case opCloseSession:
	default:
		var hdr jute.Encoder
		hdr.Int(sub.cxid)
		hdr.Int(int32(sub.op))
		hdr.Raw(body)
		req, err := cp.DecodeRequest(hdr.Bytes())
		if err != nil {
			s.dropLearner(now, h.conn, "bad REQUEST body: "+err.Error())
			return
		}
		sub.req = req
	}
	s.leaderSubmit(now, sub)
}

func (s *Server) findPending(sessionID int64, xid int32) *pendingRequest {
	conn, ok := s.sess.local[sessionID]
	if !ok {
		return nil
	}
	cc := s.clients[conn]
	if cc == nil {
		return nil
	}
	for _, pr := range cc.queue {
		if pr.write && pr.reply == nil && pr.req.Xid == xid {
			return pr
		}
	}
	return nil
}

// leaderSubmit is the leader's PrepRequestProcessor → ProposalRequestProcessor.
func (s *Server) leaderSubmit(now int64, sub submission) {
	l := s.lead
	if l == nil || l.phase != phaseBroadcast {
		return
	}
	if sub.op == cp.OpSync {
		w := syncWaiter{learner: sub.learner, req: s.findPending(sub.sessionID, sub.cxid)}
		if len(l.outstanding) == 0 {
			s.answerSync(now, w)
		} else {
			l.syncWaiters[l.lastProposed] = append(l.syncWaiters[l.lastProposed], w)
		}
		return
	}
	zxid := l.lastProposed + 1
	if counterOf(zxid) == 0xffffffff {
		s.leaderShutdown(now, "zxid lower 32 bits have rolled over, forcing re-election, and therefore new epoch start")
		return
	}
	e := s.prep(now, sub, zxid)
	s.propose(now, e)
}

// answerSync completes a sync: to the learner that forwarded it, or to the local client.
func (s *Server) answerSync(now int64, w syncWaiter) {
	if w.learner != 0 {
		if _, ok := s.lead.learners[w.learner]; ok {
			s.send(w.learner, QuorumPacket{Type: PacketSync})
		}
		return
	}
	s.completeSync(w.req)
}

func (s *Server) completeSync(pr *pendingRequest) {
	if pr == nil {
		return
	}
	path := ""
	if b, ok := pr.req.Body.(*cp.SyncRequest); ok {
		path = b.Path
	}
	pr.reply = &cp.Reply{Xid: pr.req.Xid, Zxid: s.db.lastProcessed, Body: &cp.PathResponse{Path: path}}
	s.drainClient(pr.cc)
}

func (s *Server) followerSyncDone(now int64) {
	f := s.follow
	if len(f.pendingSyncs) == 0 {
		return
	}
	pr := f.pendingSyncs[0]
	f.pendingSyncs = f.pendingSyncs[1:]
	s.completeSync(pr)
}

// afterApply answers the local client whose txn this was and delivers watch events.
func (s *Server) afterApply(now int64, e *entry, res applyResult) {
	s.deliverEvents(res.events)
	h := e.txn.Header
	conn, ok := s.sess.local[h.ClientID]
	if !ok {
		return
	}
	cc := s.clients[conn]
	if cc == nil {
		return
	}
	if h.Type == datatree.OpCreateSession && cc.state == cCreating {
		s.finishConnect(cc, true)
		return
	}
	pr := s.findPending(h.ClientID, h.Cxid)
	if pr == nil {
		if h.Type == datatree.OpCloseSession {
			// Expired (or closed elsewhere): the connection holding it is closed, the
			// client finds out on reconnect (FinalRequestProcessor).
			s.closeClient(cc)
		}
		return
	}
	pr.reply = replyFor(pr.req, e, res, s.db.lastProcessed)
	s.drainClient(cc)
}

func (s *Server) deliverEvents(evs []datatree.WatchEvent) {
	for _, ev := range evs {
		conn := ConnID(ev.Watcher)
		if _, ok := s.clients[conn]; !ok {
			continue
		}
		s.sendClient(conn, &cp.Reply{Xid: cp.XidNotification, Zxid: -1, Body: &cp.WatcherEvent{
			Type: cp.EventType(ev.Type), State: cp.StateSyncConnected, Path: ev.Path}}, 0)
	}
}
