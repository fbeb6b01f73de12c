package zab

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// clientReplies returns the client messages server id sent on conn.
func clientReplies(w *tworld, id int64, conn ConnID) []any {
	var out []any
	for _, e := range w.effects[id] {
		if s, ok := e.(Send); ok && s.Conn == conn {
			out = append(out, s.Msg)
		}
	}
	return out
}

func TestClientOnFollowerWritesThroughLeaderAndReadsItsWrite(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatal("no leader")
	}
	if l := w.leader(); l != 3 {
		t.Fatalf("equal zxids: the highest sid must lead, got %d", l)
	}
	f := int64(1)
	conn := ConnID(5000)
	srv := w.servers[f]
	w.run(f, srv.OnClientConnected(w.now, conn))
	w.run(f, srv.OnClientMessage(w.now, conn, &cp.ConnectRequest{TimeoutMs: 100}))
	w.runFor(50 * msNs)
	got := clientReplies(w, f, conn)
	if len(got) != 1 {
		t.Fatalf("want one ConnectResponse, got %v", got)
	}
	resp := got[0].(*cp.ConnectResponse)
	if resp.TimeoutMs != 4000 || resp.SessionID>>56 != f {
		t.Fatalf("connect response %+v: want timeout clamped to 2×tickTime=4000 and an id minted by server 1", resp)
	}
	// Pipelined: create then read in the same session; the read waits for the write.
	w.run(f, srv.OnClientMessage(w.now, conn, &cp.Request{Xid: 1, Op: cp.OpCreate,
		Body: &cp.CreateRequest{Path: "/app1", Data: []byte("hello"), ACL: cp.OpenACLUnsafe}}))
	w.run(f, srv.OnClientMessage(w.now, conn, &cp.Request{Xid: 2, Op: cp.OpGetData, Body: &cp.PathWatchRequest{Path: "/app1"}}))
	w.runFor(50 * msNs)
	got = clientReplies(w, f, conn)
	if len(got) != 3 {
		t.Fatalf("want 3 messages (connect, create, get), got %d", len(got))
	}
	create, get := got[1].(*cp.Reply), got[2].(*cp.Reply)
	if create.Xid != 1 || create.Err != cp.ErrOK || create.Body.(*cp.PathResponse).Path != "/app1" {
		t.Errorf("create reply %+v", create)
	}
	if get.Xid != 2 || get.Err != cp.ErrOK || string(get.Body.(*cp.DataResponse).Data) != "hello" {
		t.Errorf("get reply %+v", get)
	}
	if get.Zxid < create.Zxid {
		t.Errorf("read reply zxid 0x%x older than the write's 0x%x", get.Zxid, create.Zxid)
	}
	for _, id := range w.ids() {
		if !hasNode(w.servers[id], "/app1") {
			t.Errorf("server %d lacks /app1", id)
		}
	}
	// A client that has seen more than a server has processed is refused.
	conn2 := ConnID(5001)
	w.run(2, w.servers[2].OnClientConnected(w.now, conn2))
	w.run(2, w.servers[2].OnClientMessage(w.now, conn2, &cp.ConnectRequest{TimeoutMs: 4000, LastZxidSeen: makeZxid(9, 1)}))
	closed := false
	for _, e := range w.effects[2] {
		if c, ok := e.(CloseConn); ok && c.Conn == conn2 {
			closed = true
		}
	}
	if !closed {
		t.Error("connect with lastZxidSeen ahead of the server was not refused")
	}
}

func TestSessionPasswordMatchesJavaRandom(t *testing.T) {
	// Two calls agree and different ids differ; the generator is java.util.Random's LCG:
	// new Random(0).nextInt() == -1155484576 (a well-known value).
	r := newJavaRandom(0)
	if v := r.next(32); v != -1155484576 {
		t.Fatalf("java.util.Random(0).nextInt() = %d, want -1155484576", v)
	}
	a, b := sessionPassword(0x1000056c4210000), sessionPassword(0x1000056c4210001)
	if len(a) != 16 || string(a) == string(b) {
		t.Fatalf("passwords %x %x", a, b)
	}
}

func FuzzDecodeQuorumPacket(f *testing.F) {
	f.Add(QuorumPacket{Type: PacketProposal, Zxid: 0x100000001, Data: []byte("abc")}.Encode())
	f.Add(QuorumPacket{Type: PacketUpToDate, Zxid: -1}.Encode())
	f.Add([]byte{0, 0, 0, 99})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeQuorumPacket(b)
		if err != nil {
			return
		}
		q, err := DecodeQuorumPacket(p.Encode())
		if err != nil || q.Type != p.Type || q.Zxid != p.Zxid || string(q.Data) != string(p.Data) {
			t.Fatalf("re-decode of %v: %v %v", p, q, err)
		}
	})
}

