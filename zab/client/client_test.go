package client

import (
	"math/rand/v2"
	"slices"
	"testing"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

const ms = int64(1_000_000)

// script drives one client by hand, playing the server's part.
type script struct {
	t   *testing.T
	c   *Client
	out []Effect
}

func newScript(t *testing.T, servers ...string) *script {
	t.Helper()
	c, err := New(Config{ID: 1, Servers: servers, SessionTimeoutMs: 6000, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	return &script{t: t, c: c}
}

// drain collects the client's effects.
func (s *script) drain() []Effect {
	s.out = s.c.Effects()
	return s.out
}

func find[T Effect](effs []Effect) []T {
	var out []T
	for _, e := range effs {
		if v, ok := e.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func (s *script) one(effs []Effect, what string) Effect {
	s.t.Helper()
	if len(effs) == 0 {
		s.t.Fatalf("no %s effect", what)
	}
	return effs[0]
}

// connect dials and completes the handshake at nowNs with the given session id.
func (s *script) connect(nowNs, conn, sessionID int64) (server string, req *cp.ConnectRequest) {
	s.t.Helper()
	s.c.Start(nowNs)
	return s.handshake(nowNs, conn, sessionID)
}

func (s *script) handshake(nowNs, conn, sessionID int64) (string, *cp.ConnectRequest) {
	s.t.Helper()
	dials := find[Dial](s.drain())
	if len(dials) != 1 {
		s.t.Fatalf("want one Dial, got %v", s.out)
	}
	s.c.OnConnected(nowNs, dials[0].Attempt, conn)
	sends := find[Send](s.drain())
	if len(sends) != 1 {
		s.t.Fatalf("want the connect request, got %v", s.out)
	}
	req := sends[0].Msg.(*cp.ConnectRequest)
	s.c.OnMessage(nowNs, conn, &cp.ConnectResponse{TimeoutMs: 6000, SessionID: sessionID, Passwd: []byte("pw")})
	return dials[0].Server, req
}

func TestConnectCreateAndRecord(t *testing.T) {
	s := newScript(t, "a")
	_, req := s.connect(0, 1, 0x100)
	if req.SessionID != 0 || req.LastZxidSeen != 0 || req.TimeoutMs != 6000 {
		t.Fatalf("first connect request %+v", req)
	}
	effs := s.drain()
	if st := find[StateChanged](effs); len(st) != 1 || st[0].State != StateConnected || st[0].SessionID != 0x100 {
		t.Fatalf("state effects %v", effs)
	}
	var got Result
	s.c.Create(5*ms, "/app1", []byte("hello"), cp.FlagPersistent, func(r Result) { got = r })
	sent := find[Send](s.drain())
	r := sent[0].Msg.(*cp.Request)
	if r.Xid != 1 || r.Op != cp.OpCreate || r.Body.(*cp.CreateRequest).Path != "/app1" {
		t.Fatalf("sent %+v", r)
	}
	s.c.OnMessage(7*ms, 1, &cp.Reply{Xid: 1, Zxid: 0x100000002, Body: &cp.PathResponse{Path: "/app1"}})
	if got.Err != cp.ErrOK || got.Path != "/app1" || got.Outcome != OutcomeOK {
		t.Fatalf("result %+v", got)
	}
	done := find[Completed](s.drain())
	if len(done) != 1 {
		t.Fatalf("want one Completed, got %v", s.out)
	}
	rec := done[0].Op
	if rec.CallNs != 5*ms || rec.ReturnNs != 7*ms || rec.Server != "a" || rec.Zxid != 0x100000002 || rec.SessionID != 0x100 || rec.Seq != 1 {
		t.Fatalf("record %+v", rec)
	}
	if s.c.LastZxidSeen() != 0x100000002 {
		t.Fatalf("lastZxidSeen %x", s.c.LastZxidSeen())
	}
}

func TestPingWhenIdleAndReadTimeout(t *testing.T) {
	s := newScript(t, "a", "b", "c")
	s.connect(0, 1, 0x100)
	// Session 6000 ms: read timeout 4000 ms, ping after 2000-1000 = 1000 ms idle.
	wakes := find[Wake](s.drain())
	if len(wakes) != 1 || wakes[0].At != 1000*ms {
		t.Fatalf("wake after connect: %v", s.out)
	}
	s.c.OnTimer(1000 * ms)
	sends := find[Send](s.drain())
	if len(sends) != 1 || sends[0].Msg.(*cp.Request).Xid != cp.XidPing {
		t.Fatalf("want a ping at 1000 ms, got %v", s.out)
	}
	s.c.Get(1500*ms, "/x", nil, nil)
	s.drain()
	// Nothing received since 0: at 4000 ms the connection is lost.
	s.c.OnTimer(3999 * ms)
	if s.c.State() != StateConnected {
		t.Fatalf("lost before the read timeout")
	}
	s.drain()
	s.c.OnTimer(4000 * ms)
	effs := s.drain()
	done := find[Completed](effs)
	if len(done) != 1 || done[0].Op.Outcome != OutcomeUnknown || done[0].Op.Err != cp.ErrConnectionLoss || done[0].Op.Replied {
		t.Fatalf("in-flight get after read timeout: %v", effs)
	}
	if s.c.State() != StateDisconnected || len(find[CloseConn](effs)) != 1 {
		t.Fatalf("state %v effects %v", s.c.State(), effs)
	}
}

func TestReconnectPresentsSessionAndZxidAndRewatches(t *testing.T) {
	s := newScript(t, "a", "b", "c")
	first, _ := s.connect(0, 1, 0x100)
	var events []cp.WatcherEvent
	s.c.Get(1*ms, "/w", func(ev cp.WatcherEvent) { events = append(events, ev) }, nil)
	s.drain()
	s.c.OnMessage(2*ms, 1, &cp.Reply{Xid: 1, Zxid: 0x10000000a, Body: &cp.DataResponse{Data: []byte("v")}})
	s.c.Set(3*ms, "/w", []byte("u"), -1, nil) // in flight when the connection breaks
	s.c.OnClosed(4*ms, 1)
	effs := s.drain()
	if d := find[Completed](effs); len(d) != 2 || d[1].Op.Outcome != OutcomeUnknown {
		t.Fatalf("completions after loss: %v", effs)
	}
	wake := find[Wake](effs)
	// A request made while disconnected waits for the next connection.
	s.c.Exists(5*ms, "/z", nil, nil)
	if sends := find[Send](s.drain()); len(sends) != 0 {
		t.Fatalf("sent while disconnected: %v", sends)
	}
	if len(wake) != 1 || wake[0].At <= 4*ms || wake[0].At > 1005*ms {
		t.Fatalf("reconnect wake %v", wake)
	}
	s.c.OnTimer(wake[0].At)
	second, req := s.handshake(wake[0].At, 2, 0x100)
	if second == first {
		t.Fatalf("reconnected to the same server %q", first)
	}
	if req.SessionID != 0x100 || req.LastZxidSeen != 0x10000000a || string(req.Passwd) != "pw" {
		t.Fatalf("reconnect request %+v", req)
	}
	sends := find[Send](s.drain())
	if len(sends) != 2 {
		t.Fatalf("want setWatches then exists, got %v", s.out)
	}
	sw := sends[0].Msg.(*cp.Request)
	if sw.Xid != cp.XidSetWatches || !slices.Equal(sw.Body.(*cp.SetWatchesRequest).DataWatches, []string{"/w"}) ||
		sw.Body.(*cp.SetWatchesRequest).RelativeZxid != 0x10000000a {
		t.Fatalf("setWatches %+v", sw)
	}
	ex := sends[1].Msg.(*cp.Request)
	if ex.Op != cp.OpExists {
		t.Fatalf("second send %+v", ex)
	}
	s.c.OnMessage(wake[0].At+ms, 2, &cp.Reply{Xid: cp.XidSetWatches, Zxid: 0x10000000a})
	s.c.OnMessage(wake[0].At+ms, 2, &cp.Reply{Xid: -1, Zxid: -1, Body: &cp.WatcherEvent{Type: cp.EventNodeDataChanged, State: cp.StateSyncConnected, Path: "/w"}})
	s.c.OnMessage(wake[0].At+ms, 2, &cp.Reply{Xid: cp.XidNotification, Body: &cp.WatcherEvent{Type: cp.EventNodeDataChanged, Path: "/w"}})
	if len(events) != 1 || events[0].Path != "/w" {
		t.Fatalf("watch should fire exactly once, got %v", events)
	}
	s.c.OnMessage(wake[0].At+2*ms, 2, &cp.Reply{Xid: ex.Xid, Zxid: 0x10000000b, Err: cp.ErrNoNode})
	if d := find[Completed](s.drain()); len(d) != 1 || d[0].Op.Err != cp.ErrNoNode || d[0].Op.Outcome != OutcomeFailed || !d[0].Op.Replied {
		t.Fatalf("exists result %v", s.out)
	}
}

func TestRefusedConnectTriesNextServer(t *testing.T) {
	s := newScript(t, "a", "b", "c")
	s.c.Start(0)
	d1 := find[Dial](s.drain())[0]
	s.c.OnConnected(0, d1.Attempt, 1)
	s.drain()
	// A server behind the client closes the connection instead of answering.
	s.c.OnClosed(1*ms, 1)
	w := find[Wake](s.drain())[0]
	s.c.OnTimer(w.At)
	d2 := find[Dial](s.drain())
	if len(d2) != 1 || d2[0].Server == d1.Server {
		t.Fatalf("second dial %v after refusal by %s", d2, d1.Server)
	}
	// A late answer to the abandoned attempt is closed, not used.
	s.c.OnConnected(w.At, d1.Attempt, 9)
	if cl := find[CloseConn](s.drain()); len(cl) != 1 || cl[0].Conn != 9 {
		t.Fatalf("stale connection not closed: %v", s.out)
	}
}

func TestConnectTimeoutIsSessionTimeoutOverServers(t *testing.T) {
	s := newScript(t, "a", "b", "c")
	s.c.Start(0)
	s.drain()
	if w := find[Wake](s.out); len(w) != 1 || w[0].At != 2000*ms {
		t.Fatalf("connect deadline %v, want 6000/3 ms", s.out)
	}
	s.c.OnTimer(2000 * ms)
	if find[Wake](s.drain())[0].At <= 2000*ms {
		t.Fatalf("no reconnect scheduled: %v", s.out)
	}
}

func TestExpiredSession(t *testing.T) {
	s := newScript(t, "a", "b")
	s.connect(0, 1, 0x100)
	var watchEv []cp.WatcherEvent
	s.c.Exists(ms, "/e", func(ev cp.WatcherEvent) { watchEv = append(watchEv, ev) }, nil)
	s.c.OnMessage(2*ms, 1, &cp.Reply{Xid: 1, Zxid: 5, Err: cp.ErrNoNode})
	s.c.OnClosed(3*ms, 1)
	s.c.Delete(4*ms, "/e", -1, nil) // queued
	w := find[Wake](s.drain())[0]
	s.c.OnTimer(w.At)
	d := find[Dial](s.drain())[0]
	s.c.OnConnected(w.At, d.Attempt, 2)
	s.c.OnMessage(w.At, 2, &cp.ConnectResponse{TimeoutMs: 0})
	effs := s.drain()
	if s.c.State() != StateExpired {
		t.Fatalf("state %v", s.c.State())
	}
	done := find[Completed](effs)
	if len(done) != 1 || done[0].Op.Err != cp.ErrSessionExpired || done[0].Op.Outcome != OutcomeFailed {
		t.Fatalf("queued delete after expiry: %v", effs)
	}
	if len(watchEv) != 1 || watchEv[0].State != cp.StateExpired {
		t.Fatalf("watchers after expiry: %v", watchEv)
	}
	var after Result
	s.c.Get(w.At, "/x", nil, func(r Result) { after = r })
	if after.Err != cp.ErrSessionExpired || len(find[Send](s.drain())) != 0 {
		t.Fatalf("call after expiry: %+v %v", after, s.out)
	}
}

func TestOutOfOrderReplyIsAViolation(t *testing.T) {
	s := newScript(t, "a")
	s.connect(0, 1, 0x100)
	s.c.Get(ms, "/a", nil, nil)
	s.c.Get(ms, "/b", nil, nil)
	s.drain()
	s.c.OnMessage(2*ms, 1, &cp.Reply{Xid: 2, Zxid: 1, Body: &cp.DataResponse{}})
	effs := s.drain()
	if v := find[Violation](effs); len(v) != 1 {
		t.Fatalf("want a violation, got %v", effs)
	}
	if s.c.State() != StateDisconnected {
		t.Fatalf("state %v after a violation", s.c.State())
	}
}

func TestBadPathFailsWithoutSending(t *testing.T) {
	s := newScript(t, "a")
	s.connect(0, 1, 0x100)
	s.drain()
	for _, p := range []string{"", "a", "/a/", "//", "/a/./b", "/a\x01"} {
		var r Result
		s.c.Create(ms, p, nil, cp.FlagPersistent, func(res Result) { r = res })
		if r.Err != cp.ErrBadArguments || r.Outcome != OutcomeFailed || len(find[Send](s.drain())) != 0 {
			t.Errorf("path %q: %+v %v", p, r, s.out)
		}
	}
	var r Result
	s.c.Create(ms, "/q/", nil, cp.FlagPersistentSequential, func(res Result) { r = res })
	if len(find[Send](s.drain())) != 1 {
		t.Errorf("sequential /q/ should be sent: %+v", r)
	}
}

func TestCloseSession(t *testing.T) {
	s := newScript(t, "a")
	s.connect(0, 1, 0x100)
	var closed Result
	s.c.Close(ms, func(r Result) { closed = r })
	sends := find[Send](s.drain())
	if len(sends) != 1 || sends[0].Msg.(*cp.Request).Op != cp.OpCloseSession {
		t.Fatalf("close sends %v", s.out)
	}
	s.c.OnMessage(2*ms, 1, &cp.Reply{Xid: sends[0].Msg.(*cp.Request).Xid, Zxid: 9})
	if closed.Err != cp.ErrOK || s.c.State() != StateClosed || len(find[CloseConn](s.drain())) != 1 {
		t.Fatalf("after close: %+v %v %v", closed, s.c.State(), s.out)
	}
}

func TestShuffleIsSeeded(t *testing.T) {
	order := func(seed uint64) []string {
		c, _ := New(Config{Servers: []string{"a", "b", "c", "d", "e"}, SessionTimeoutMs: 1000, Rand: rand.New(rand.NewPCG(seed, 0))})
		return c.servers
	}
	if !slices.Equal(order(3), order(3)) {
		t.Fatalf("same seed, different order")
	}
	differs := false
	for seed := uint64(0); seed < 10; seed++ {
		differs = differs || !slices.Equal(order(seed), order(seed+1))
	}
	if !differs {
		t.Fatalf("the server list is never shuffled")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, cfg := range []Config{{SessionTimeoutMs: 1, Rand: r}, {Servers: []string{"a"}, Rand: r}, {Servers: []string{"a"}, SessionTimeoutMs: 1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted a bad config", cfg)
		}
	}
}

// A request made while connecting is failed, not kept, when that attempt fails — and it
// is certainly not applied (it was never sent).
func TestUnsentRequestFailsWithTheAttempt(t *testing.T) {
	s := newScript(t, "a", "b")
	s.c.Start(0)
	d := find[Dial](s.drain())[0]
	s.c.OnConnected(0, d.Attempt, 1)
	var got Result
	s.c.Set(ms, "/x", []byte("v"), -1, func(r Result) { got = r })
	if sends := find[Send](s.drain()); len(sends) != 1 { // only the ConnectRequest
		t.Fatalf("sent before the session was established: %v", sends)
	}
	s.c.OnClosed(2*ms, 1)
	done := find[Completed](s.drain())
	if len(done) != 1 || got.Err != cp.ErrConnectionLoss || got.Outcome != OutcomeFailed || done[0].Op.Server != "" {
		t.Fatalf("unsent set after a failed attempt: %+v %v", got, s.out)
	}
}
