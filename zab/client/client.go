package client

import (
	"fmt"
	"math/rand/v2"
	"slices"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

const (
	msNs = int64(1_000_000)
	// maxPingIntervalMs caps the idle time before a ping (ClientCnxn.MAX_SEND_PING_INTERVAL).
	maxPingIntervalMs = 10_000
	// reconnectJitterMs bounds the random pause before a reconnect (ClientCnxn.startConnect
	// sleeps up to 1 s on every connect but the first).
	reconnectJitterMs = 1000
	// maxPending bounds the requests a client keeps in flight, so a stuck server cannot
	// make a simulated client grow without limit.
	maxPending = 10_000
)

// Config configures one simulated client.
type Config struct {
	ID               int      // names the client in records and traces
	Servers          []string // the connect string's servers; the client shuffles them
	SessionTimeoutMs int32    // requested; the server negotiates the real value
	Rand             *rand.Rand
}

// Callback receives an operation's result. It runs inside the Client method that
// completed the operation; it may call Client methods (their effects join the same batch).
type Callback func(Result)

// Watcher receives one watch event (watches are one-shot) or, for the session watcher,
// state events with Type EventNone.
type Watcher func(cp.WatcherEvent)

// Result is what a Callback gets: Err (ErrOK on success), Outcome, and the reply body's
// useful parts.
type Result struct {
	Err      cp.ErrCode
	Outcome  Outcome
	Zxid     int64
	Path     string // create: the created path (with a sequential suffix)
	Data     []byte
	Stat     cp.Stat
	Children []string
	Multi    []cp.MultiResult
}

// pending is a request the client has accepted and not yet completed.
type pending struct {
	rec     Record
	cb      Callback
	watch   Watcher
	sent    bool
	onReply func(*cp.Reply) // internal requests (setWatches, close) hook here
}

// Client is one ZooKeeper client session, I/O-free: inputs are method calls carrying
// the virtual time, outputs are Effects drained with Effects.
type Client struct {
	cfg     Config
	servers []string // shuffled once, tried round-robin
	next    int      // index of the next server to try

	state     State
	sessionID int64
	passwd    []byte
	timeoutMs int32 // negotiated (requested until the first connect)
	lastZxid  int64
	closing   bool
	reason    string // why the next state change happens, for its StateChanged
	everConn  bool

	attempt     int64 // current dial attempt (0: none)
	conn        int64 // current connection (0: none)
	server      string
	handshaking bool // ConnectRequest sent, no ConnectResponse yet

	lastSendNs, lastRecvNs int64
	connectDeadlineNs      int64 // while dialing/handshaking
	reconnectAtNs          int64 // while waiting to redial (0: not waiting)
	wakeNs                 int64 // last Wake emitted

	xid     int32
	seq     int64
	queue   []*pending // accepted, not yet sent (in order)
	flight  []*pending // sent, awaiting replies (in xid order)
	watches watchTable
	session Watcher
	out     []Effect
}

// New returns a client that has not started yet; call Start.
func New(cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("client: no servers in the connect string")
	}
	if cfg.SessionTimeoutMs <= 0 {
		return nil, fmt.Errorf("client: session timeout %d ms is not positive", cfg.SessionTimeoutMs)
	}
	if cfg.Rand == nil {
		return nil, fmt.Errorf("client: Config.Rand is nil (give each client its own seeded stream)")
	}
	c := &Client{cfg: cfg, servers: slices.Clone(cfg.Servers), timeoutMs: cfg.SessionTimeoutMs,
		watches: newWatchTable()}
	// StaticHostProvider shuffles the connect string once.
	cfg.Rand.Shuffle(len(c.servers), func(i, j int) { c.servers[i], c.servers[j] = c.servers[j], c.servers[i] })
	return c, nil
}

// SetSessionWatcher sets the watcher that receives connection-state events.
func (c *Client) SetSessionWatcher(w Watcher) { c.session = w }

// State returns the session state.
func (c *Client) State() State { return c.state }

// SessionID returns the session id (0 before the first successful connect).
func (c *Client) SessionID() int64 { return c.sessionID }