func TestPlanSyncTable(t *testing.T) {
	log := makeTxns(1, 1, 5) // (1,1)..(1,5)
	cases := []struct {
		name          string
		peer, lastPro int64
		want          SyncMode
		op            int64
		sends         int
	}{
		{"equal", makeZxid(1, 5), makeZxid(1, 5), SyncDiff, makeZxid(1, 5), 0},
		{"ahead same epoch", makeZxid(1, 7), makeZxid(1, 5), SyncTrunc, makeZxid(1, 5), 0},
		{"inside window", makeZxid(1, 3), makeZxid(1, 5), SyncDiff, makeZxid(1, 5), 2},
		{"new epoch zxid", makeZxid(2, 0), makeZxid(2, 3), SyncSnap, makeZxid(2, 3), 0},
		{"older than window", makeZxid(0, 5), makeZxid(1, 5), SyncSnap, makeZxid(1, 5), 0},
	}
	for _, c := range cases {
		p := planSync(c.peer, c.lastPro, log)
		if p.mode != c.want || p.opZxid != c.op || len(p.send) != c.sends {
			t.Errorf("%s: got %v op=0x%x sends=%d, want %v op=0x%x sends=%d", c.name, p.mode, p.opZxid, len(p.send), c.want, c.op, c.sends)
		}
	}
	// The peer has (1,4') that we never had: TRUNC to the previous proposal, then the rest.
	gap := append(append([]Proposal{}, log[:3]...), log[4])
	p := planSync(makeZxid(1, 4), makeZxid(1, 5), gap)
	if p.mode != SyncTrunc || p.opZxid != makeZxid(1, 3) || len(p.send) != 1 {
		t.Errorf("divergent peer: %v op=0x%x sends=%d, want TRUNC 0x100000003 and 1 proposal", p.mode, p.opZxid, len(p.send))
	}
	// Across an epoch boundary TRUNC is not allowed: SNAP.
	cross := append(append([]Proposal{}, log[:3]...), makeTxns(2, 1, 1)...)
	if p := planSync(makeZxid(1, 4), makeZxid(2, 1), cross); p.mode != SyncSnap {
		t.Errorf("cross-epoch divergence: %v, want SNAP", p.mode)
	}
}

func TestSetWatchesFiresMissedChangeAndReRegisters(t *testing.T) {
	w := servingWorld(t, "")
	l := w.leader()
	w.connectClient(l, 300, 10000)
	w.request(l, 300, createReq(1, "/sw", "a"))
	seen := w.servers[l].Status().LastProcessedZxid
	w.request(l, 300, &cp.Request{Xid: 2, Op: cp.OpSetData, Body: &cp.SetDataRequest{Path: "/sw", Data: []byte("b"), Version: -1}})
	// A reconnecting client that saw zxid `seen` re-registers a data watch on /sw and one
	// on /quiet (unchanged): /sw fires at once, /quiet fires on its next change.
	f := aFollower(w)
	w.connectClient(f, 301, 10000)
	w.request(f, 301, createReq(1, "/quiet", "q"))
	w.request(f, 301, &cp.Request{Xid: cp.XidSetWatches, Op: cp.OpSetWatches,
		Body: &cp.SetWatchesRequest{RelativeZxid: w.servers[f].Status().LastProcessedZxid, DataWatches: []string{"/quiet"}}})
	w.request(f, 301, &cp.Request{Xid: cp.XidSetWatches, Op: cp.OpSetWatches,
		Body: &cp.SetWatchesRequest{RelativeZxid: seen, DataWatches: []string{"/sw"}}})
	w.request(l, 300, &cp.Request{Xid: 3, Op: cp.OpSetData, Body: &cp.SetDataRequest{Path: "/quiet", Data: []byte("r"), Version: -1}})
	var got []string
	for _, m := range w.clientMsgs(f, 301) {
		if r, ok := m.(*cp.Reply); ok {
			if ev, ok := r.Body.(*cp.WatcherEvent); ok {
				got = append(got, ev.Path)
			} else if r.Xid == cp.XidSetWatches && r.Err != cp.ErrOK {
				t.Errorf("setWatches reply error %v", r.Err)
			}
		}
	}
	if strings.Join(got, " ") != "/sw /quiet" {
		t.Errorf("watch events for %v, want [/sw /quiet]", got)
	}
}

