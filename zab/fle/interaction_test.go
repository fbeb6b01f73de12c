package fle

import "testing"

const z5 = 0x100000005 // epoch 1, counter 5

// Equal zxids and epochs: the highest sid wins. Server 1 starts, hears 2 then 3, adopts
// each better vote (re-broadcasting), sees a quorum for 3 and decides 200 ms later.
func TestElectionEqualZxidHighestSidWins(t *testing.T) {
	s := newScript(t, threeVoters(1))
	expect(t, "accept 2", s.connectFrom(2))
	expect(t, "accept 3", s.connectFrom(3))
	expect(t, "start", s.start(z5, 1),
		"send 2 LOOKING 1/0x100000005/r1/e1",
		"send 3 LOOKING 1/0x100000005/r1/e1",
		"timer poll +200ms",
		// the loopback notification from ourselves is one loop step: the poll restarts
		"timer poll +200ms")
	s.at(5)
	expect(t, "vote from 2", s.recv(2, looking(2, z5, 1, 1)),
		"send 2 LOOKING 2/0x100000005/r1/e1",
		"send 3 LOOKING 2/0x100000005/r1/e1",
		"timer poll +200ms",
		"timer poll +200ms")
	s.at(6)
	expect(t, "vote from 3", s.recv(3, looking(3, z5, 1, 1)),
		"send 2 LOOKING 3/0x100000005/r1/e1",
		"send 3 LOOKING 3/0x100000005/r1/e1",
		// recvset {2:2, 3:3}: no quorum for 3 yet
		"timer poll +200ms",
		// our own vote for 3 arrives: {1:3, 3:3} is a quorum, finalizeWait starts
		"timer poll +200ms")
	if !s.e.finalizing {
		t.Fatal("not finalizing with a quorum for 3")
	}
	s.at(206)
	expect(t, "finalizeWait over", s.timer(PollTimer),
		"cancel poll",
		"decided FOLLOWING 3/0x100000005/r1/e1")
	if s.e.State() != Following || s.e.CurrentVote().Leader != 3 {
		t.Fatalf("state %v vote %v", s.e.State(), s.e.CurrentVote())
	}
}

// A higher zxid beats a higher sid.
func TestElectionHigherZxidWins(t *testing.T) {
	s := newScript(t, threeVoters(3))
	s.dialed(1)
	s.dialed(2)
	s.start(z5, 1)
	s.at(1)
	expect(t, "vote from 1 with zxid 6", s.recv(1, looking(1, z5+1, 1, 1)),
		"send 1 LOOKING 1/0x100000006/r1/e1",
		"send 2 LOOKING 1/0x100000006/r1/e1",
		"timer poll +200ms",
		"timer poll +200ms")
	expect(t, "vote from 2 for 1", s.recv(2, looking(1, z5+1, 1, 1)),
		"timer poll +200ms") // {1:1, 2:1, 3:1}: quorum, finalizing
	s.at(201)
	expect(t, "decide", s.timer(PollTimer),
		"cancel poll",
		"decided FOLLOWING 1/0x100000006/r1/e1")
}

// A higher peerEpoch beats a higher zxid: server 1 has accepted epoch 2 but logged nothing
// in it (zxid 0x100000009); server 3 has a later epoch-1 zxid. Server 1 must lead.
func TestElectionHigherEpochBeatsHigherZxid(t *testing.T) {
	s := newScript(t, threeVoters(2))
	s.dialed(1)
	s.connectFrom(3)
	s.start(0x100000009, 1)
	s.at(1)
	expect(t, "3 has the higher zxid", s.recv(3, looking(3, 0x10000000a, 1, 1)),
		"send 1 LOOKING 3/0x10000000a/r1/e1",
		"send 3 LOOKING 3/0x10000000a/r1/e1",
		"timer poll +200ms",
		"timer poll +200ms") // {2:3, 3:3}: quorum for 3, finalizing
	s.at(50)
	expect(t, "1 has the higher epoch: ends finalizeWait", s.recv(1, looking(1, 0x100000009, 1, 2)),
		"send 1 LOOKING 1/0x100000009/r1/e2",
		"send 3 LOOKING 1/0x100000009/r1/e2",
		"timer poll +200ms",
		"timer poll +200ms")
	s.recv(3, looking(1, 0x100000009, 1, 2))
	s.at(300)
	expect(t, "decide", s.timer(PollTimer), "cancel poll", "decided FOLLOWING 1/0x100000009/r1/e2")
}

