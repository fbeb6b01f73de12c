package cluster

import (
	"fmt"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab/client"
)

// Client is one simulated client process on a host of its own, wired to the ensemble's
// client ports. Use Do to call the client library.
type Client struct {
	c    *Cluster
	id   int
	host sim.HostID
	lib  *client.Client

	conns map[int64]*sim.Conn
	wake  sim.Timer
	dials map[string]int // connect attempts per server, for tests and traces
}

// ClientOptions configure one client.
type ClientOptions struct {
	// Servers are the server ids of its connect string (nil: every server).
	Servers []int64
	// SessionTimeoutMs is the timeout it asks for (0: 10000, a common default).
	SessionTimeoutMs int32
}

// AddClient creates a client on a new host and starts connecting it.
func (c *Cluster) AddClient(o ClientOptions) (*Client, error) {
	if o.Servers == nil {
		o.Servers = c.ServerIDs()
	}
	if o.SessionTimeoutMs == 0 {
		o.SessionTimeoutMs = 10000
	}
	names := make([]string, len(o.Servers))
	for i, sid := range o.Servers {
		n := c.bySID[sid]
		if n == nil {
			return nil, fmt.Errorf("cluster: client connect string names unknown server %d", sid)
		}
		names[i] = n.addr.Host
	}
	id := len(c.clients) + 1
	lib, err := client.New(client.Config{ID: id, Servers: names, SessionTimeoutMs: o.SessionTimeoutMs,
		Rand: c.w.Rand(fmt.Sprintf("client/%d", id))})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	cl := &Client{c: c, id: id, host: c.w.AddHost(), lib: lib, conns: map[int64]*sim.Conn{}, dials: map[string]int{}}
	c.clients = append(c.clients, cl)
	cl.Do(func(now int64, lib *client.Client) { lib.Start(now) })
	return cl, nil
}

// ID is the client's number (1, 2, ...), as in its history records.
func (cl *Client) ID() int { return cl.id }

// Lib is the client library object, for reading its state (State, SessionID, ...). Call
// its operations through Do so their effects are executed.
func (cl *Client) Lib() *client.Client { return cl.lib }

// Do calls fn with the client's current time and the library, then executes the effects.
// Callbacks of operations run later, inside the simulation; their effects are executed too.
func (cl *Client) Do(fn func(nowNs int64, lib *client.Client)) {
	fn(cl.now(), cl.lib)
	cl.flush()
}

// Client hosts never drift, so a client's clock is the true virtual time, which is also
// what the history records.
func (cl *Client) now() int64 { return int64(cl.c.w.LocalNow(cl.host)) }

func (cl *Client) flush() {
	for _, e := range cl.lib.Effects() {
		cl.execute(e)
	}
}

func (cl *Client) execute(e client.Effect) {
	switch e := e.(type) {
	case client.Dial:
		cl.dial(e)
	case client.Send:
		if conn := cl.conns[e.Conn]; conn != nil {
			_ = conn.Send(e.Msg, e.SizeBytes)
		}
	case client.CloseConn:
		if conn := cl.conns[e.Conn]; conn != nil {
			delete(cl.conns, e.Conn)
			_ = conn.Close()
		}
	case client.Wake:
		cl.wake.Cancel()
		cl.wake = cl.c.w.AtHost(cl.host, sim.Time(e.At), func() {
			cl.Do(func(now int64, lib *client.Client) { lib.OnTimer(now) })
		})
	case client.Completed:
		cl.c.records = append(cl.c.records, recordAt{rec: e.Op})
	case client.StateChanged:
		cl.c.tracef("client %d %v server %s session 0x%x %s", cl.id, e.State, e.Server, e.SessionID, e.Reason)
		if e.State == client.StateExpired {
			cl.c.records = append(cl.c.records, recordAt{expired: true, client: cl.id, session: e.SessionID, at: cl.now()})
		}
	case client.Violation:
		cl.c.harnessError(fmt.Sprintf("client %d: server %s: %s", cl.id, e.Server, e.Msg))
	}
}

func (cl *Client) dial(d client.Dial) {
	cl.dials[d.Server]++
	n := cl.c.byName[d.Server]
	var early []any
	var id int64
	h := sim.Handlers{
		OnMessage: func(_ *sim.Conn, p any) {
			if id == 0 {
				early = append(early, p) // before our dial completed: hold, as TCP would
				return
			}
			cl.deliver(id, p)
		},
		OnClose: func(*sim.Conn, error) {
			delete(cl.conns, id)
			cl.Do(func(now int64, lib *client.Client) { lib.OnClosed(now, id) })
		},
	}
	cl.c.w.Network().Dial(cl.host, n.host, n.clientPort(), h, func(sc *sim.Conn, err error) {
		if err != nil {
			cl.Do(func(now int64, lib *client.Client) { lib.OnDialFailed(now, d.Attempt) })
			return
		}
		id = int64(sc.ID())
		cl.conns[id] = sc
		cl.Do(func(now int64, lib *client.Client) { lib.OnConnected(now, d.Attempt, id) })
		for _, p := range early {
			cl.deliver(id, p)
		}
		early = nil
	})
}

// deliver hands a payload from the server to the library.
func (cl *Client) deliver(id int64, p any) {
	if cl.conns[id] == nil {
		return
	}
	cl.Do(func(now int64, lib *client.Client) { lib.OnMessage(now, id, p) })
}
