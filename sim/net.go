package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// NetOptions is the network model.
type NetOptions struct {
	// Latency is the one-way delay of a message, a SYN or a FIN.
	Latency Latency
	// ConnectTimeout is how long a dial to a down or unreachable host takes to fail.
	ConnectTimeout Duration
	// HalfOpenProb is the chance that an end of a broken connection is not told at all
	// until it next sends (a half-open TCP connection).
	HalfOpenProb float64
	// BreakNoticeMax bounds the extra delay (uniform in [0, BreakNoticeMax)) after which
	// an end of a broken connection that is told learns of the break.
	BreakNoticeMax Duration
}

// DefaultNetOptions returns a data-centre network: ~0.5 ms one way with jitter, a 1 in
// 1,000 tail of ~20 ms, 5 s connect timeout (ZooKeeper's cnxTimeout), a quarter of broken
// ends half-open.
func DefaultNetOptions() NetOptions {
	return NetOptions{
		Latency:        Latency{Min: 50 * Microsecond, Mean: 500 * Microsecond, Jitter: 300 * Microsecond, TailProb: 0.001, TailMean: 20 * Millisecond},
		ConnectTimeout: 5 * Second,
		HalfOpenProb:   0.25,
		BreakNoticeMax: 2 * Second,
	}
}

// Validate reports options that make no sense.
func (o NetOptions) Validate() error {
	if err := o.Latency.Validate(); err != nil {
		return err
	}
	if o.ConnectTimeout <= 0 || o.BreakNoticeMax < 0 || o.HalfOpenProb < 0 || o.HalfOpenProb > 1 {
		return fmt.Errorf("sim: network options %+v: need ConnectTimeout > 0, BreakNoticeMax >= 0, HalfOpenProb in [0, 1]", o)
	}
	return nil
}

// Errors of the network. Dial and close errors wrap them; test with errors.Is.
var (
	ErrRefused        = errors.New("sim: connection refused")
	ErrConnectTimeout = errors.New("sim: connect timed out")
	ErrReset          = errors.New("sim: connection reset")
	ErrPeerClosed     = errors.New("sim: connection closed by peer")
	ErrConnClosed     = errors.New("sim: use of closed connection")
	ErrPortInUse      = errors.New("sim: port already in use")
)

// Handlers are a connection end's callbacks. They run as events on the end's host (held
// while it is paused, dropped once it crashed). Either may be nil.
type Handlers struct {
	// OnMessage receives each payload in the order the peer sent it.
	OnMessage func(c *Conn, payload any)
	// OnClose reports that the connection broke or the peer closed it. It is not
	// called after the end's own Close.
	OnClose func(c *Conn, err error)
}

// ConnID numbers connections in the order they were established.
type ConnID uint64

// NetStats counts traffic: messages and bytes sent (accepted by Send), delivered, and
// dropped (lost with a broken connection).
type NetStats struct {
	Sent, Delivered, Dropped                int64
	SentBytes, DeliveredBytes, DroppedBytes int64
	Dials, DialFailures, Breaks             int64
}

// Network is the world's TCP-like network between hosts. See the package doc for the
// model.
type Network struct {
	w     *World
	opts  NetOptions
	rnd   *rand.Rand
	links []*link // established connections, in ConnID order (dead ones pruned lazily)
	// prunedLen is how many links were live at the last prune.
	prunedLen int
	next      ConnID

	listeners map[hostPort]func(*Conn) Handlers
	cut       map[hostPair]bool
	clogUntil map[hostPair]Time
	latency   map[hostPair]Latency
	stats     NetStats
}

type hostPort struct {
	h    HostID
	port int
}

type hostPair struct{ from, to HostID }

func newNetwork(w *World, o NetOptions) *Network {
	return &Network{
		w: w, opts: o, next: 1,
		listeners: map[hostPort]func(*Conn) Handlers{},
		cut:       map[hostPair]bool{},
		clogUntil: map[hostPair]Time{},
		latency:   map[hostPair]Latency{},
	}
}

