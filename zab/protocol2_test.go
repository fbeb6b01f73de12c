package zab

import (
	"fmt"
	"testing"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

func servingWorld(t *testing.T, extra string) *tworld {
	t.Helper()
	w := newWorldCfg(t, 3, V3_9_3, extra)
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatalf("no leader\n%s", w.dump())
	}
	return w
}

func aFollower(w *tworld) int64 {
	for _, id := range w.ids() {
		if id != w.leader() {
			return id
		}
	}
	return -1
}

func TestZxidRolloverMakesLeaderStepDown(t *testing.T) {
	w := servingWorld(t, "")
	l := w.leader()
	epoch := w.servers[l].Status().CurrentEpoch
	w.servers[l].lead.lastProposed = makeZxid(epoch, 0xfffffffe)
	conn := ConnID(700)
	w.run(l, w.servers[l].OnClientConnected(w.now, conn))
	w.run(l, w.servers[l].OnClientMessage(w.now, conn, &cp.ConnectRequest{TimeoutMs: 4000}))
	if w.servers[l].Mode() == Leading {
		t.Fatal("leader kept leading with the zxid counter at 0xffffffff")
	}
	for _, e := range w.effects[l] {
		if a, ok := e.(AppendTxns); ok && counterOf(a.Entries[len(a.Entries)-1].Zxid) == 0xffffffff {
			t.Fatal("a txn with counter 0xffffffff was logged")
		}
	}
	if !w.runUntil(20*tickNs, w.allServing) {
		t.Fatalf("no new leader after rollover\n%s", w.dump())
	}
	if e := w.servers[w.leader()].Status().CurrentEpoch; e != epoch+1 {
		t.Errorf("new epoch %d, want %d", e, epoch+1)
	}
}

func TestFollowerReadTimeoutAfterSyncLimit(t *testing.T) {
	w := servingWorld(t, "")
	l, f := w.leader(), aFollower(w)
	w.partition(f, l)
	w.runFor(8 * tickNs / 2) // 8 s < syncLimit×tickTime − one half-tick ping interval
	if w.servers[f].Mode() != Following {
		t.Fatalf("follower left before syncLimit×tickTime\n%s", w.dump())
	}
	if !w.runUntil(3*tickNs/2, func() bool { return w.servers[f].Mode() != Following }) {
		t.Fatalf("follower still following 11 s after the partition\n%s", w.dump())
	}
}

func TestWatchFiresForWriteThroughAnotherServer(t *testing.T) {
	w := servingWorld(t, "")
	l, f := w.leader(), aFollower(w)
	w.connectClient(l, 801, 10000)
	w.connectClient(f, 802, 10000)
	w.request(l, 801, createReq(1, "/w", "a"))
	w.request(f, 802, &cp.Request{Xid: 1, Op: cp.OpGetData, Body: &cp.PathWatchRequest{Path: "/w", Watch: true}})
	w.request(l, 801, &cp.Request{Xid: 2, Op: cp.OpSetData, Body: &cp.SetDataRequest{Path: "/w", Data: []byte("b"), Version: -1}})
	var events []string
	for _, m := range w.clientMsgs(f, 802) {
		if r, ok := m.(*cp.Reply); ok && r.Xid == cp.XidNotification {
			ev := r.Body.(*cp.WatcherEvent)
			events = append(events, fmt.Sprintf("%v %s", ev.Type, ev.Path))
		}
	}
	if len(events) != 1 || events[0] != fmt.Sprintf("%v /w", cp.EventNodeDataChanged) {
		t.Errorf("watch events %v, want one NodeDataChanged /w", events)
	}
}

func TestSnapshotEverySnapCountTxns(t *testing.T) {
	w := servingWorld(t, "snapCount=10\n")
	l := w.leader()
	w.connectClient(l, 900, 10000)
	mark := 0
	for _, e := range w.effects[l] {
		if _, ok := e.(RollAndSnapshot); ok {
			mark++
		}
	}
	for i := int32(1); i <= 30; i++ {
		w.request(l, 900, createReq(i, fmt.Sprintf("/s%d", i), "x"))
	}
	n := -mark
	for _, e := range w.effects[l] {
		if _, ok := e.(RollAndSnapshot); ok {
			n++
		}
	}
	// A snapshot follows the txn that makes the count exceed 5 + a draw in [0, 5): every
	// 6 to 10 txns, so 3 to 5 snapshots for 30 txns.
	if n < 3 || n > 5 {
		t.Errorf("%d snapshots for 30 txns with snapCount=10, want 3..5", n)
	}
}