func TestReconnectRevalidatesAndOldServerGetsSessionMoved(t *testing.T) {
	w := servingWorld(t, "")
	l := w.leader()
	var fs []int64
	for _, id := range w.ids() {
		if id != l {
			fs = append(fs, id)
		}
	}
	a, b := fs[0], fs[1]
	sid := w.connectClient(a, 700, 10000)
	// The client moves to b with its session id and password (REVALIDATE at the leader).
	w.run(b, w.servers[b].OnClientConnected(w.now, 701))
	w.run(b, w.servers[b].OnClientMessage(w.now, 701, &cp.ConnectRequest{TimeoutMs: 10000, SessionID: sid, Passwd: sessionPassword(sid)}))
	w.runFor(50 * msNs)
	msgs := w.clientMsgs(b, 701)
	if len(msgs) == 0 {
		t.Fatalf("no answer to the reconnect\n%s", w.dump())
	}
	if r := msgs[0].(*cp.ConnectResponse); r.SessionID != sid || r.TimeoutMs != 10000 {
		t.Fatalf("reconnect answer %+v, want session 0x%x revalidated with 10000 ms", r, sid)
	}
	// A write through the old server is now from the wrong owner.
	w.request(a, 700, createReq(5, "/moved", "x"))
	var errs []cp.ErrCode
	for _, m := range w.clientMsgs(a, 700) {
		if r, ok := m.(*cp.Reply); ok && r.Xid == 5 {
			errs = append(errs, r.Err)
		}
	}
	if len(errs) != 1 || errs[0] != cp.ErrSessionMoved {
		t.Errorf("write via the old server: %v, want [SESSIONMOVED]", errs)
	}
	// A wrong password gets timeout 0 (expired) and the connection closed.
	w.run(b, w.servers[b].OnClientConnected(w.now, 702))
	w.run(b, w.servers[b].OnClientMessage(w.now, 702, &cp.ConnectRequest{TimeoutMs: 10000, SessionID: sid, Passwd: []byte("wrong")}))
	if r := w.clientMsgs(b, 702)[0].(*cp.ConnectResponse); r.TimeoutMs != 0 {
		t.Errorf("wrong password answered with timeout %d, want 0", r.TimeoutMs)
	}
}

func TestCloseSessionDeletesEphemeralsEverywhere(t *testing.T) {
	w := servingWorld(t, "")
	f := aFollower(w)
	w.connectClient(f, 800, 10000)
	w.request(f, 800, &cp.Request{Xid: 1, Op: cp.OpCreate, Body: &cp.CreateRequest{Path: "/eph", Data: []byte("e"),
		ACL: cp.OpenACLUnsafe, Flags: cp.FlagEphemeral}})
	for _, id := range w.ids() {
		if !hasNode(w.servers[id], "/eph") {
			t.Fatalf("server %d lacks the ephemeral", id)
		}
	}
	w.request(f, 800, &cp.Request{Xid: 2, Op: cp.OpCloseSession})
	for _, id := range w.ids() {
		if hasNode(w.servers[id], "/eph") || w.servers[id].Status().Sessions != 0 {
			t.Errorf("server %d still has the ephemeral or the session after closeSession", id)
		}
	}
	msgs := w.clientMsgs(f, 800)
	if r, ok := msgs[len(msgs)-1].(*cp.Reply); !ok || r.Xid != 2 || r.Err != cp.ErrOK {
		t.Errorf("last message %+v, want the closeSession reply", msgs[len(msgs)-1])
	}
	closed := false
	for _, e := range w.effects[f] {
		if c, ok := e.(CloseConn); ok && c.Conn == 800 {
			closed = true
		}
	}
	if !closed {
		t.Error("connection not closed after closeSession")
	}
}

func TestMultiIsOneTxnWithPerOpResults(t *testing.T) {
	w := servingWorld(t, "")
	l := w.leader()
	w.connectClient(l, 810, 10000)
	before := w.servers[l].Status().LastProcessedZxid
	w.request(l, 810, &cp.Request{Xid: 1, Op: cp.OpMulti, Body: &cp.MultiRequest{Ops: []cp.MultiOp{
		{Op: cp.OpCreate, Body: &cp.CreateRequest{Path: "/m1", Data: []byte("1"), ACL: cp.OpenACLUnsafe}},
		{Op: cp.OpCreate, Body: &cp.CreateRequest{Path: "/m1", Data: []byte("2"), ACL: cp.OpenACLUnsafe}},
	}}})
	after := w.servers[l].Status().LastProcessedZxid
	if after != before+1 {
		t.Errorf("failed multi consumed zxids 0x%x..0x%x, want exactly one", before, after)
	}
	var rep *cp.Reply
	for _, m := range w.clientMsgs(l, 810) {
		if r, ok := m.(*cp.Reply); ok && r.Xid == 1 {
			rep = r
		}
	}
	if rep == nil {
		t.Fatal("no multi reply")
	}
	mr, ok := rep.Body.(*cp.MultiResponse)
	if !ok || len(mr.Results) != 2 || mr.Results[1].Err != cp.ErrNodeExists {
		t.Fatalf("multi reply %+v, want two results with NODEEXISTS second", rep)
	}
	if hasNode(w.servers[l], "/m1") {
		t.Error("a failed multi created /m1")
	}
}