func (n *Network) rand() *rand.Rand {
	if n.rnd == nil {
		n.rnd = n.w.Rand("sim/net")
	}
	return n.rnd
}

// Stats returns the traffic counters.
func (n *Network) Stats() NetStats { return n.stats }

// SetLatency overrides the latency of messages from one host to another.
func (n *Network) SetLatency(from, to HostID, l Latency) {
	n.latency[hostPair{from, to}] = l
}

func (n *Network) drawLatency(from, to HostID) Duration {
	l, ok := n.latency[hostPair{from, to}]
	if !ok {
		l = n.opts.Latency
	}
	return l.Draw(n.rand())
}

// Listen makes host h accept connections on port. accept runs on h for each new
// connection and returns that end's handlers. Listeners die with the host's process.
func (n *Network) Listen(h HostID, port int, accept func(c *Conn) Handlers) error {
	n.w.host(h)
	k := hostPort{h, port}
	if _, ok := n.listeners[k]; ok {
		return fmt.Errorf("%w: host %d port %d", ErrPortInUse, h, port)
	}
	n.listeners[k] = accept
	return nil
}

// Unlisten stops accepting on (h, port); established connections stay.
func (n *Network) Unlisten(h HostID, port int) { delete(n.listeners, hostPort{h, port}) }

// Dial connects from one host to a listener on another. done runs on the dialing host,
// once: with the new end after a round trip, or with an error — ErrRefused after a round
// trip if nobody listens (or the target's process was killed), ErrConnectTimeout after
// NetOptions.ConnectTimeout if the target machine is down (crashed) or unreachable,
// ErrReset if the connection broke before it was reported.
func (n *Network) Dial(from, to HostID, port int, h Handlers, done func(*Conn, error)) {
	n.w.host(to)
	if !n.w.IsUp(from) {
		return // a dead process dials nothing
	}
	inc := n.w.host(from).inc
	n.stats.Dials++
	start := n.w.now
	n.w.note("net.dial", int64(from), int64(to), int64(port))
	fail := func(err error, at Time) {
		n.stats.DialFailures++
		n.w.AtHost(from, at, func() { done(nil, fmt.Errorf("%w: dial host %d port %d from host %d", err, to, port, from)) })
	}
	n.w.After(n.drawLatency(from, to), func() {
		if n.w.host(from).inc != inc {
			return // the dialer died while its SYN was in flight
		}
		machineDown := !n.w.IsUp(to) && !n.w.host(to).killed
		if machineDown || n.blocked(from, to) || n.blocked(to, from) {
			fail(ErrConnectTimeout, start.Add(n.opts.ConnectTimeout))
			return
		}
		accept, ok := n.listeners[hostPort{to, port}]
		if !ok {
			fail(ErrRefused, n.w.now.Add(n.drawLatency(to, from)))
			return
		}
		l := n.establish(from, to, port, h)
		n.w.AtHost(to, n.w.now, func() { l.open(l.ends[1], accept) })
		n.w.AfterHost(from, n.drawLatency(to, from), func() {
			if l.dead {
				fail(ErrReset, n.w.now)
				return
			}
			l.ends[0].opened = true
			done(l.ends[0], nil)
			l.pump(1) // anything the acceptor sent meanwhile
		})
	})
}

func (n *Network) establish(from, to HostID, port int, h Handlers) *link {
	l := &link{n: n, id: n.next, port: port}
	n.next++
	l.ends[0] = &Conn{link: l, side: 0, local: from, remote: to, h: h}
	l.ends[1] = &Conn{link: l, side: 1, local: to, remote: from}
	l.dirs[0] = &direction{from: from, to: to, deliver: func() { l.deliver(0) }}
	l.dirs[1] = &direction{from: to, to: from, deliver: func() { l.deliver(1) }}
	if len(n.links) >= 2*n.prunedLen+64 {
		n.prune() // bound the list when connections come and go without a Heal
	}
	n.links = append(n.links, l)
	n.w.note("net.established", int64(l.id), int64(from), int64(to))
	return l
}

