package client

import (
	"fmt"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// Create creates path with data and a create mode (clientproto.Flag*), world-open ACL.
// The result's Path is the created path (with the sequence suffix for sequential modes).
func (c *Client) Create(nowNs int64, path string, data []byte, flags int32, cb Callback) {
	c.submit(nowNs, cp.OpCreate, &cp.CreateRequest{Path: path, Data: data, ACL: cp.OpenACLUnsafe, Flags: flags}, nil, cb)
}

// Get reads path's data and stat; a non-nil watch is set on success (NodeDataChanged /
// NodeDeleted).
func (c *Client) Get(nowNs int64, path string, watch Watcher, cb Callback) {
	c.submit(nowNs, cp.OpGetData, &cp.PathWatchRequest{Path: path, Watch: watch != nil}, watch, cb)
}

// Set replaces path's data if its version matches (-1: any).
func (c *Client) Set(nowNs int64, path string, data []byte, version int32, cb Callback) {
	c.submit(nowNs, cp.OpSetData, &cp.SetDataRequest{Path: path, Data: data, Version: version}, nil, cb)
}

// Delete deletes path if its version matches (-1: any).
func (c *Client) Delete(nowNs int64, path string, version int32, cb Callback) {
	c.submit(nowNs, cp.OpDelete, &cp.DeleteRequest{Path: path, Version: version}, nil, cb)
}

// Exists reads path's stat (ErrNoNode if absent); a non-nil watch is set whether or not
// the node exists (NodeCreated / NodeDataChanged / NodeDeleted).
func (c *Client) Exists(nowNs int64, path string, watch Watcher, cb Callback) {
	c.submit(nowNs, cp.OpExists, &cp.PathWatchRequest{Path: path, Watch: watch != nil}, watch, cb)
}

// Children lists path's children (getChildren2: with the parent's stat); a non-nil
// watch is set on success (NodeChildrenChanged / NodeDeleted).
func (c *Client) Children(nowNs int64, path string, watch Watcher, cb Callback) {
	c.submit(nowNs, cp.OpGetChildren2, &cp.PathWatchRequest{Path: path, Watch: watch != nil}, watch, cb)
}

// Multi runs ops (create, delete, setData, check) all or nothing.
func (c *Client) Multi(nowNs int64, ops []cp.MultiOp, cb Callback) {
	c.submit(nowNs, cp.OpMulti, &cp.MultiRequest{Ops: ops}, nil, cb)
}

// Sync asks the connected server to catch up with the leader before later reads.
func (c *Client) Sync(nowNs int64, path string, cb Callback) {
	c.submit(nowNs, cp.OpSync, &cp.SyncRequest{Path: path}, nil, cb)
}

// Close ends the session: a closeSession request, then the connection is closed. Every
// operation after Close fails.
func (c *Client) Close(nowNs int64, cb Callback) {
	if c.closing || c.dead() {
		c.submit(nowNs, cp.OpCloseSession, nil, nil, cb) // fails at once: already closed
		return
	}
	c.closing = true
	if c.sessionID == 0 && c.state != StateConnected {
		// Never had a session: nothing to close on the server.
		c.submit(nowNs, cp.OpCloseSession, nil, nil, cb)
		c.finishClose(nowNs, cp.ErrOK)
		return
	}
	c.submitWith(nowNs, cp.OpCloseSession, nil, nil, cb, func(r *cp.Reply) { c.finishClose(nowNs, r.Err) })
}

func (c *Client) finishClose(nowNs int64, _ cp.ErrCode) {
	if c.conn != 0 {
		c.emit(CloseConn{Conn: c.conn})
		c.conn = 0
	}
	c.reconnectAtNs, c.connectDeadlineNs = 0, 0
	c.failFlight(nowNs, cp.ErrConnectionLoss, OutcomeUnknown)
	c.failQueue(nowNs, cp.ErrConnectionLoss)
	c.setState(StateClosed)
}

func (c *Client) submit(nowNs int64, op cp.OpCode, body cp.RequestBody, watch Watcher, cb Callback) {
	c.submitWith(nowNs, op, body, watch, cb, nil)
}

func (c *Client) submitWith(nowNs int64, op cp.OpCode, body cp.RequestBody, watch Watcher, cb Callback, onReply func(*cp.Reply)) {
	c.seq++
	req := &cp.Request{Op: op, Body: body}
	p := &pending{rec: Record{Client: c.cfg.ID, Seq: c.seq, SessionID: c.sessionID, Request: req, CallNs: nowNs},
		cb: cb, watch: watch, onReply: onReply}
	switch {
	case c.dead() || (c.closing && onReply == nil):
		code := cp.ErrSessionExpired
		if c.state == StateClosed || c.closing {
			code = cp.ErrConnectionLoss
		}
		c.complete(nowNs, p, nil, code, OutcomeFailed)
	case validateRequest(op, body) != nil:
		// The Java client throws IllegalArgumentException before sending.
		c.complete(nowNs, p, nil, cp.ErrBadArguments, OutcomeFailed)
	case c.Pending() >= maxPending:
		c.complete(nowNs, p, nil, cp.ErrConnectionLoss, OutcomeFailed)
	default:
		c.queue = append(c.queue, p)
		c.flush(nowNs)
	}
}

// flush sends queued requests if a session is established on a live connection.
func (c *Client) flush(nowNs int64) {
	if c.state != StateConnected || c.handshaking || c.conn == 0 {
		return
	}
	for _, p := range c.queue {
		c.sendPending(nowNs, p)
	}
	c.queue = nil
}

func (c *Client) sendPending(nowNs int64, p *pending) {
	c.xid++
	if c.xid <= 0 { // skip the special negative xids on wrap
		c.xid = 1
	}
	if p.rec.Request.Xid == 0 || p.rec.Request.Xid > 0 {
		p.rec.Request.Xid = c.xid
	}
	p.rec.SessionID = c.sessionID
	p.rec.Server = c.server
	p.sent = true
	c.flight = append(c.flight, p)
	c.send(nowNs, p.rec.Request, cp.SizeBytes(p.rec.Request, 0))
}

// complete finishes p: the record goes to the history, then the callback runs.
func (c *Client) complete(nowNs int64, p *pending, r *cp.Reply, code cp.ErrCode, outcome Outcome) {
	p.rec.ReturnNs = nowNs
	p.rec.Err, p.rec.Outcome = code, outcome
	res := Result{Err: code, Outcome: outcome}
	if r != nil {
		p.rec.Replied, p.rec.Zxid, p.rec.Reply = true, r.Zxid, r.Body
		res.Zxid = r.Zxid
		fillResult(&res, r.Body)
	}
	if p.onReply != nil && r != nil {
		p.onReply(r)
	}
	if p.rec.Request.Op != cp.OpSetWatches {
		c.emit(Completed{Op: p.rec})
	}
	if p.cb != nil {
		p.cb(res)
	}
}

func fillResult(res *Result, body cp.ReplyBody) {
	switch b := body.(type) {
	case *cp.PathResponse:
		res.Path = b.Path
	case *cp.PathStatResponse:
		res.Path, res.Stat = b.Path, b.Stat
	case *cp.StatResponse:
		res.Stat = b.Stat
	case *cp.DataResponse:
		res.Data, res.Stat = b.Data, b.Stat
	case *cp.ChildrenResponse:
		res.Children, res.Stat = b.Children, b.Stat
	case *cp.MultiResponse:
		res.Multi = b.Results
	}
}

// OnMessage delivers a server message received on conn: a *clientproto.ConnectResponse
// or a *clientproto.Reply.
func (c *Client) OnMessage(nowNs int64, conn int64, msg any) {
	if conn != c.conn || c.dead() {
		return
	}
	c.lastRecvNs = nowNs
	switch m := msg.(type) {
	case *cp.ConnectResponse:
		if !c.handshaking {
			c.violation(nowNs, "connect response on an established session")
			return
		}
		c.onConnectResponse(nowNs, m)
	case *cp.Reply:
		if c.handshaking {
			c.violation(nowNs, fmt.Sprintf("reply xid %d before the connect response", m.Xid))
			return
		}
		c.onReply(nowNs, m)
	default:
		c.violation(nowNs, fmt.Sprintf("unexpected message %T", msg))
	}
}

func (c *Client) violation(nowNs int64, msg string) {
	c.emit(Violation{Server: c.server, Msg: msg})
	c.lose(nowNs, msg)
}

func (c *Client) onConnectResponse(nowNs int64, m *cp.ConnectResponse) {
	c.handshaking = false
	if m.TimeoutMs <= 0 {
		c.expire(nowNs)
		return
	}
	reconnect := c.sessionID != 0
	if reconnect && m.SessionID != c.sessionID {
		c.violation(nowNs, fmt.Sprintf("connect response for session 0x%x, asked for 0x%x", m.SessionID, c.sessionID))
		return
	}
	c.sessionID, c.passwd, c.timeoutMs = m.SessionID, m.Passwd, m.TimeoutMs
	c.connectDeadlineNs = 0
	c.everConn = true
	c.setState(StateConnected)
	if reconnect && !c.watches.empty() {
		// Re-register watches before anything else (ClientCnxn.primeConnection).
		sw := c.watches.setWatches(c.lastZxid)
		p := &pending{rec: Record{Client: c.cfg.ID, Request: &cp.Request{Xid: cp.XidSetWatches, Op: cp.OpSetWatches, Body: sw}}}
		p.onReply = func(*cp.Reply) {}
		c.queue = append([]*pending{p}, c.queue...)
	}
	c.flush(nowNs)
}

// expire handles a session the ensemble no longer knows: everything pending fails, every
// watcher hears Expired, and the client is dead.
func (c *Client) expire(nowNs int64) {
	if c.conn != 0 {
		c.emit(CloseConn{Conn: c.conn})
		c.conn = 0
	}
	c.reconnectAtNs, c.connectDeadlineNs = 0, 0
	c.failFlight(nowNs, cp.ErrSessionExpired, OutcomeUnknown)
	c.failQueue(nowNs, cp.ErrSessionExpired)
	c.setState(StateExpired)
	for _, w := range c.watches.drainAll() {
		w(cp.WatcherEvent{Type: cp.EventNone, State: cp.StateExpired})
	}
}

func (c *Client) onReply(nowNs int64, r *cp.Reply) {
	switch r.Xid {
	case cp.XidPing:
		return
	case cp.XidNotification:
		ev, ok := r.Body.(*cp.WatcherEvent)
		if !ok {
			c.violation(nowNs, fmt.Sprintf("notification with body %T", r.Body))
			return
		}
		for _, w := range c.watches.fire(*ev) {
			w(*ev)
		}
		return
	}
	if len(c.flight) == 0 || c.flight[0].rec.Request.Xid != r.Xid {
		want := int32(0)
		if len(c.flight) > 0 {
			want = c.flight[0].rec.Request.Xid
		}
		c.violation(nowNs, fmt.Sprintf("reply xid %d out of order: expected %d", r.Xid, want))
		return
	}
	p := c.flight[0]
	c.flight = c.flight[1:]
	if r.Zxid > 0 {
		c.lastZxid = max(c.lastZxid, r.Zxid)
	}
	if err := checkReplyBody(p.rec.Request.Op, r); err != nil {
		c.violation(nowNs, err.Error())
		return
	}
	c.registerWatch(p, r.Err)
	outcome := OutcomeOK
	if r.Err != cp.ErrOK {
		outcome = OutcomeFailed
	}
	c.complete(nowNs, p, r, r.Err, outcome)
}

// registerWatch adds p's watch after a reply, as ZKWatchManager does: getData and
// getChildren on success, exists on success (data watch) or NONODE (exist watch).
func (c *Client) registerWatch(p *pending, code cp.ErrCode) {
	if p.watch == nil {
		return
	}
	path := p.rec.Request.Body.(*cp.PathWatchRequest).Path
	switch {
	case p.rec.Request.Op == cp.OpExists && code == cp.ErrNoNode:
		c.watches.add(watchExist, path, p.watch)
	case code != cp.ErrOK:
	case p.rec.Request.Op == cp.OpGetData || p.rec.Request.Op == cp.OpExists:
		c.watches.add(watchData, path, p.watch)
	case p.rec.Request.Op == cp.OpGetChildren2:
		c.watches.add(watchChild, path, p.watch)
	}
}

// checkReplyBody rejects a successful reply whose body does not fit the request.
func checkReplyBody(op cp.OpCode, r *cp.Reply) error {
	if r.Err != cp.ErrOK && op != cp.OpMulti {
		return nil
	}
	ok := false
	switch r.Body.(type) {
	case nil:
		ok = op == cp.OpDelete || op == cp.OpCloseSession || op == cp.OpSetWatches || op == cp.OpCheck
	case *cp.PathResponse:
		ok = op == cp.OpCreate || op == cp.OpSync || op == cp.OpCreateContainer
	case *cp.PathStatResponse:
		ok = op == cp.OpCreate2
	case *cp.StatResponse:
		ok = op == cp.OpSetData || op == cp.OpExists
	case *cp.DataResponse:
		ok = op == cp.OpGetData
	case *cp.ChildrenResponse:
		ok = op == cp.OpGetChildren || op == cp.OpGetChildren2
	case *cp.MultiResponse:
		ok = op == cp.OpMulti
	}
	if !ok {
		return fmt.Errorf("reply body %T does not fit a %v request (err %v)", r.Body, op, r.Err)
	}
	return nil
}
