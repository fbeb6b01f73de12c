package zab

import (
	"strings"
	"testing"

	"github.com/zabsim/zabsim/datatree"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

const tickNs = 2000 * msNs

func (w *tworld) startAll() {
	for _, id := range []int64{1, 2, 3} {
		if _, ok := w.disks[id]; ok {
			w.start(id)
		}
	}
}

func TestEmptyEnsembleElectsAndSyncsWithEmptyDiff(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatalf("ensemble did not start serving\n%s", w.dump())
	}
	l := w.leader()
	st := w.servers[l].Status()
	if st.CurrentEpoch != 1 || st.AcceptedEpoch != 1 {
		t.Errorf("leader epochs = %d/%d, want 1/1", st.AcceptedEpoch, st.CurrentEpoch)
	}
	// The follower that makes the leader's quorum syncs by an empty DIFF. The other one may
	// decide before the leader opens its port and connect after the leader is established
	// (its retry is 100 ms later); the leader is then past zxid 0 and sends a SNAP.
	diffs := 0
	for _, id := range w.ids() {
		if id == l {
			continue
		}
		modes := syncModes(w, id)
		if len(modes) != 1 || (modes[0] != SyncDiff && modes[0] != SyncSnap) {
			t.Errorf("follower %d sync modes %v, want [DIFF] or [SNAP]", id, modes)
		}
		if len(modes) == 1 && modes[0] == SyncDiff {
			diffs++
		}
		if d := w.disks[id]; d.currentEpoch != 1 || d.acceptedEpoch != 1 {
			t.Errorf("follower %d durable epochs %d/%d, want 1/1", id, d.acceptedEpoch, d.currentEpoch)
		}
	}
	if diffs == 0 {
		t.Errorf("no follower synced by DIFF; the leader's quorum must have")
	}
}

func syncModes(w *tworld, id int64) []SyncMode {
	var modes []SyncMode
	for _, e := range w.effects[id] {
		if s, ok := e.(Synced); ok {
			modes = append(modes, s.Mode)
		}
	}
	return modes
}

func hasNode(s *Server, path string) bool {
	_, code := s.Tree().Exists(path, -1)
	return code == 0
}

// syncScenario: epoch-1 txns /e1-1.. — servers 1 and 2 hold the first leaderTxns,
// server 3 the first s3Txns; 1 and 2 elect, then 3 joins.
func syncScenario(t *testing.T, leaderTxns, s3Txns int) *tworld {
	w := newWorld(t, 3, V3_9_3)
	log := makeTxns(1, 1, max(leaderTxns, s3Txns))
	w.giveLog(1, log[:leaderTxns], 1)
	w.giveLog(2, log[:leaderTxns], 1)
	w.giveLog(3, log[:s3Txns], 1)
	startLate(t, w)
	return w
}

func wantSync(t *testing.T, w *tworld, mode SyncMode) {
	t.Helper()
	if m := syncModes(w, 3); len(m) != 1 || m[0] != mode {
		t.Fatalf("server 3 sync modes %v, want [%v]\n%s", m, mode, w.dump())
	}
}

// startLate boots servers 1 and 2, waits until they serve, then boots 3.
func startLate(t *testing.T, w *tworld) {
	w.start(1)
	w.start(2)
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatalf("1 and 2 did not establish\n%s", w.dump())
	}
	w.start(3)
	if !w.runUntil(10*tickNs, func() bool { return w.allServing() && len(w.ids()) == 3 }) {
		t.Fatalf("3 did not join\n%s", w.dump())
	}
}

func TestFollowerAheadOfNewLeaderGetsTrunc(t *testing.T) {
	// (1,6) and (1,7) were never seen by servers 1 and 2.
	w := syncScenario(t, 5, 7)
	var truncs []int64
	for _, e := range w.effects[3] {
		if tr, ok := e.(Truncate); ok {
			truncs = append(truncs, tr.Zxid)
		}
	}
	if len(truncs) != 1 || truncs[0] != makeZxid(1, 5) {
		t.Fatalf("server 3 truncations %x, want [0x100000005]\n%s", truncs, w.dump())
	}
	wantSync(t, w, SyncTrunc)
	s3 := w.servers[3]
	if hasNode(s3, "/e1-6") || hasNode(s3, "/e1-7") || !hasNode(s3, "/e1-5") {
		t.Errorf("after TRUNC server 3 must have /e1-5 and neither /e1-6 nor /e1-7")
	}
	if last := w.disks[3].log[len(w.disks[3].log)-1].Zxid; last != makeZxid(1, 5) {
		t.Errorf("server 3 log ends at 0x%x, want 0x100000005", last)
	}
}