// blocked reports whether messages from one host to another are held: partitioned or
// clogged.
func (n *Network) blocked(from, to HostID) bool {
	return n.cut[hostPair{from, to}] || n.clogUntil[hostPair{from, to}] > n.w.now
}

// Connected reports whether messages can flow from one host to another right now.
func (n *Network) Connected(from, to HostID) bool { return !n.blocked(from, to) }

// Partition cuts every link between a host of a and a host of b, both ways. Data sent
// across the cut waits (TCP keeps retransmitting) and flows, in order, after Heal,
// unless its connection breaks first. Connections do not break by themselves.
func (n *Network) Partition(a, b []HostID) {
	n.PartitionOneWay(a, b)
	n.PartitionOneWay(b, a)
}

// PartitionOneWay cuts the links from each host of from to each host of to only: an
// asymmetric partition.
func (n *Network) PartitionOneWay(from, to []HostID) {
	for _, x := range from {
		for _, y := range to {
			if x != y {
				n.cut[hostPair{x, y}] = true
				n.w.note("net.cut", int64(x), int64(y), 0)
			}
		}
	}
}

// Isolate partitions h from every other host.
func (n *Network) Isolate(h HostID) {
	var others []HostID
	for _, o := range n.w.Hosts() {
		if o != h {
			others = append(others, o)
		}
	}
	n.Partition([]HostID{h}, others)
}

// Heal removes every partition (not clogs); held data starts flowing again.
func (n *Network) Heal() {
	n.cut = map[hostPair]bool{}
	n.w.note("net.heal", 0, 0, 0)
	n.resumeAll()
}

// Clog stalls the link from one host to another for d: data sent meanwhile waits, then
// flows in order. Clogging a clogged link extends the clog if it ends later.
func (n *Network) Clog(from, to HostID, d Duration) {
	k := hostPair{from, to}
	end := n.w.now.Add(d)
	if end <= n.clogUntil[k] {
		return
	}
	n.clogUntil[k] = end
	n.w.note("net.clog", int64(from), int64(to), int64(d))
	n.w.At(end, func() {
		if n.clogUntil[k] == end {
			delete(n.clogUntil, k)
			n.resumeAll()
		}
	})
}

// resumeAll restarts delivery on every direction that has data waiting.
func (n *Network) resumeAll() {
	n.prune()
	for _, l := range n.links {
		l.pump(0)
		l.pump(1)
	}
}

// prune forgets dead connections, keeping the live ones in ConnID order.
func (n *Network) prune() {
	live := n.links[:0]
	for _, l := range n.links {
		if !l.dead {
			live = append(live, l)
		}
	}
	clear(n.links[len(live):])
	n.links = live
	n.prunedLen = len(live)
}

// Break breaks c's connection as a network failure would: in-flight data in both
// directions is lost, and each end learns at its own time — after a delay, or (with
// probability HalfOpenProb) only when it next sends.
func (n *Network) Break(c *Conn) {
	if c.link.dead {
		return
	}
	n.stats.Breaks++
	c.link.kill("net.break")
	c.link.ends[0].breakNotice(ErrReset)
	c.link.ends[1].breakNotice(ErrReset)
}

// Conns returns the open connection ends on host h that its application holds, oldest
// first.
func (n *Network) Conns(h HostID) []*Conn {
	var out []*Conn
	for _, l := range n.links {
		if l.dead {
			continue
		}
		for _, c := range l.ends {
			if c.local == h && c.opened && !c.closed {
				out = append(out, c)
			}
		}
	}
	return out
}

// hostCrashed removes h's listeners and breaks its connections: its own ends vanish
// silently with the process; each peer learns at its own time.
func (n *Network) hostCrashed(h HostID) {
	n.unlistenAll(h)
	for _, l := range n.links {
		if l.dead || (l.ends[0].local != h && l.ends[1].local != h) {
			continue
		}
		l.kill("net.crashbreak")
		for _, c := range l.ends {
			if c.local == h {
				c.closed = true
			} else {
				c.breakNotice(ErrReset)
			}
		}
	}
}