// Server returns the server the client is connected or connecting to ("" if none).
func (c *Client) Server() string { return c.server }

// LastZxidSeen returns the highest zxid the client has seen in a reply.
func (c *Client) LastZxidSeen() int64 { return c.lastZxid }

// NegotiatedTimeoutMs returns the session timeout (negotiated once connected).
func (c *Client) NegotiatedTimeoutMs() int32 { return c.timeoutMs }

// Pending returns how many operations are accepted and not yet completed.
func (c *Client) Pending() int { return len(c.queue) + len(c.flight) }

// Effects returns and clears the effects produced since the last call, in order.
func (c *Client) Effects() []Effect {
	c.updateWake()
	out := c.out
	c.out = nil
	return out
}

func (c *Client) emit(e Effect) { c.out = append(c.out, e) }

func (c *Client) dead() bool { return c.state == StateExpired || c.state == StateClosed }

// Start begins connecting to the first server of the shuffled list.
func (c *Client) Start(nowNs int64) {
	if c.attempt != 0 || c.conn != 0 || c.dead() {
		return
	}
	c.dial(nowNs)
}

// readTimeoutMs and friends follow ClientCnxn: read timeout 2/3 of the session timeout,
// connect timeout the session timeout divided by the number of servers.
func (c *Client) readTimeoutMs() int64    { return int64(c.timeoutMs) * 2 / 3 }
func (c *Client) connectTimeoutMs() int64 { return int64(c.timeoutMs) / int64(len(c.servers)) }

func (c *Client) dial(nowNs int64) {
	c.attempt++
	c.server = c.servers[c.next]
	c.next = (c.next + 1) % len(c.servers)
	c.connectDeadlineNs = nowNs + c.connectTimeoutMs()*msNs
	c.reconnectAtNs = 0
	c.emit(Dial{Attempt: c.attempt, Server: c.server})
}

// OnConnected reports that dial attempt succeeded with connection conn. The client sends
// its ConnectRequest (presenting lastZxidSeen) on it.
func (c *Client) OnConnected(nowNs int64, attempt, conn int64) {
	if attempt != c.attempt || c.conn != 0 || c.dead() {
		c.emit(CloseConn{Conn: conn}) // a connect we gave up on
		return
	}
	c.conn, c.handshaking = conn, true
	c.lastRecvNs = nowNs
	sid := c.sessionID
	req := &cp.ConnectRequest{ProtocolVersion: cp.ProtocolVersion, LastZxidSeen: c.lastZxid,
		TimeoutMs: c.timeoutMs, SessionID: sid, Passwd: c.passwd}
	if sid == 0 {
		req.Passwd = make([]byte, 16)
	}
	c.send(nowNs, req, cp.SizeBytes(req, 0))
}

// OnDialFailed reports that dial attempt could not connect.
func (c *Client) OnDialFailed(nowNs int64, attempt int64) {
	if attempt != c.attempt || c.conn != 0 || c.dead() {
		return
	}
	c.lose(nowNs, "connect failed")
}

// OnClosed reports that conn was closed (by the server, or broken).
func (c *Client) OnClosed(nowNs int64, conn int64) {
	if conn != c.conn || c.dead() {
		return
	}
	c.conn = 0
	c.lose(nowNs, "connection closed")
}

func (c *Client) send(nowNs int64, msg any, size int) {
	c.lastSendNs = nowNs
	c.emit(Send{Conn: c.conn, Msg: msg, SizeBytes: size})
}

// lose handles a lost or failed connection as ClientCnxn.cleanup does: requests already
// sent complete as unknown (CONNECTIONLOSS), requests not yet sent fail with
// CONNECTIONLOSS (certainly not applied), and after a random pause the next server is
// dialed. Requests made while disconnected wait for that attempt.
func (c *Client) lose(nowNs int64, why string) {
	if c.conn != 0 {
		c.emit(CloseConn{Conn: c.conn})
		c.conn = 0
	}
	c.attempt++ // any late OnConnected for the old attempt is stale
	wasConnected := c.state == StateConnected
	c.handshaking = false
	c.failFlight(nowNs, cp.ErrConnectionLoss, OutcomeUnknown)
	c.failQueue(nowNs, cp.ErrConnectionLoss)
	if c.closing {
		c.finishClose(nowNs, cp.ErrConnectionLoss)
		return
	}
	if wasConnected {
		c.reason = why
		c.setState(StateDisconnected)
	}
	c.reconnectAtNs = nowNs + c.cfg.Rand.Int64N(reconnectJitterMs)*msNs + 1
	c.connectDeadlineNs = 0
}