func TestLaggingFollowerGetsDiff(t *testing.T) {
	w := syncScenario(t, 5, 3)
	wantSync(t, w, SyncDiff)
	if !hasNode(w.servers[3], "/e1-5") {
		t.Errorf("server 3 lacks /e1-5 after DIFF")
	}
	if got := w.disks[3].log[len(w.disks[3].log)-1].Zxid; got != makeZxid(1, 5) {
		t.Errorf("server 3's log ends at 0x%x, want the DIFF txns logged up to 0x100000005", got)
	}
}

func TestFollowerBeyondCommittedLogWindowGetsSnap(t *testing.T) {
	w := syncScenario(t, 600, 10)
	wantSync(t, w, SyncSnap)
	s3, l := w.servers[3], w.servers[w.leader()]
	if !hasNode(s3, "/e1-600") {
		t.Errorf("server 3 lacks /e1-600 after SNAP")
	}
	if s3.Tree().Digest() != l.Tree().Digest() {
		t.Errorf("digest after SNAP %d, leader %d", s3.Tree().Digest(), l.Tree().Digest())
	}
	// The SNAP carries the leader's lastProcessedZxid, which is makeZxid(2, 0) once epoch 2
	// is established; the learner's sync snapshot is named by it.
	if w.disks[3].snapZxid != makeZxid(2, 0) {
		t.Errorf("server 3's snapshot is at 0x%x, want the SNAP zxid 0x200000000", w.disks[3].snapZxid)
	}
}

func TestIsolatedLeaderStepsDownWithinSyncLimit(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatal("no leader")
	}
	l := w.leader()
	var others []int64
	for _, id := range w.ids() {
		if id != l {
			others = append(others, id)
		}
	}
	w.partition(l, others...)
	syncLimit := int64(5)
	w.runFor((syncLimit - 1) * tickNs)
	if w.servers[l].Mode() != Leading {
		t.Fatalf("leader stepped down before syncLimit ticks\n%s", w.dump())
	}
	// Each learner's deadline is syncLimit ticks after its last packet; the check runs once
	// per tick, so the leader is gone by syncLimit+1 ticks.
	if !w.runUntil(2*tickNs, func() bool { return w.servers[l].Mode() != Leading }) {
		t.Fatalf("isolated leader still leading %d ticks after the partition\n%s", syncLimit+1, w.dump())
	}
	var reason string
	for _, e := range w.effects[l] {
		if m, ok := e.(ModeChanged); ok && m.Mode == Looking {
			reason = m.Reason
		}
	}
	if reason != "Not sufficient followers synced" {
		t.Errorf("step-down reason %q", reason)
	}
}

func TestAckOnlyAfterFsyncCompletes(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatal("no leader")
	}
	l := w.leader()
	f := int64(1)
	if l == 1 {
		f = 2
	}
	w.disks[f].manual = true
	mark := len(w.effects[f])
	// A client connects to the leader: the createSession txn is proposed.
	conn := ConnID(1000)
	w.run(l, w.servers[l].OnClientConnected(w.now, conn))
	w.run(l, w.servers[l].OnClientMessage(w.now, conn, &cp.ConnectRequest{TimeoutMs: 10000}))
	w.runFor(100 * msNs)
	proposal := int64(-1)
	for _, e := range w.effects[f][mark:] {
		if a, ok := e.(AppendTxns); ok {
			proposal = a.Entries[0].Zxid
		}
		if s, ok := e.(Send); ok {
			if p, ok := s.Msg.(QuorumPacket); ok && p.Type == PacketAck && !isNewEpochZxid(p.Zxid) {
				t.Fatalf("follower sent %v before its fsync completed", p)
			}
		}
	}
	if proposal < 0 {
		t.Fatal("follower never appended the proposal")
	}
	if st := w.servers[l].Status(); st.Sessions != 1 {
		t.Errorf("leader + the other follower are a quorum: session should be committed, got %d sessions", st.Sessions)
	}
	mark = len(w.effects[f])
	if !w.releaseDisk(f) {
		t.Fatal("no held disk op")
	}
	acked := false
	for _, e := range w.effects[f][mark:] {
		if s, ok := e.(Send); ok {
			if p, ok := s.Msg.(QuorumPacket); ok && p.Type == PacketAck && p.Zxid == proposal {
				acked = true
			}
		}
	}
	if !acked {
		t.Errorf("no ACK for 0x%x in the fsync completion's effects", proposal)
	}
}

