package sim

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// netModel is the test's own account of what the network may do, kept independently of
// the implementation: which links are cut or clogged and which connections are broken.
type netModel struct {
	t         *rapid.T
	w         *World
	cut       map[hostPair]bool
	clogUntil map[hostPair]Time
	broken    map[ConnID]bool // broken (Break, crash): nothing more flows either way
	deaf      map[*Conn]bool  // closed by its own Close: it receives nothing more
	next      map[*Conn]int   // next sequence number each end sends
	want      map[*Conn]int   // next sequence number each end expects
	conns     []*Conn
}

type seqMsg struct {
	conn ConnID
	from HostID
	seq  int
}

func (m *netModel) handlers() Handlers {
	return Handlers{OnMessage: m.onMessage}
}

func (m *netModel) onMessage(c *Conn, p any) {
	msg := p.(seqMsg)
	from, to := c.Remote(), c.Local()
	if m.cut[hostPair{from, to}] {
		m.t.Fatalf("%v: conn %d delivered %d->%d across a partition", m.w.Now(), msg.conn, from, to)
	}
	if m.clogUntil[hostPair{from, to}] > m.w.Now() {
		m.t.Fatalf("%v: conn %d delivered %d->%d through a clog", m.w.Now(), msg.conn, from, to)
	}
	if m.broken[c.ID()] {
		m.t.Fatalf("%v: conn %d delivered after it broke", m.w.Now(), c.ID())
	}
	if m.deaf[c] {
		m.t.Fatalf("%v: conn %d delivered to an end that closed", m.w.Now(), c.ID())
	}
	if msg.conn != c.ID() || msg.from != from {
		m.t.Fatalf("conn %d got a message of conn %d from %d", c.ID(), msg.conn, msg.from)
	}
	if msg.seq != m.want[c] {
		m.t.Fatalf("%v: conn %d %d->%d delivered seq %d, want %d (FIFO, no gaps)", m.w.Now(), c.ID(), from, to, msg.seq, m.want[c])
	}
	m.want[c]++
}

func (m *netModel) breakHost(h HostID) {
	for _, c := range m.conns {
		if c.Local() == h || c.Remote() == h {
			m.broken[c.ID()] = true
		}
	}
}

func TestNetworkProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		opts := DefaultNetOptions()
		opts.HalfOpenProb = rapid.Float64Range(0, 1).Draw(rt, "halfOpen")
		w := NewWorld(rapid.Uint64().Draw(rt, "seed"), WithNetwork(opts), WithTrace(traceOut(rt)))
		n := w.Network()
		hosts := w.AddHosts(rapid.IntRange(2, 4).Draw(rt, "hosts"))
		m := &netModel{t: rt, w: w, cut: map[hostPair]bool{}, clogUntil: map[hostPair]Time{},
			broken: map[ConnID]bool{}, deaf: map[*Conn]bool{}, next: map[*Conn]int{}, want: map[*Conn]int{}}
		listen := func(h HostID) {
			n.Listen(h, 1, func(c *Conn) Handlers { m.conns = append(m.conns, c); return m.handlers() })
		}
		for _, h := range hosts {
			listen(h)
		}
		host := rapid.SampledFrom(hosts)
		// Start from a full mesh, so that every run exercises traffic.
		for _, a := range hosts {
			for _, b := range hosts {
				n.Dial(a, b, 1, m.handlers(), func(c *Conn, err error) { m.conns = append(m.conns, c) })
			}
		}
		if err := w.RunFor(Second); err != nil {
			rt.Fatal(err)
		}
		steps := rapid.IntRange(10, 100).Draw(rt, "steps")
		for range steps {
			switch op := rapid.IntRange(0, 9).Draw(rt, "op"); op {
			case 0:
				n.Dial(host.Draw(rt, "from"), host.Draw(rt, "to"), 1, m.handlers(), func(c *Conn, err error) {
					if err == nil {
						m.conns = append(m.conns, c)
					}
				})
			case 1, 2, 3:
				if len(m.conns) > 0 {
					c := rapid.SampledFrom(m.conns).Draw(rt, "conn")
					for range rapid.IntRange(1, 20).Draw(rt, "burst") {
						if c.Send(seqMsg{c.ID(), c.Local(), m.next[c]}, 10) == nil {
							m.next[c]++
						}
					}
				}
			case 4:
				a, b := host.Draw(rt, "a"), host.Draw(rt, "b")
				if a != b {
					m.cut[hostPair{a, b}] = true
					if rapid.Bool().Draw(rt, "symmetric") {
						m.cut[hostPair{b, a}] = true
						n.Partition([]HostID{a}, []HostID{b})
					} else {
						n.PartitionOneWay([]HostID{a}, []HostID{b})
					}
				}
			case 5:
				n.Heal()
				m.cut = map[hostPair]bool{}
			case 6:
				a, b := host.Draw(rt, "a"), host.Draw(rt, "b")
				d := Duration(rapid.IntRange(1, 3000).Draw(rt, "clogMs")) * Millisecond
				k := hostPair{a, b}
				n.Clog(a, b, d)
				m.clogUntil[k] = max(m.clogUntil[k], w.Now().Add(d))
			case 7:
				if len(m.conns) > 0 {
					c := rapid.SampledFrom(m.conns).Draw(rt, "conn")
					if rapid.Bool().Draw(rt, "close") {
						c.Close()
						m.deaf[c] = true
					} else {
						n.Break(c)
						m.broken[c.ID()] = true
					}
				}
			case 8:
				h := host.Draw(rt, "h")
				if w.IsUp(h) {
					m.breakHost(h)
					w.Crash(h)
				} else {
					w.Restart(h)
					listen(h)
				}
			case 9:
				w.Pause(host.Draw(rt, "h"), Duration(rapid.IntRange(1, 2000).Draw(rt, "pauseMs"))*Millisecond)
			}
			if err := w.RunFor(Duration(rapid.IntRange(0, 50).Draw(rt, "runMs")) * Millisecond); err != nil {
				rt.Fatal(err)
			}
		}
		// Heal everything: every message on a connection that never broke must arrive
		// unless its receiver closed (graceful close delivers what was sent before it).
		n.Heal()
		m.cut = map[hostPair]bool{}
		for _, h := range hosts {
			w.Restart(h)
			w.Resume(h)
		}
		if err := w.RunFor(Minute); err != nil {
			rt.Fatal(err)
		}
		for _, c := range m.conns {
			peer := peerOf(c)
			if !m.broken[c.ID()] && !m.deaf[peer] && m.want[peer] != m.next[c] {
				rt.Fatalf("conn %d %d->%d: sent %d, delivered %d on a connection that never broke",
					c.ID(), c.Local(), c.Remote(), m.next[c], m.want[peer])
			}
		}
	})
}

func peerOf(c *Conn) *Conn { return c.link.ends[1-c.side] }

func ExampleNetwork() {
	w := NewWorld(1)
	n := w.Network()
	server, client := w.AddHost(), w.AddHost()
	n.Listen(server, 2888, func(c *Conn) Handlers {
		return Handlers{OnMessage: func(c *Conn, p any) {
			fmt.Printf("%v server got %q\n", w.Now() > 0, p)
			c.Send("pong", 4)
		}}
	})
	n.Dial(client, server, 2888, Handlers{
		OnMessage: func(c *Conn, p any) { fmt.Printf("client got %q\n", p) },
	}, func(c *Conn, err error) {
		if err != nil {
			fmt.Println("dial:", err)
			return
		}
		c.Send("ping", 4)
	})
	w.RunFor(Second)
	n.Isolate(server)
	n.Dial(client, server, 2888, Handlers{}, func(c *Conn, err error) { fmt.Println(err) })
	w.RunFor(10 * Second)
	// Output:
	// true server got "ping"
	// client got "pong"
	// sim: connect timed out: dial host 1 port 2888 from host 2
}

type rtWriter struct{ rt *rapid.T }

func (w rtWriter) Write(p []byte) (int, error) { w.rt.Log(string(p)); return len(p), nil }

func traceOut(rt *rapid.T) rtWriter { return rtWriter{rt} }