// hostKilled removes h's listeners and closes its connection ends as the kernel does
// for a killed process: gracefully, so peers get a FIN after the data already sent.
func (n *Network) hostKilled(h HostID) {
	n.unlistenAll(h)
	for _, l := range n.links {
		for _, c := range l.ends {
			if c.local == h && !l.dead {
				c.Close()
			}
		}
	}
}

func (n *Network) unlistenAll(h HostID) {
	for k := range n.listeners { //det:unordered-ok deleting matching keys; nothing else happens
		if k.h == h {
			delete(n.listeners, k)
		}
	}
}

// link is one established connection: two ends and a FIFO direction each way.
type link struct {
	n    *Network
	id   ConnID
	port int
	ends [2]*Conn
	dirs [2]*direction // dirs[i] carries what ends[i] sends
	dead bool
}

// direction is one way of a connection: a FIFO of messages and whether a delivery
// event is scheduled for its head.
type direction struct {
	from, to HostID
	queue    []packet
	pumping  bool
	deliver  func() // the delivery event's callback, made once per direction
}

type packet struct {
	fin     bool // the sender closed: the last packet of its direction
	payload any
	size    int
	readyAt Time // send time + drawn latency; delivery is at max(readyAt, previous delivery)
}

func (l *link) kill(why string) {
	l.dead = true
	for _, d := range l.dirs {
		l.drop(d)
	}
	l.n.w.note(why, int64(l.id), 0, 0)
}

// drop discards what is in flight in one direction.
func (l *link) drop(d *direction) {
	for _, p := range d.queue {
		if !p.fin {
			l.n.stats.Dropped++
			l.n.stats.DroppedBytes += int64(p.size)
		}
	}
	d.queue = nil
}

// open delivers the accepting end to the application, unless the connection died first
// (the application never sees a connection reset in the accept queue).
func (l *link) open(c *Conn, accept func(*Conn) Handlers) {
	if l.dead {
		return
	}
	c.opened = true
	c.h = accept(c)
	l.pump(0)
}

// pump schedules delivery of direction side's head message, unless one is scheduled,
// the queue is empty, the connection is dead, the receiving end is not yet handed to its
// application, or the link is blocked (then opening, Heal or the end of a clog calls
// pump again).
func (l *link) pump(side int) {
	d := l.dirs[side]
	if d.pumping || len(d.queue) == 0 || l.dead || !l.ends[1-side].opened || l.n.blocked(d.from, d.to) {
		return
	}
	d.pumping = true
	l.n.w.AtHost(d.to, d.queue[0].readyAt, d.deliver)
}

func (l *link) deliver(side int) {
	d := l.dirs[side]
	d.pumping = false
	if l.dead || len(d.queue) == 0 || l.n.blocked(d.from, d.to) {
		return // stalled: resumed by Heal or the clog's end
	}
	p := d.queue[0]
	d.queue[0] = packet{}
	d.queue = d.queue[1:]
	to := l.ends[1-side]
	if p.fin {
		l.finArrived(to)
		return
	}
	if to.closed { // nobody reads this end any more
		l.n.stats.Dropped++
		l.n.stats.DroppedBytes += int64(p.size)
	} else {
		l.n.stats.Delivered++
		l.n.stats.DeliveredBytes += int64(p.size)
		l.n.w.note("net.deliver", int64(l.id), int64(side), int64(p.size))
		if to.h.OnMessage != nil {
			to.h.OnMessage(to, p.payload)
		}
	}
	l.pump(side)
}

// finArrived ends the connection when the peer's FIN reaches to: to is told unless it
// closed too.
func (l *link) finArrived(to *Conn) {
	l.kill("net.fin")
	to.tell(ErrPeerClosed)
}

// Conn is one end of a connection.
type Conn struct {
	link          *link
	side          int
	local, remote HostID
	h             Handlers
	opened        bool // handed to the application (dial done / accept ran)
	closed        bool // closed locally, told of the break, or its process died
	halfOpen      bool // broken, not told yet: learns when it next sends
}

// ID returns the connection's id (both ends share it).
func (c *Conn) ID() ConnID { return c.link.id }