// finalizeWait: with a quorum and nothing better the decision comes exactly 200 ms later;
// a vote that is not better restarts the 200 ms (each poll waits anew).
func TestElectionFinalizeWaitTiming(t *testing.T) {
	s := newScript(t, threeVoters(3))
	s.dialed(1)
	s.dialed(2)
	s.start(z5, 1)
	s.at(10)
	expect(t, "quorum for 3", s.recv(2, looking(3, z5, 1, 1)), "timer poll +200ms")
	s.at(209)
	expect(t, "early timer is stale", s.timer(PollTimer))
	s.at(150)
	expect(t, "worse vote restarts the wait", s.recv(1, looking(1, z5, 1, 1)), "timer poll +200ms")
	s.at(349)
	expect(t, "not yet", s.timer(PollTimer))
	s.at(350)
	expect(t, "200 ms after the last poll", s.timer(PollTimer), "cancel poll", "decided LEADING 3/0x100000005/r1/e1")
}

// With nobody reachable the poll timeout doubles from 200 ms to the 60 s cap, and each
// timeout reconnects (nothing was delivered).
func TestElectionBackoffDoublesToCap(t *testing.T) {
	s := newScript(t, threeVoters(3))
	// Both dials start at once (connectOne does not block the sender in 3.8).
	expect(t, "start", s.start(z5, 1),
		"dial 1", "timer connect +5000ms", "dial 2", "timer connect +5000ms",
		"timer poll +200ms", "timer poll +200ms")
	s.at(1)
	expect(t, "1 refuses", s.render(s.e.OnDialFailed(s.now, 1)), "timer connect +4999ms")
	s.at(2)
	expect(t, "2 refuses", s.render(s.e.OnDialFailed(s.now, 2)), "cancel connect")
	var gaps []int64
	want := []int64{400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000, 60000}
	for i := 0; i < len(want); i++ {
		next := s.e.pollAt
		s.now = next
		effs := s.e.OnTimer(s.now, PollTimer)
		dials := 0
		for len(effs) > 0 { // every dial is refused at once; refusals may start the next dial
			eff := effs[0]
			effs = effs[1:]
			switch eff := eff.(type) {
			case SetTimer:
				if eff.Timer == PollTimer {
					gaps = append(gaps, (eff.At-s.now)/msNs)
				}
			case Dial:
				dials++
				effs = append(effs, s.e.OnDialFailed(s.now, eff.To)...)
			}
		}
		if dials != 2 {
			t.Fatalf("timeout %d: %d reconnect attempts, want 2", i, dials)
		}
	}
	expect(t, "gaps", fmtInts(gaps), fmtInts(want)...)
}

func fmtInts(v []int64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = fmtInt(x)
	}
	return out
}

// A server that restarts into a running ensemble learns the leader from the replies of
// FOLLOWING/LEADING servers (out-of-election votes), whatever their round.
func TestElectionRejoinLearnsLeaderOutOfElection(t *testing.T) {
	s := newScript(t, threeVoters(3))
	s.dialed(1)
	s.dialed(2)
	s.start(z5, 1)
	s.at(3)
	expect(t, "1 follows 2 in round 7", s.recv(1, inState(Following, 2, 0x200000000, 7, 2)), "timer poll +200ms")
	if s.e.State() != Looking {
		t.Fatal("decided on one out-of-election vote")
	}
	expect(t, "2 leads in round 7", s.recv(2, inState(Leading, 2, 0x200000003, 7, 2)),
		"cancel poll", "decided FOLLOWING 2/0x200000003/r7/e2")
	if s.e.LogicalClock() != 7 {
		t.Fatalf("logicalclock %d, want the leader's round 7", s.e.LogicalClock())
	}
}

// Out-of-election votes compare only (leader, peerEpoch): a quorum whose votes differ in
// zxid and round still counts (ZK-1732/1818), but the leader must confirm it is LEADING.
func TestElectionOutOfElectionNeedsLeaderConfirmation(t *testing.T) {
	s := newScript(t, Config{MyID: 5, Voters: []int64{1, 2, 3, 4, 5}})
	for _, p := range []int64{1, 2, 3, 4} {
		s.dialed(p)
	}
	s.start(z5, 1)
	s.recv(1, inState(Following, 2, 0x200000001, 4, 2))
	s.recv(3, inState(Following, 2, 0x200000009, 6, 2))
	expect(t, "a quorum follows 2 but 2 has not said LEADING", s.recv(4, inState(Following, 2, 0x200000004, 5, 2)),
		"timer poll +200ms")
	expect(t, "2's epoch-3 vote is a different vote", s.recv(2, inState(Leading, 2, 0x300000000, 9, 3)),
		"timer poll +200ms")
	expect(t, "2 confirms with the same epoch", s.recv(2, inState(Leading, 2, 0x200000009, 9, 2)),
		"cancel poll", "decided FOLLOWING 2/0x200000009/r9/e2")
}