func TestLearnerLeavingAfterUnconfirmedSnapReloadsFromDisk(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	log := makeTxns(1, 1, 600)
	w.giveLog(1, log, 1)
	w.giveLog(2, log, 1)
	w.giveLog(3, log[:10], 1)
	w.start(1)
	w.start(2)
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatal("no leader")
	}
	// Server 3 gets the SNAP but never the NEWLEADER: the leader dies in between (ZK-3642).
	w.lose = func(to int64, msg any) bool {
		p, ok := msg.(QuorumPacket)
		return ok && to == 3 && p.Type == PacketNewLeader
	}
	w.start(3)
	if !w.runUntil(5*tickNs, func() bool { return len(syncModesStarted(w, 3)) > 0 }) {
		t.Fatalf("server 3 never started syncing\n%s", w.dump())
	}
	w.runFor(10 * msNs)
	if !hasNode(w.servers[3], "/e1-600") {
		t.Fatal("server 3 did not install the SNAP in memory")
	}
	w.lose = nil
	w.crash(w.leader())
	if !w.runUntil(tickNs, func() bool { return w.servers[3].Mode() == Looking }) {
		t.Fatalf("server 3 did not notice the leader's crash\n%s", w.dump())
	}
	w.runFor(10 * msNs)
	reloads := 0
	for _, e := range w.effects[3] {
		if _, ok := e.(Reload); ok {
			reloads++
		}
	}
	if reloads != 1 {
		t.Fatalf("server 3 emitted %d Reload effects after losing the leader mid-SNAP, want 1\n%s", reloads, w.dump())
	}
	// Memory is what the disk holds again, not the unconfirmed snapshot (no fast-forward).
	if hasNode(w.servers[3], "/e1-600") || w.servers[3].Status().LastProcessedZxid != makeZxid(1, 10) {
		t.Errorf("after the reload server 3 is at 0x%x, want its disk's 0x10000000a", w.servers[3].Status().LastProcessedZxid)
	}
}

func syncModesStarted(w *tworld, id int64) []SyncMode {
	if s := w.servers[id]; s != nil && s.follow != nil && s.follow.phase >= fSyncing {
		return []SyncMode{s.follow.syncMode}
	}
	return nil
}

func TestLeavingFollowerFastForwardsToItsLog(t *testing.T) {
	w := servingWorld(t, "")
	l := w.leader()
	f := aFollower(w)
	w.connectClient(l, 600, 10000)
	// f logs and ACKs the next proposal but never hears its COMMIT.
	w.lose = func(to int64, msg any) bool {
		p, ok := msg.(QuorumPacket)
		return ok && to == f && p.Type == PacketCommit
	}
	w.request(l, 600, createReq(1, "/ff", "x"))
	if !hasNode(w.servers[l], "/ff") {
		t.Fatal("create not committed on the leader")
	}
	if hasNode(w.servers[f], "/ff") {
		t.Fatal("follower applied /ff without its COMMIT")
	}
	zxid := w.servers[l].Status().LastProcessedZxid
	if w.servers[f].Status().LastLoggedZxid != zxid {
		t.Fatalf("follower logged 0x%x, want 0x%x", w.servers[f].Status().LastLoggedZxid, zxid)
	}
	w.lose = nil
	w.crash(l)
	if !w.runUntil(tickNs, func() bool { return w.servers[f].Mode() == Looking }) {
		t.Fatal("follower did not notice the leader's crash")
	}
	// fastForwardDataBase: memory = everything logged, so it votes with the logged zxid.
	if st := w.servers[f].Status(); st.LastProcessedZxid != zxid || !hasNode(w.servers[f], "/ff") {
		t.Errorf("after leaving, follower at 0x%x (has /ff: %v), want fast-forwarded to 0x%x",
			st.LastProcessedZxid, hasNode(w.servers[f], "/ff"), zxid)
	}
}

func TestLearnerNotAckingWithinSyncLimitIsDropped(t *testing.T) {
	w := servingWorld(t, "")
	l, f := w.leader(), aFollower(w)
	w.disks[f].manual = true // f keeps answering PINGs but never finishes an fsync
	w.connectClient(l, 610, 30000)
	proposedAt := w.now
	learnerConn := ConnID(-1)
	for c, h := range w.servers[l].lead.learners { //det:unordered-ok looking for one sid
		if h.sid == f {
			learnerConn = c
		}
	}
	mark := len(w.effects[l])
	dropped := func() bool {
		for _, e := range w.effects[l][mark:] {
			if c, ok := e.(CloseConn); ok && c.Conn == learnerConn {
				return true
			}
		}
		return false
	}
	w.runFor(5*tickNs - 2*tickNs/2) // 9 s: PINGs keep its deadline fresh, the proposal is 9 s old
	if dropped() {
		t.Fatal("learner dropped before syncLimit×tickTime")
	}
	if !w.runUntil(2*tickNs, dropped) {
		t.Fatalf("learner with a %d ms old un-ACKed proposal still connected\n%s", (w.now-proposedAt)/msNs, w.dump())
	}
	if w.servers[l].Mode() != Leading {
		t.Error("the leader still has a quorum (itself and the other follower) and must keep leading")
	}
}

func TestGroupCommitBatchesAtMost1000(t *testing.T) {
	w := servingWorld(t, "snapCount=100000\n")
	l := w.leader()
	w.connectClient(l, 620, 30000)
	mark := len(w.effects[l])
	for i := int32(1); i <= 1500; i++ { // all arrive while the first fsync is in flight
		w.run(l, w.servers[l].OnClientMessage(w.now, 620, createReq(i, fmt.Sprintf("/g%d", i), "x")))
	}
	w.runFor(100 * msNs)
	var sizes []int
	for _, e := range w.effects[l][mark:] {
		if a, ok := e.(AppendTxns); ok {
			sizes = append(sizes, len(a.Entries))
		}
	}
	if fmt.Sprint(sizes) != "[1 1000 499]" {
		t.Errorf("leader batches %v, want [1 1000 499]", sizes)
	}
	if n := w.servers[l].Tree().NodeCount(); n < 1500 {
		t.Errorf("only %d nodes after 1500 creates", n)
	}
}
