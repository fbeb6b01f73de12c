package fle

import "testing"

// Under the pre-ZK-1419 predicate, with equal zxids, a higher epoch beats a higher sid and
// a higher sid beats a higher epoch: not an order. The fixed predicate is antisymmetric.
func TestPreZK1419PredicateIsNotAnOrder(t *testing.T) {
	a := Vote{Leader: 4, Zxid: z5, PeerEpoch: 2}
	b := Vote{Leader: 5, Zxid: z5, PeerEpoch: 1}
	if !PreZK1419.beatsVote(a, b) || !PreZK1419.beatsVote(b, a) {
		t.Fatalf("pre-ZK-1419: a beats b %v, b beats a %v; want both", PreZK1419.beatsVote(a, b), PreZK1419.beatsVote(b, a))
	}
	if !TotalOrder.beatsVote(a, b) || TotalOrder.beatsVote(b, a) {
		t.Fatalf("total order: a beats b %v, b beats a %v; want only the first", TotalOrder.beatsVote(a, b), TotalOrder.beatsVote(b, a))
	}
}

// zk1419Net is the crafted case: five servers with the same last zxid; server 4 has
// accepted epoch 2 (synced with a leader that then died before proposing), the others are
// in epoch 1. Server 4's vote beats server 5's by epoch, server 5's beats server 4's by
// sid under the old predicate. Fixed 5 ms delays; server i starts 3(i-1) ms after server 1.
// Whether the old order cycles depends on timing: with everyone starting at the same
// instant (and dials not blocking the sender, as in 3.8) the ensemble can settle on 5; the
// staggered start cycles for every fixed delay from 1 to 10 ms.
func zk1419Net(pred Predicate) *testNet {
	specs := make([]nodeSpec, 5)
	for i := range specs {
		specs[i] = nodeSpec{zxid: z5, epoch: 1, startMs: 3 * int64(i)}
	}
	specs[3].epoch = 2
	net := newTestNet(1, specs, pred)
	net.minDelayMs, net.maxDelayMs = 5, 5
	return net
}

// The ZK-1419 variant fails to settle where the fixed predicate settles: with the fixed
// order the ensemble elects server 4 (highest epoch) in about 0.3 s; with the old predicate
// votes keep cycling between 4 and 5 and nobody decides in 2 virtual seconds (ten finalizeWaits).
func TestZK1419VariantDoesNotSettle(t *testing.T) {
	const limitNs = 2_000 * msNs
	fixed := zk1419Net(TotalOrder)
	for fixed.now < limitNs {
		if _, ok := fixed.settled(); ok {
			break
		}
		fixed.step()
	}
	leader, ok := fixed.settled()
	if !ok || leader != 4 {
		t.Fatalf("fixed predicate: settled %v leader %d: %s", ok, leader, fixed.describe())
	}
	broken := zk1419Net(PreZK1419)
	flips, last := 0, broken.node(1).e.Proposal().Leader
	steps := 0
	for ; broken.now < limitNs; steps++ {
		broken.step()
		if p := broken.node(1).e.Proposal().Leader; p != last {
			flips++
			last = p
		}
	}
	for _, nd := range broken.nodes {
		if len(nd.decisions) > 0 {
			t.Fatalf("pre-ZK-1419: server %d decided %v", nd.id, nd.decisions)
		}
	}
	if flips < 20 {
		t.Fatalf("pre-ZK-1419: server 1's proposal changed only %d times; expected votes to cycle", flips)
	}
	t.Logf("fixed: leader %d after %d virtual ms; pre-ZK-1419: no decision after %d events (%d virtual ms), server 1 flipped %d times",
		leader, fixed.now/msNs, steps, broken.now/msNs, flips)
}