// WorkerReceiver replies: a LOOKING peer in an older round gets our proposal at once; once
// decided, any LOOKING peer gets our current vote with our state; UpdateElectionVote
// changes the advertised epoch.
func TestElectionRepliesToLookingPeers(t *testing.T) {
	s := newScript(t, threeVoters(3))
	s.dialed(1)
	s.dialed(2)
	s.start(z5, 1)
	s.recv(2, looking(2, z5, 1, 1))
	s.recv(2, looking(2, z5, 2, 1)) // 2 moved to round 2: we follow it there
	expect(t, "1 is behind (round 1)", s.recv(1, looking(1, z5, 1, 1)),
		"send 1 LOOKING 3/0x100000005/r2/e1",
		"timer poll +200ms")
	s.recv(2, looking(3, z5, 2, 1))
	s.at(500)
	expect(t, "decide", s.timer(PollTimer), "cancel poll", "decided LEADING 3/0x100000005/r2/e1")
	s.e.UpdateElectionVote(2)
	expect(t, "a LOOKING peer gets the leader's vote with the new epoch", s.recv(1, looking(1, z5, 9, 1)),
		"send 1 LEADING 3/0x100000005/r2/e2")
	expect(t, "non-LOOKING senders get no reply", s.recv(2, inState(Following, 3, z5, 2, 2)))
}

// A server whose database is empty-reinitialized (zxid -1) ignores LOOKING votes, and
// everyone ignores votes carrying zxid -1 (ZK-261).
func TestElectionIgnoresMinusOneZxid(t *testing.T) {
	s := newScript(t, threeVoters(3))
	s.dialed(1)
	s.dialed(2)
	s.start(z5, 1)
	expect(t, "vote with zxid -1", s.recv(1, looking(1, -1, 1, 9)), "timer poll +200ms")
	if s.e.Proposal().Leader != 3 || len(s.e.recvset) != 1 {
		t.Fatalf("proposal %v recvset %v", s.e.Proposal(), s.e.recvset)
	}
	s2 := newScript(t, threeVoters(1))
	s2.connectFrom(2)
	s2.start(-1, 0)
	expect(t, "we have zxid -1", s2.recv(2, looking(2, z5, 1, 1)), "timer poll +200ms")
	if s2.e.Proposal().Leader != 1 {
		t.Fatalf("proposal %v", s2.e.Proposal())
	}
}

// An observer proposes no one, is answered by the voters it writes to, and follows the
// voters' leader as OBSERVING; a voter answers an observer at once with its current vote.
func TestElectionObserver(t *testing.T) {
	s := newScript(t, Config{MyID: 4, Voters: []int64{1, 2, 3}, Observers: []int64{4}})
	s.dialed(1)
	s.dialed(2)
	s.dialed(3)
	expect(t, "start: votes for nobody, not to itself", s.start(z5, 1),
		"send 1 LOOKING -9223372036854775808/0x-8000000000000000/r1/e-9223372036854775808",
		"send 2 LOOKING -9223372036854775808/0x-8000000000000000/r1/e-9223372036854775808",
		"send 3 LOOKING -9223372036854775808/0x-8000000000000000/r1/e-9223372036854775808",
		"timer poll +200ms")
	s.recv(1, inState(Following, 3, z5, 2, 1))
	expect(t, "leader answers", s.recv(3, inState(Leading, 3, z5, 2, 1)),
		"cancel poll", "decided OBSERVING 3/0x100000005/r2/e1")

	v := newScript(t, Config{MyID: 3, Voters: []int64{1, 2, 3}, Observers: []int64{4}})
	v.dialed(1)
	v.dialed(2)
	v.connectFrom(4)
	v.start(z5, 1)
	expect(t, "voter answers the observer with its current vote and round", v.recv(4, looking(-1, -1, 1, -1)),
		"send 4 LOOKING 3/0x100000005/r1/e1")
}

// One seed, one run: two runs of the test network with the same seed produce the same
// trace, event for event.
func TestTestNetDeterministic(t *testing.T) {
	run := func() []string {
		specs := []nodeSpec{{zxid: z5, epoch: 1, startMs: 3}, {zxid: z5 + 1, epoch: 1}, {zxid: z5, epoch: 2, startMs: 40}}
		net := newTestNet(42, specs, TotalOrder)
		net.traceOn, net.zabStandIn = true, true
		net.faultsUntil, net.faultDelayMs, net.breakProb = 3_000*msNs, 80, 0.2
		net.schedule(netEvent{at: 100 * msNs, kind: evPartition})
		if _, ok := net.runUntilSettled(120_000 * msNs); !ok {
			t.Fatalf("not settled: %s", net.describe())
		}
		return net.trace
	}
	a, b := run(), run()
	if len(a) < 100 {
		t.Fatalf("trace of %d lines: too short to mean anything", len(a))
	}
	expect(t, "second run", b, a...)
}