// Local returns this end's host.
func (c *Conn) Local() HostID { return c.local }

// Remote returns the peer's host.
func (c *Conn) Remote() HostID { return c.remote }

// Port returns the listening port the connection was dialed to.
func (c *Conn) Port() int { return c.link.port }

// String names the end for logs: "conn 3 host 1->2".
func (c *Conn) String() string {
	return fmt.Sprintf("conn %d host %d->%d", c.link.id, c.local, c.remote)
}

// IsDialer reports whether this is the dialing end.
func (c *Conn) IsDialer() bool { return c.side == 0 }

// SetHandlers replaces this end's callbacks.
func (c *Conn) SetHandlers(h Handlers) { c.h = h }

// Send queues payload for the peer; sizeBytes counts it in the statistics and trace.
// It fails only on an end this side already closed or was told is broken. On a broken
// connection this end has not heard of, the data is silently lost, as a TCP write into
// the socket buffer would be; a half-open end learns of the break a round trip later.
func (c *Conn) Send(payload any, sizeBytes int) error {
	if c.closed {
		return fmt.Errorf("%w: send on connection %d from host %d", ErrConnClosed, c.link.id, c.local)
	}
	n := c.link.n
	sizeBytes = max(sizeBytes, 0)
	n.stats.Sent++
	n.stats.SentBytes += int64(sizeBytes)
	if c.link.dead {
		n.stats.Dropped++
		n.stats.DroppedBytes += int64(sizeBytes)
		if c.halfOpen {
			c.halfOpen = false
			c.notifyAfter(n.drawLatency(c.local, c.remote)+n.drawLatency(c.remote, c.local), ErrReset)
		}
		return nil
	}
	d := c.link.dirs[c.side]
	ready := n.w.now.Add(n.drawLatency(c.local, c.remote))
	if k := len(d.queue); k > 0 && d.queue[k-1].readyAt > ready {
		ready = d.queue[k-1].readyAt // FIFO: never overtake the previous message
	}
	d.queue = append(d.queue, packet{payload: payload, size: sizeBytes, readyAt: ready})
	n.w.note("net.send", int64(c.link.id), int64(c.side), int64(sizeBytes))
	c.link.pump(c.side)
	return nil
}

// Close closes this end the way close(2) does: data this end already sent still flows
// to the peer, followed by a FIN that tells the peer (ErrPeerClosed) once it arrives;
// data travelling towards this end is discarded. A FIN held by a partition or clog waits
// like data. Closing twice is a no-op.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	l := c.link
	if l.dead {
		return nil
	}
	in := l.dirs[1-c.side]
	l.drop(in)
	d := l.dirs[c.side]
	l.n.w.note("net.close", int64(l.id), int64(c.side), 0)
	d.queue = append(d.queue, packet{fin: true, readyAt: l.n.w.now.Add(l.n.drawLatency(c.local, c.remote))})
	l.pump(c.side)
	return nil
}

// breakNotice tells this end of a break after a drawn delay, or leaves it half-open.
func (c *Conn) breakNotice(err error) {
	if c.closed {
		return
	}
	n := c.link.n
	if chance(n.rand(), n.opts.HalfOpenProb) {
		c.halfOpen = true
		return
	}
	extra := Duration(0)
	if n.opts.BreakNoticeMax > 0 {
		extra = Duration(n.rand().Int64N(int64(n.opts.BreakNoticeMax)))
	}
	c.notifyAfter(n.drawLatency(c.remote, c.local)+extra, err)
}

func (c *Conn) notifyAfter(d Duration, err error) {
	n := c.link.n
	n.w.AfterHost(c.local, d, func() { c.tell(err) })
}

// tell reports the end of the connection to this end's application, once.
func (c *Conn) tell(err error) {
	if c.closed {
		return
	}
	c.closed = true
	c.link.n.w.note("net.closed", int64(c.link.id), int64(c.side), 0)
	if c.opened && c.h.OnClose != nil {
		c.h.OnClose(c, fmt.Errorf("%w: connection %d host %d<->%d", err, c.link.id, c.local, c.remote))
	}
}
