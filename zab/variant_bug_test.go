package zab

import (
	"strings"
	"testing"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// TestZK4646CommittedTxnsLostOnlyIn380 reproduces ZK-4646/ZK-4785 step by step. Server 3
// holds txns (1,2) and (1,3) that server 2 lacks; 3 leads epoch 2 and DIFF-syncs 2.
// Server 2's disk is stalled. In 3.8.0 server 2 writes currentEpoch and ACKs NEWLEADER
// before the DIFF txns are durable, so the leader establishes epoch 2 with (1,2), (1,3)
// in its history; then 2 and 3 crash, and 2 (with epoch 2 but a short log) and 1 form
// epoch 3 without those txns. In 3.8.5 and 3.9.3 the ACK waits for the fsync, so epoch 2
// is never established while the txns are not durable on a quorum.
func TestZK4646CommittedTxnsLostOnlyIn380(t *testing.T) {
	for _, v := range []Variant{V3_8_0, V3_8_5, V3_9_3} {
		t.Run(v.String(), func(t *testing.T) {
			w := newWorld(t, 3, v)
			log := makeTxns(1, 1, 3)
			w.giveLog(1, log[:1], 1)
			w.giveLog(2, log[:1], 1)
			w.giveLog(3, log, 1)
			w.start(3)
			w.start(2)
			// Let server 2 complete its acceptedEpoch write, then stall its disk.
			if !w.runUntil(5*tickNs, func() bool {
				f := w.servers[2].follow
				return f != nil && f.phase >= fSyncStart
			}) {
				t.Fatalf("server 2 never reached sync\n%s", w.dump())
			}
			// From now on server 2's log appends never complete (its other disk writes do).
			w.disks[2].manual = true
			for i := 0; i < 100; i++ {
				w.runFor(10 * msNs)
				w.releaseDiskUntilAppend(2)
			}
			established := w.servers[3].lead != nil && w.servers[3].lead.phase == phaseBroadcast
			if v != V3_8_0 {
				if established {
					t.Fatalf("%v: epoch 2 established before server 2's DIFF txns were durable\n%s", v, w.dump())
				}
				// Once the append is durable the ACK leaves and the epoch is established.
				w.disks[2].manual = false
				for w.releaseDisk(2) {
				}
				if !w.runUntil(tickNs, func() bool { return w.servers[3].lead.phase == phaseBroadcast }) {
					t.Fatalf("%v: epoch 2 not established after the append completed\n%s", v, w.dump())
				}
				if len(w.disks[2].log) != 3 {
					t.Errorf("%v: server 2's log has %d txns, want 3", v, len(w.disks[2].log))
				}
				return
			}
			if !established || !hasNode(w.servers[3], "/e1-3") {
				t.Fatalf("3.8.0: expected epoch 2 established with /e1-3\n%s", w.dump())
			}
			// Both crash before server 2's append reaches its disk; 3 stays down.
			w.crash(2)
			w.crash(3)
			w.disks[2].manual = false
			if w.disks[2].currentEpoch != 2 {
				t.Fatalf("server 2's currentEpoch %d, want 2 (written before the ACK)", w.disks[2].currentEpoch)
			}
			w.start(1)
			w.start(2)
			if !w.runUntil(20*tickNs, w.allServing) {
				t.Fatalf("1 and 2 did not form a quorum\n%s", w.dump())
			}
			if l := w.leader(); hasNode(w.servers[l], "/e1-3") {
				t.Fatalf("expected ZK-4646: /e1-3 lost, but leader %d has it", l)
			}
			if e := w.servers[w.leader()].Status().CurrentEpoch; e != 3 {
				t.Errorf("new epoch %d, want 3", e)
			}
		})
	}
}

// TestZK4394CommitAfterNewLeader: a learner joins while a proposal is outstanding, so it
// gets PROPOSAL before NEWLEADER and its COMMIT after NEWLEADER. 3.8.x cleared
// packetsNotCommitted at NEWLEADER and dereferences null on that COMMIT: the learner drops
// out (liveness). 3.9.3 keeps the proposal and finishes the sync.
func TestZK4394CommitAfterNewLeader(t *testing.T) {
	for _, v := range []Variant{V3_8_0, V3_8_5, V3_9_3} {
		t.Run(v.String(), func(t *testing.T) {
			w := newWorld(t, 3, v)
			w.startAll()
			if !w.runUntil(10*tickNs, w.allServing) || w.leader() != 3 {
				t.Fatalf("want leader 3\n%s", w.dump())
			}
			w.crash(1)
			w.disks[2].manual = true
			w.disks[3].manual = true
			conn := ConnID(4394)
			w.run(3, w.servers[3].OnClientConnected(w.now, conn))
			w.run(3, w.servers[3].OnClientMessage(w.now, conn, &cp.ConnectRequest{TimeoutMs: 4000}))
			w.runFor(10 * msNs)
			// Server 1 rejoins; its disk is stalled so it blocks inside NEWLEADER.
			w.disks[1].manual = true
			w.start(1)
			if !w.runUntil(5*tickNs, func() bool {
				f := w.servers[1].follow
				return f != nil && f.busy && f.phase == fSyncing && len(w.disks[1].held) > 0
			}) {
				t.Fatalf("server 1 never blocked in NEWLEADER\n%s", w.dump())
			}
			// The outstanding proposal commits now: its COMMIT reaches 1 after NEWLEADER.
			w.disks[2].manual, w.disks[3].manual = false, false
			for w.releaseDisk(2) || w.releaseDisk(3) {
			}
			w.runFor(10 * msNs)
			w.disks[1].manual = false
			for w.releaseDisk(1) {
			}
			w.runFor(100 * msNs)
			var reason string
			for _, e := range w.effects[1] {
				if m, ok := e.(ModeChanged); ok && m.Mode == Looking {
					reason = m.Reason
				}
			}
			if v == V3_9_3 {
				if st := w.servers[1].Status(); !st.Serving || st.Sessions != 1 {
					t.Fatalf("3.9.3: server 1 serving=%v sessions=%d, want serving with the committed session\n%s", st.Serving, st.Sessions, w.dump())
				}
				return
			}
			if !strings.Contains(reason, "ZK-4394") {
				t.Fatalf("%v: server 1 should drop out on the COMMIT after NEWLEADER; last LOOKING reason %q\n%s", v, reason, w.dump())
			}
		})
	}
}
