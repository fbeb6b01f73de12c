package sim

import (
	"errors"
	"io/fs"
	"slices"
	"testing"
)

// netRig is a world with hosts, an echo-less listener on port 1 of every host, and a
// record of what each end received.
type netRig struct {
	w      *World
	n      *Network
	got    map[*Conn][]any
	closed map[*Conn]error
	accept []*Conn
}

func newNetRig(t *testing.T, hosts int, opts NetOptions) *netRig {
	t.Helper()
	r := &netRig{w: NewWorld(7, WithNetwork(opts)), got: map[*Conn][]any{}, closed: map[*Conn]error{}}
	r.n = r.w.Network()
	for _, h := range r.w.AddHosts(hosts) {
		if err := r.n.Listen(h, 1, func(c *Conn) Handlers { r.accept = append(r.accept, c); return r.handlers() }); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *netRig) handlers() Handlers {
	return Handlers{
		OnMessage: func(c *Conn, p any) { r.got[c] = append(r.got[c], p) },
		OnClose:   func(c *Conn, err error) { r.closed[c] = err },
	}
}

// dial connects from→to and runs until the dial completes.
func (r *netRig) dial(t *testing.T, from, to HostID) (*Conn, *Conn) {
	t.Helper()
	var c *Conn
	var err error
	r.n.Dial(from, to, 1, r.handlers(), func(cc *Conn, e error) { c, err = cc, e })
	r.w.RunFor(Second)
	if err != nil || c == nil {
		t.Fatalf("dial %d->%d: %v", from, to, err)
	}
	return c, r.accept[len(r.accept)-1]
}

func quietNet() NetOptions {
	o := DefaultNetOptions()
	o.HalfOpenProb = 0
	return o
}

func TestDialSendFIFOClose(t *testing.T) {
	r := newNetRig(t, 2, DefaultNetOptions())
	a, b := r.dial(t, 1, 2)
	if a.Remote() != 2 || b.Remote() != 1 || a.ID() != b.ID() || !a.IsDialer() || b.IsDialer() {
		t.Fatalf("ends: a %d->%d, b %d->%d", a.Local(), a.Remote(), b.Local(), b.Remote())
	}
	for i := range 100 {
		a.Send(i, 8)
	}
	b.Send("hi", 2)
	r.w.RunFor(Second)
	want := make([]any, 100)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(r.got[b], want) || !slices.Equal(r.got[a], []any{"hi"}) {
		t.Fatalf("b got %v, a got %v", r.got[b], r.got[a])
	}
	a.Close()
	r.w.RunFor(Second)
	if !errors.Is(r.closed[b], ErrPeerClosed) {
		t.Fatalf("peer of a closed end got %v, want ErrPeerClosed", r.closed[b])
	}
	if _, told := r.closed[a]; told {
		t.Fatal("the closing end was told of its own close")
	}
	if err := a.Send(1, 1); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("send after close: %v", err)
	}
	st := r.n.Stats()
	if st.Sent != 101 || st.Delivered != 101 || st.SentBytes != 802 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDialFailures(t *testing.T) {
	r := newNetRig(t, 3, DefaultNetOptions())
	var err error
	var at Time
	try := func(from, to HostID, port int) {
		err, at = nil, 0
		start := r.w.Now()
		r.n.Dial(from, to, port, Handlers{}, func(c *Conn, e error) { err, at = e, r.w.Now()-start })
		r.w.RunFor(10 * Second)
	}
	try(1, 2, 99)
	if !errors.Is(err, ErrRefused) || at > Time(Second) {
		t.Fatalf("dial to a closed port: %v after %v, want quick ErrRefused", err, at)
	}
	r.w.Crash(3)
	try(1, 3, 1)
	if !errors.Is(err, ErrConnectTimeout) || at != Time(5*Second) {
		t.Fatalf("dial to a down host: %v after %v, want ErrConnectTimeout after 5s", err, at)
	}
	r.n.PartitionOneWay([]HostID{2}, []HostID{1})
	try(1, 2, 1)
	if !errors.Is(err, ErrConnectTimeout) {
		t.Fatalf("dial across a one-way partition: %v", err)
	}
	if st := r.n.Stats(); st.DialFailures != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPartitionHoldsThenFlushesInOrder(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	a, b := r.dial(t, 1, 2)
	a.Send(1, 1) // in flight when the partition starts
	r.n.Partition([]HostID{1}, []HostID{2})
	a.Send(2, 1)
	r.w.RunFor(Minute)
	if len(r.got[b]) != 0 {
		t.Fatalf("delivered across a partition: %v", r.got[b])
	}
	r.n.Heal()
	a.Send(3, 1)
	r.w.RunFor(Second)
	if !slices.Equal(r.got[b], []any{1, 2, 3}) {
		t.Fatalf("after heal: %v, want 1 2 3", r.got[b])
	}
}

func TestClogStallsThenFlushes(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	a, b := r.dial(t, 1, 2)
	var at []Time
	b.SetHandlers(Handlers{OnMessage: func(c *Conn, p any) { at = append(at, r.w.Now()) }})
	end := r.w.Now().Add(3 * Second)
	r.n.Clog(1, 2, 3*Second)
	a.Send(1, 1)
	a.Send(2, 1)
	b.Send("reverse", 1) // the other direction is not clogged
	r.w.RunFor(Second)
	if len(r.got[a]) != 1 || len(at) != 0 {
		t.Fatalf("clog: reverse got %v, clogged direction delivered at %v", r.got[a], at)
	}
	r.w.RunFor(5 * Second)
	if len(at) != 2 || at[0] < end || at[1] < at[0] {
		t.Fatalf("clogged data delivered at %v, want 2 deliveries after %v", at, end)
	}
}

func TestBreakLosesInFlightAndHalfOpenLearnsOnSend(t *testing.T) {
	o := DefaultNetOptions()
	o.HalfOpenProb = 1
	r := newNetRig(t, 2, o)
	a, b := r.dial(t, 1, 2)
	a.Send(1, 1)
	r.n.Break(a)
	r.w.RunFor(Minute)
	if len(r.got[b]) != 0 || len(r.closed) != 0 {
		t.Fatalf("after break: delivered %v, told %v; want nothing, both half-open", r.got[b], r.closed)
	}
	if err := b.Send(2, 1); err != nil {
		t.Fatalf("send on a half-open end should look fine, got %v", err)
	}
	r.w.RunFor(Second)
	if !errors.Is(r.closed[b], ErrReset) || r.closed[a] != nil {
		t.Fatalf("told: %v", r.closed)
	}
	if st := r.n.Stats(); st.Dropped != 2 {
		t.Fatalf("dropped %d, want 2 (one in flight, one into the broken socket)", st.Dropped)
	}
}

func TestCrashBreaksConnectionsAndListeners(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	a, b := r.dial(t, 1, 2)
	b.Send(1, 1)
	r.w.Crash(2)
	r.w.RunFor(10 * Second)
	if !errors.Is(r.closed[a], ErrReset) || len(r.got[a]) != 0 {
		t.Fatalf("peer of a crashed host: told %v, got %v", r.closed[a], r.got[a])
	}
	r.w.Restart(2)
	var err error
	r.n.Dial(1, 2, 1, Handlers{}, func(c *Conn, e error) { err = e })
	r.w.RunFor(10 * Second)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("listener survived the crash: dial gave %v", err)
	}
}

func TestPausedReceiverGetsEverythingInOrder(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	a, b := r.dial(t, 1, 2)
	r.w.Pause(2, 10*Second)
	for i := range 5 {
		a.Send(i, 1)
	}
	r.w.RunFor(5 * Second)
	if len(r.got[b]) != 0 {
		t.Fatal("a paused host received messages")
	}
	r.w.RunFor(10 * Second)
	if !slices.Equal(r.got[b], []any{0, 1, 2, 3, 4}) {
		t.Fatalf("after the pause: %v", r.got[b])
	}
}

func BenchmarkMessageDelivery(b *testing.B) {
	w := NewWorld(1, WithMaxSteps(1<<62))
	n := w.Network()
	w.AddHosts(2)
	delivered := 0
	n.Listen(2, 1, func(c *Conn) Handlers {
		return Handlers{OnMessage: func(c *Conn, p any) { delivered++ }}
	})
	var conn *Conn
	n.Dial(1, 2, 1, Handlers{}, func(c *Conn, err error) { conn = c })
	w.RunFor(Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		conn.Send(i, 100)
		if i%64 == 63 {
			w.RunFor(Millisecond)
		}
	}
	w.RunFor(Minute)
	if delivered != b.N {
		b.Fatalf("delivered %d of %d", delivered, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func TestCloseDeliversSentDataThenFINEvenAfterAPartition(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	a, b := r.dial(t, 1, 2)
	r.n.Partition([]HostID{1}, []HostID{2})
	a.Send("last words", 10)
	a.Close()
	b.Send("to a closed end", 1)
	r.w.RunFor(Minute)
	if len(r.got[b]) != 0 || r.closed[b] != nil {
		t.Fatalf("across the partition: got %v, told %v", r.got[b], r.closed[b])
	}
	if got := r.n.Conns(2); len(got) != 1 || got[0] != b {
		t.Fatalf("Conns(2) = %v, want b still open (it has not heard the FIN)", got)
	}
	r.n.Heal()
	r.w.RunFor(Second)
	if !slices.Equal(r.got[b], []any{"last words"}) || !errors.Is(r.closed[b], ErrPeerClosed) || len(r.got[a]) != 0 {
		t.Fatalf("after heal: b got %v and was told %v; a got %v", r.got[b], r.closed[b], r.got[a])
	}
	if len(r.n.Conns(1)) != 0 || len(r.n.Conns(2)) != 0 {
		t.Fatal("a finished connection is still listed")
	}
}

func TestDialerCrashBeforeAcceptLeavesNoConnection(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	doneCalled := false
	r.n.Dial(1, 2, 1, Handlers{}, func(*Conn, error) { doneCalled = true })
	r.w.Crash(1)
	r.w.RunFor(10 * Second)
	if doneCalled || len(r.accept) != 0 {
		t.Fatalf("a dial from a crashed host completed (done %v, accepted %d)", doneCalled, len(r.accept))
	}
}

func TestHalfOpenPeerOfCrashedHostLearnsWhenItSends(t *testing.T) {
	o := DefaultNetOptions()
	o.HalfOpenProb = 1
	r := newNetRig(t, 2, o)
	a, _ := r.dial(t, 1, 2)
	r.w.Crash(2)
	r.w.RunFor(Hour)
	if r.closed[a] != nil {
		t.Fatal("a half-open end was told without sending")
	}
	if err := a.Send(1, 1); err != nil {
		t.Fatal(err)
	}
	r.w.RunFor(Second)
	if !errors.Is(r.closed[a], ErrReset) {
		t.Fatalf("after sending: %v", r.closed[a])
	}
	if err := a.Send(2, 1); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("send after being told: %v", err)
	}
}

func TestDeadConnectionsAreForgotten(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	for range 500 {
		a, _ := r.dial(t, 1, 2)
		r.n.Break(a)
	}
	if len(r.n.links) > 200 {
		t.Fatalf("%d links kept after 500 broken connections", len(r.n.links))
	}
}

func TestSwizzleClogsPickedHostsWithinTheWindow(t *testing.T) {
	r := newNetRig(t, 5, quietNet())
	start := r.w.Now()
	picked := r.n.Swizzle(r.w.Hosts(), 10*Second)
	if len(picked) == 0 || len(picked) > 5 {
		t.Fatalf("picked %v", picked)
	}
	clogged := map[HostID]bool{}
	for range 100 {
		r.w.RunFor(100 * Millisecond)
		for _, h := range picked {
			for _, o := range r.w.Hosts() {
				if o != h && !r.n.Connected(h, o) {
					clogged[h] = true
				}
			}
		}
		for _, x := range r.w.Hosts() {
			for _, y := range r.w.Hosts() {
				if !slices.Contains(picked, x) && !slices.Contains(picked, y) && !r.n.Connected(x, y) {
					t.Fatalf("link %d->%d between unpicked hosts is clogged", x, y)
				}
			}
		}
	}
	if len(clogged) != len(picked) {
		t.Fatalf("clogged %v, picked %v", clogged, picked)
	}
	if r.w.Now().Sub(start) < 10*Second {
		t.Fatal("test ran short")
	}
	for _, a := range r.w.Hosts() {
		for _, b := range r.w.Hosts() {
			if !r.n.Connected(a, b) {
				t.Fatalf("link %d->%d still clogged after the swizzle window", a, b)
			}
		}
	}
}

func TestKillClosesGracefullyAndKeepsThePageCache(t *testing.T) {
	r := newNetRig(t, 2, quietNet())
	a, b := r.dial(t, 1, 2)
	d := r.w.Disk(2)
	f, _ := d.Create("unsynced")
	f.WriteAt([]byte("page cache"), 0)
	fired := false
	r.w.AfterHost(2, Second, func() { fired = true })
	b.Send("last", 4)
	r.w.Kill(2)
	if r.w.IsUp(2) {
		t.Fatal("a killed host's process is up")
	}
	r.w.RunFor(10 * Second)
	if fired {
		t.Fatal("an event of the killed process fired")
	}
	if !slices.Equal(r.got[a], []any{"last"}) || !errors.Is(r.closed[a], ErrPeerClosed) {
		t.Fatalf("peer of a killed process got %v and was told %v; want the data, then a FIN", r.got[a], r.closed[a])
	}
	var err error
	var took Time
	start := r.w.Now()
	r.n.Dial(1, 2, 1, Handlers{}, func(c *Conn, e error) { err, took = e, r.w.Now()-start })
	r.w.RunFor(10 * Second)
	if !errors.Is(err, ErrRefused) || took > Time(Second) {
		t.Fatalf("dial to a killed process: %v after %v, want a quick ErrRefused", err, took)
	}
	if _, err := f.Size(); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("a killed process's file handle still works: %v", err)
	}
	r.w.Restart(2)
	if got := readAll(t, d, "unsynced"); string(got) != "page cache" {
		t.Fatalf("after kill and restart the file holds %q, want the unsynced write kept", got)
	}
}

func TestPowerLossAfterKillLosesThePageCache(t *testing.T) {
	w := NewWorld(1)
	h := w.AddHost()
	d := w.Disk(h)
	f, _ := d.Create("f")
	d.SyncDir(".") // the name is durable, the data will not be
	f.WriteAt([]byte("unsynced"), 0)
	crashes := 0
	w.OnCrash(h, func() { crashes++ })
	w.Kill(h)
	w.CrashWith(h, CrashDrop)
	w.CrashWith(h, CrashDrop) // a crashed host: nothing more
	w.Restart(h)
	if crashes != 1 {
		t.Fatalf("crash hooks ran %d times for one process death", crashes)
	}
	g, err := d.Open("f")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := g.Size(); s != 0 {
		t.Fatalf("a power loss after a kill kept %d unsynced bytes", s)
	}
	if st := d.Stats(); st.Crashes != 1 {
		t.Fatalf("disk crashes %d, want 1", st.Crashes)
	}
}
