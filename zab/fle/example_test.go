package fle_test

import (
	"fmt"

	"github.com/zabsim/zabsim/zab/fle"
)

func ExamplePredicate_Beats() {
	// (sid, zxid, peerEpoch): server 4 accepted epoch 2 but logged nothing in it; server 5
	// has the same last zxid in epoch 1.
	four := []int64{4, 0x100000005, 2}
	five := []int64{5, 0x100000005, 1}
	for _, p := range []fle.Predicate{fle.TotalOrder, fle.PreZK1419} {
		fmt.Printf("%s: 4 beats 5 %v, 5 beats 4 %v\n", p,
			p.Beats(four[0], four[1], four[2], five[0], five[1], five[2]),
			p.Beats(five[0], five[1], five[2], four[0], four[1], four[2]))
	}
	// Output:
	// total-order: 4 beats 5 true, 5 beats 4 false
	// pre-ZK-1419: 4 beats 5 true, 5 beats 4 true
}

func ExampleParseNotification() {
	n := fle.Notification{State: fle.Leading, Leader: 2, Zxid: 0x200000003, ElectionEpoch: 7, PeerEpoch: 2}
	b := n.Marshal()
	back, err := fle.ParseNotification(b)
	fmt.Println(len(b), back.State, back.Vote(), err)
	_, err = fle.ParseNotification(b[:20])
	fmt.Println(err)
	// Output:
	// 44 LEADING (leader 2, zxid 0x200000003, round 7, peerEpoch 2) <nil>
	// fle: notification of 20 bytes is shorter than 28
}

// A server restarting into a running ensemble: the replies of the FOLLOWING and LEADING
// servers to its notifications tell it who leads.
func ExampleElection_Start() {
	e, _ := fle.New(fle.Config{MyID: 3, Voters: []int64{1, 2, 3}})
	e.Start(0, 0x200000001, 2)
	for _, peer := range []int64{1, 2} { // connections we dialed (to smaller sids)
		e.OnConnected(0, fle.ConnID(peer), peer, true)
	}
	reply := func(peer int64, st fle.State) []fle.Effect {
		n := fle.Notification{State: st, Leader: 2, Zxid: 0x200000009, ElectionEpoch: 4, PeerEpoch: 2}
		return e.OnMessage(1_000_000, fle.ConnID(peer), n.Marshal())
	}
	reply(1, fle.Following)
	for _, eff := range reply(2, fle.Leading) {
		if d, ok := eff.(fle.Decided); ok {
			fmt.Println(d.State, d.Vote.Leader, "round", e.LogicalClock())
		}
	}
	// Output:
	// FOLLOWING 2 round 4
}