func TestFollowerPingRepliesKeepSessionsAlive(t *testing.T) {
	w := servingWorld(t, "")
	f := aFollower(w)
	l := w.leader()
	sid := w.connectClient(f, 820, 4000) // 4 s = 2×tickTime, the minimum
	for i := 0; i < 20; i++ {
		w.run(f, w.servers[f].OnClientMessage(w.now, 820, &cp.Request{Xid: cp.XidPing, Op: cp.OpPing}))
		w.runFor(1000 * msNs)
	}
	if _, ok := w.servers[l].sess.tracked[sid]; !ok {
		t.Fatalf("session expired on the leader although its client pinged the follower every second")
	}
	// Silence: the leader expires it within the timeout rounded up to the next tick.
	if !w.runUntil(4000*msNs+2*tickNs, func() bool { return w.servers[f].Status().Sessions == 0 }) {
		t.Fatalf("silent session not expired\n%s", w.dump())
	}
}

func TestSyncThroughFollowerAnswersAfterEarlierCommits(t *testing.T) {
	w := servingWorld(t, "")
	l, f := w.leader(), aFollower(w)
	w.connectClient(l, 830, 10000)
	w.connectClient(f, 831, 10000)
	// A write through the leader whose COMMIT the follower gets late: the follower's
	// sync must not answer before it applied it.
	w.run(l, w.servers[l].OnClientMessage(w.now, 830, createReq(1, "/s", "x")))
	w.run(f, w.servers[f].OnClientMessage(w.now, 831, &cp.Request{Xid: 1, Op: cp.OpSync, Body: &cp.SyncRequest{Path: "/s"}}))
	w.run(f, w.servers[f].OnClientMessage(w.now, 831, &cp.Request{Xid: 2, Op: cp.OpExists, Body: &cp.PathWatchRequest{Path: "/s"}}))
	w.runFor(50 * msNs)
	var got []string
	for _, m := range w.clientMsgs(f, 831) {
		if r, ok := m.(*cp.Reply); ok && r.Xid > 0 {
			got = append(got, fmt.Sprintf("%d:%v", r.Xid, r.Err))
		}
	}
	if strings.Join(got, " ") != fmt.Sprintf("1:%v 2:%v", cp.ErrOK, cp.ErrOK) {
		t.Errorf("sync then exists on the follower: %v, want both OK in order (the exists sees /s)", got)
	}
}

func TestSessionIDAndTimeoutAsObservedOnZooKeeper(t *testing.T) {
	// Reference §13: tickTime=500 → requested 100 ms gets 1000, 60000 gets 10000.
	w := newWorldCfg(t, 3, V3_9_3, "")
	cfg := *w.cfg
	cfg.TickTimeMs, cfg.MinSessionTimeoutMs, cfg.MaxSessionTimeoutMs = 500, 0, 0
	s, err := NewServer(&cfg, 1, w.recovered(1), Options{Rand: rand.New(rand.NewPCG(1, 1))})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ asked, want int32 }{{100, 1000}, {60000, 10000}, {4000, 4000}} {
		if got := s.negotiateTimeout(c.asked); got != c.want {
			t.Errorf("timeout %d negotiated to %d, want %d", c.asked, got, c.want)
		}
	}
	// Ids: [sid 8 bits][40 bits of the ms clock][16-bit counter]; the observed first id of
	// server 1 was 0x1000056c4210000, the next one …0001.
	var ss sessionState
	ss.init()
	ss.initNextID(1, 0x56c421*1e6) // a clock reading whose ms value gives that id
	if a, b := ss.mint(), ss.mint(); a != 0x1000056c4210000 || b != 0x1000056c4210001 {
		t.Errorf("minted 0x%x, 0x%x; want 0x1000056c4210000, 0x1000056c4210001", a, b)
	}
}
