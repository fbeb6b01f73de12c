package zab

import (
	"testing"

	"github.com/zabsim/zabsim/datatree"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// effectsOf lists server id's effects of type T, in emission order.
func effectsOf[T Effect](w *tworld, id int64) []T {
	var out []T
	for _, e := range w.effects[id] {
		if v, ok := e.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// A DIFF's txns are applied during sync, before the leader is established: their
// Committed observations name the leader and epoch of that sync, and the commits after
// UPTODATE carry none.
func TestSyncAppliedCommitsNameTheirLeader(t *testing.T) {
	w := syncScenario(t, 5, 3)
	wantSync(t, w, SyncDiff)
	leader := w.leader()
	var synced []int64
	for _, c := range effectsOf[Committed](w, 3) {
		if c.SyncEpoch == 0 {
			t.Errorf("server 3 committed 0x%x during DIFF sync without SyncEpoch", c.Zxid)
			continue
		}
		if c.SyncEpoch != 2 || c.SyncLeader != leader {
			t.Errorf("server 3 committed 0x%x with sync epoch %d leader %d, want 2 and %d", c.Zxid, c.SyncEpoch, c.SyncLeader, leader)
		}
		if c.DigestMismatch {
			t.Errorf("server 3: digest mismatch applying 0x%x", c.Zxid)
		}
		synced = append(synced, c.Zxid)
	}
	if want := []int64{makeZxid(1, 4), makeZxid(1, 5)}; len(synced) != 2 || synced[0] != want[0] || synced[1] != want[1] {
		t.Fatalf("server 3 sync commits %x, want %x\n%s", synced, want, w.dump())
	}
	conn := ConnID(900)
	w.connectClient(3, conn, 10000)
	w.request(3, conn, createReq(1, "/after", "v"))
	w.runFor(200 * msNs)
	cs := effectsOf[Committed](w, 3)
	last := cs[len(cs)-1]
	if last.SyncEpoch != 0 || epochOf(last.Zxid) != 2 {
		t.Fatalf("server 3's broadcast commit 0x%x carries sync epoch %d, want an epoch-2 zxid and none\n%s", last.Zxid, last.SyncEpoch, w.dump())
	}
}

// A SNAP replaces the tree: SnapInstalled says where it now stands.
func TestSnapInstallIsObserved(t *testing.T) {
	w := syncScenario(t, 600, 10)
	wantSync(t, w, SyncSnap)
	snaps := effectsOf[SnapInstalled](w, 3)
	if len(snaps) != 1 {
		t.Fatalf("server 3 SnapInstalled %d times, want once\n%s", len(snaps), w.dump())
	}
	l := w.servers[w.leader()]
	if snaps[0].Zxid != makeZxid(2, 0) || snaps[0].Digest != l.Tree().Digest() {
		t.Errorf("SnapInstalled at 0x%x digest %d, want 0x200000000 and the leader's %d", snaps[0].Zxid, snaps[0].Digest, l.Tree().Digest())
	}
}

// A follower that logged a proposal but never saw its COMMIT applies it when it leaves
// the role (fastForwardDataBase): FastForwarded reports the tree's new zxid and digest,
// and no Committed is emitted for it.
func TestFastForwardIsObservedNotCommitted(t *testing.T) {
	w := syncScenario(t, 5, 5)
	leader := w.leader()
	follower := int64(3)
	if leader == follower {
		t.Fatalf("server 3 leads; the test wants it following")
	}
	w.lose = func(to int64, msg any) bool {
		pkt, ok := msg.(QuorumPacket)
		return ok && to == follower && pkt.Type == PacketCommit
	}
	conn := ConnID(901)
	w.connectClient(leader, conn, 10000)
	before := len(effectsOf[Committed](w, follower))
	w.request(leader, conn, createReq(1, "/ff", "v"))
	w.runFor(20 * tickNs)
	ffs := effectsOf[FastForwarded](w, follower)
	if len(ffs) == 0 {
		t.Fatalf("server 3 never fast-forwarded\n%s", w.dump())
	}
	got := ffs[0]
	if epochOf(got.Zxid) != 2 {
		t.Errorf("fast-forward to 0x%x, want the epoch-2 proposal", got.Zxid)
	}
	for _, c := range effectsOf[Committed](w, follower)[before:] {
		if c.Zxid == got.Zxid && c.SyncEpoch == 0 {
			t.Errorf("server 3 reported 0x%x as a broadcast commit although it only fast-forwarded to it", c.Zxid)
		}
	}
}

// A server whose tree was replaced by a SNAP and that then leads preps its writes against
// that tree: the Prepper is made per leadership from the current tree, never kept from an
// older one (a stale Prepper would check paths and versions against the discarded tree).
func TestLeaderAfterSnapPrepsAgainstTheInstalledTree(t *testing.T) {
	w := syncScenario(t, 600, 10)
	wantSync(t, w, SyncSnap)
	w.crash(w.leader())
	if !w.runUntil(w.now+20*tickNs, func() bool { return w.leader() == 3 && w.allServing() }) {
		t.Fatalf("server 3 did not take over\n%s", w.dump())
	}
	conn := ConnID(902)
	w.connectClient(3, conn, 10000)
	// /e1-600 exists only through the SNAP: setData must find it with version 0.
	w.request(3, conn, &cp.Request{Xid: 1, Op: cp.OpSetData, Body: &cp.SetDataRequest{Path: "/e1-600", Data: []byte("v"), Version: 0}})
	w.request(3, conn, createReq(2, "/e1-600/kid", "k"))
	var errs []cp.ErrCode
	for _, m := range w.clientMsgs(3, conn) {
		if r, ok := m.(*cp.Reply); ok && r.Xid > 0 {
			errs = append(errs, r.Err)
		}
	}
	if len(errs) != 2 || errs[0] != cp.ErrOK || errs[1] != cp.ErrOK {
		t.Fatalf("writes on the SNAP-installed tree answered %v, want [ok ok]\n%s", errs, w.dump())
	}
	if !hasNode(w.servers[3], "/e1-600/kid") {
		t.Errorf("the create was not applied to server 3's tree")
	}
}

// A snapshot triggered by the final log flush of a fast-forward holds the tree as it was
// when it was triggered (its name's zxid), not the txns fast-forwarded after it: those
// may never commit, and a TRUNC reload from the snapshot would keep them (swarm 4446: a
// follower dropped for a slow fsync was told TRUNC and kept an uncommitted create).
func TestFastForwardSnapshotExcludesFastForwardedTxns(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	for _, id := range []int64{1, 2, 3} {
		w.start(id)
	}
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatalf("no leader\n%s", w.dump())
	}
	f := int64(1)
	if f == w.leader() {
		f = 2
	}
	s := w.servers[f]
	p := makeTxns(s.currentEpoch, 1, 1)[0]
	e, err := decodeEntry(p.Zxid, p.Body)
	if err != nil {
		t.Fatal(err)
	}
	// A proposal received and queued for the log, not committed; the next batch snapshots.
	s.db.pending = append(s.db.pending, e)
	s.logTxn(e.Proposal, nil)
	s.log.snapAfter = 0
	s.fastForward(w.now)
	effs := s.flush()
	path := e.txn.Txn.(*datatree.CreateTxn).Path
	snaps := 0
	for _, eff := range effs {
		rs, ok := eff.(RollAndSnapshot)
		if !ok {
			continue
		}
		snaps++
		if _, code := rs.Tree.Exists(path, -1); code == 0 {
			t.Errorf("snapshot 0x%x holds %s, fast-forwarded after it was triggered", rs.Zxid, path)
		}
	}
	if snaps != 1 {
		t.Fatalf("the fast-forward's flush took %d snapshots, want 1 (the test's trigger)", snaps)
	}
	if !hasNode(s, path) {
		t.Errorf("the fast-forward did not apply %s to memory", path)
	}
}