// newLeaderOrder returns the kinds of server 3's effects from the NEWLEADER packet it
// received up to its ACK for the UPTODATE, as short strings.
func newLeaderOrder(t *testing.T, variant Variant) []string {
	w := newWorld(t, 3, variant)
	log := makeTxns(1, 1, 4)
	w.giveLog(1, log, 1)
	w.giveLog(2, log, 1)
	w.giveLog(3, log[:2], 1)
	startLate(t, w)
	w.runFor(100 * msNs)
	var order []string
	for _, e := range w.effects[3] {
		switch e := e.(type) {
		case WriteEpoch:
			if e.Which == CurrentEpochFile {
				order = append(order, "currentEpoch")
			}
		case AppendTxns:
			order = append(order, "append")
		case Send:
			if p, ok := e.Msg.(QuorumPacket); ok && p.Type == PacketAck {
				if isNewEpochZxid(p.Zxid) {
					order = append(order, "ack-epoch0")
				} else {
					order = append(order, "ack-txn")
				}
			}
		}
	}
	return order
}

func TestNewLeaderVariantsOrderEffects(t *testing.T) {
	// Server 3 lags by two committed txns: it gets DIFF + 2×(PROPOSAL, COMMIT), NEWLEADER,
	// UPTODATE. The first "ack-epoch0" is the NEWLEADER ACK, the second the UPTODATE ACK.
	cases := []struct {
		v    Variant
		want string
	}{
		// 3.8.0: currentEpoch written, proposals handed to the async logger and the ACK sent
		// before they reach the disk (the ZK-4785 window); their per-txn ACKs follow their
		// fsync, here before UPTODATE arrives.
		{V3_8_0, "currentEpoch ack-epoch0 append ack-txn ack-txn ack-epoch0"},
		// 3.8.5: append+fsync, then currentEpoch, then ACK; txn ACKs after the UPTODATE ACK.
		{V3_8_5, "append currentEpoch ack-epoch0 ack-epoch0 ack-txn ack-txn"},
		// 3.9.3: the committed txns are applied and persisted, currentEpoch, ACK; no txn ACKs.
		{V3_9_3, "append currentEpoch ack-epoch0 ack-epoch0"},
	}
	for _, c := range cases {
		got := strings.Join(newLeaderOrder(t, c.v), " ")
		if got != c.want {
			t.Errorf("variant %v: effects %q, want %q", c.v, got, c.want)
		}
	}
}

func TestSessionExpiryAfterFailoverDeletesEphemerals(t *testing.T) {
	w := newWorld(t, 3, V3_9_3)
	const sid = int64(0x1000000aa0000)
	var log []Proposal
	for i, te := range []datatree.TxnEntry{
		{Header: datatree.TxnHeader{ClientID: sid, Zxid: makeZxid(1, 1), Time: 1, Type: datatree.OpCreateSession},
			Txn: &datatree.CreateSessionTxn{TimeoutMs: 6000}},
		{Header: datatree.TxnHeader{ClientID: sid, Cxid: 1, Zxid: makeZxid(1, 2), Time: 1, Type: datatree.OpCreate},
			Txn: &datatree.CreateTxn{Path: "/eph", Data: []byte("e"), ACL: datatree.OpenACLUnsafe, Ephemeral: true}},
	} {
		_ = i
		log = append(log, Proposal{Zxid: te.Header.Zxid, Body: datatree.MarshalEntry(&te)})
	}
	for id := int64(1); id <= 3; id++ {
		w.giveLog(id, log, 1)
	}
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		t.Fatal("no leader")
	}
	old := w.leader()
	w.crash(old)
	if !w.runUntil(20*tickNs, w.allServing) {
		t.Fatalf("no new leader after the crash\n%s", w.dump())
	}
	established := w.now
	for _, id := range w.ids() {
		if !hasNode(w.servers[id], "/eph") {
			t.Fatalf("/eph gone on %d before expiry", id)
		}
	}
	// A fresh 6 s timeout from the new leader's start, rounded up to the next 2 s tick.
	w.runFor(6000*msNs - 10*msNs)
	for _, id := range w.ids() {
		if !hasNode(w.servers[id], "/eph") {
			t.Fatalf("/eph deleted on %d only %.0f ms after the new leader started", id, float64(w.now-established)/1e6)
		}
	}
	if !w.runUntil(2*tickNs, func() bool {
		for _, id := range w.ids() {
			if hasNode(w.servers[id], "/eph") {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("/eph not deleted by session expiry\n%s", w.dump())
	}
	for _, id := range w.ids() {
		if n := w.servers[id].Status().Sessions; n != 0 {
			t.Errorf("server %d still has %d sessions", id, n)
		}
	}
}

func TestCommittedLogKeepsTheNewest500(t *testing.T) {
	var db database
	for i := 1; i <= 1234; i++ {
		db.addCommitted(Proposal{Zxid: int64(i)})
		c := db.committed()
		if want := min(i, committedLogMax); len(c) != want || c[len(c)-1].Zxid != int64(i) || c[0].Zxid != int64(i-want+1) {
			t.Fatalf("after %d txns the window is [%d..%d] (%d), want the newest %d", i, c[0].Zxid, c[len(c)-1].Zxid, len(c), want)
		}
	}
}