// failFlight completes every sent request with code and outcome (ClientCnxn.cleanup).
func (c *Client) failFlight(nowNs int64, code cp.ErrCode, outcome Outcome) {
	flight := c.flight
	c.flight = nil
	for _, p := range flight {
		c.complete(nowNs, p, nil, code, outcome)
	}
}

// failQueue completes every not-yet-sent request: it certainly had no effect.
func (c *Client) failQueue(nowNs int64, code cp.ErrCode) {
	queue := c.queue
	c.queue = nil
	for _, p := range queue {
		c.complete(nowNs, p, nil, code, OutcomeFailed)
	}
}

func (c *Client) setState(s State) {
	if c.state == s {
		return
	}
	c.state = s
	c.emit(StateChanged{State: s, Server: c.server, SessionID: c.sessionID, Reason: c.reason})
	c.reason = ""
	if c.session == nil {
		return
	}
	ks := map[State]cp.KeeperState{StateConnected: cp.StateSyncConnected, StateDisconnected: cp.StateDisconnected,
		StateExpired: cp.StateExpired}
	if k, ok := ks[s]; ok {
		c.session(cp.WatcherEvent{Type: cp.EventNone, State: k})
	}
}

// OnTimer runs the client's deadlines: connect timeout, read timeout (connection loss),
// ping when idle, and the delayed reconnect.
func (c *Client) OnTimer(nowNs int64) {
	if c.dead() {
		return
	}
	switch {
	case c.reconnectAtNs != 0:
		if nowNs >= c.reconnectAtNs {
			c.dial(nowNs)
		}
	case c.state == StateConnected && !c.handshaking && c.conn != 0:
		if nowNs-c.lastRecvNs >= c.readTimeoutMs()*msNs {
			c.lose(nowNs, "read timeout")
			return
		}
		if nowNs >= c.nextPingNs() {
			c.ping(nowNs)
		}
	default: // dialing or handshaking
		if c.connectDeadlineNs != 0 && nowNs >= c.connectDeadlineNs {
			c.lose(nowNs, "connect timeout")
		}
	}
}

// nextPingNs: ClientCnxn pings when idleSend reaches readTimeout/2, a second earlier once
// idle for more than a second, and at least every 10 s.
func (c *Client) nextPingNs() int64 {
	intervalMs := c.readTimeoutMs() / 2
	if intervalMs > 1000 {
		intervalMs -= 1000
	}
	intervalMs = min(intervalMs, maxPingIntervalMs)
	return c.lastSendNs + intervalMs*msNs
}

func (c *Client) ping(nowNs int64) {
	req := &cp.Request{Xid: cp.XidPing, Op: cp.OpPing}
	c.send(nowNs, req, cp.SizeBytes(req, 0))
}

// updateWake emits a Wake for the earliest deadline if it changed.
func (c *Client) updateWake() {
	at := int64(0)
	switch {
	case c.dead():
	case c.reconnectAtNs != 0:
		at = c.reconnectAtNs
	case c.state == StateConnected && !c.handshaking && c.conn != 0:
		at = min(c.lastRecvNs+c.readTimeoutMs()*msNs, c.nextPingNs())
	default:
		at = c.connectDeadlineNs
	}
	if at != 0 && at != c.wakeNs {
		c.wakeNs = at
		c.out = append(c.out, Wake{At: at})
	}
}

// InFlight returns the records of requests sent and not yet answered (ReturnNs 0), in
// send order: at the end of a run their outcome is unknown.
func (c *Client) InFlight() []Record {
	out := make([]Record, 0, len(c.flight))
	for _, p := range c.flight {
		if p.rec.Request.Op != cp.OpSetWatches {
			out = append(out, p.rec)
		}
	}
	return out
}
