package zab

import (
	"fmt"
	"testing"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

var cpConnect = cp.ConnectRequest{TimeoutMs: 30000}

// BenchmarkCommitThroughLeader measures the wall time per committed create in a 3-server
// in-test world (network 1 ms, disk 2 ms virtual): prep, propose, two follower fsyncs,
// ACKs, COMMIT, apply on all three, reply.
func BenchmarkCommitThroughLeader(b *testing.B) {
	w := newWorld(b, 3, V3_9_3)
	w.startAll()
	if !w.runUntil(10*tickNs, w.allServing) {
		b.Fatal("no leader")
	}
	l := w.leader()
	conn := ConnID(1)
	s := w.servers[l]
	w.run(l, s.OnClientConnected(w.now, conn))
	w.run(l, s.OnClientMessage(w.now, conn, &cpConnect))
	w.runFor(50 * msNs)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.run(l, s.OnClientMessage(w.now, conn, createReq(int32(i+1), fmt.Sprintf("/b%d", i), "x")))
		w.runFor(10 * msNs)
		w.effects = map[int64][]Effect{}
		w.trace = w.trace[:0]
	}
	b.StopTimer()
	if n := s.Tree().NodeCount(); n < b.N {
		b.Fatalf("only %d nodes after %d creates", n, b.N)
	}
}

// BenchmarkElectionAfterLeaderCrash reports the virtual time from a leader crash to the
// next established epoch in the in-test world (1 ms links, the crash noticed when the
// connections break): ZooKeeper's finalizeWait (200 ms) plus a few round trips.
func BenchmarkElectionAfterLeaderCrash(b *testing.B) {
	var total int64
	for i := 0; i < b.N; i++ {
		w := newWorld(b, 3, V3_9_3)
		w.startAll()
		if !w.runUntil(10*tickNs, w.allServing) {
			b.Fatal("no leader")
		}
		w.crash(w.leader())
		crashed := w.now
		if !w.runUntil(20*tickNs, w.allServing) {
			b.Fatal("no new leader")
		}
		total += w.now - crashed
	}
	b.ReportMetric(float64(total)/float64(b.N)/1e6, "virtual-ms/election")
}
