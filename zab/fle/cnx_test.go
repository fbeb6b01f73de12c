package fle

import (
	"fmt"
	"testing"
)

// Connection tie-break: only a connection initiated by the larger sid survives.
func TestConnectionTieBreak(t *testing.T) {
	s := newScript(t, threeVoters(2))
	expect(t, "1 (smaller) dials us: close and dial back", s.connectFrom(1),
		"close 1", "dial 1", "timer connect +5000ms")
	expect(t, "our dial-back to 1 survives", s.dialed(1),
		"handshake 1", "cancel connect")
	expect(t, "3 (larger) dials us: kept", s.connectFrom(3))
	if s.e.link(1).conn == 0 || s.e.link(3).conn == 0 {
		t.Fatalf("links %+v %+v", s.e.link(1), s.e.link(3))
	}
	s.conns[3] = 999
	expect(t, "we dial 3 (larger): send our handshake and drop it", s.render(s.e.OnConnected(0, 999, 3, true)),
		"handshake 3", "close 3")
	if s.e.link(3).conn == 0 {
		t.Fatal("losing the challenge dropped the surviving connection from 3")
	}
}

// A second connection from the same larger peer replaces the first (SendWorker.finish).
func TestConnectionReplacedByNewer(t *testing.T) {
	s := newScript(t, threeVoters(1))
	s.connectFrom(3)
	first := s.conns[3]
	expect(t, "3 connects again", s.connectFrom(3), fmt.Sprintf("close conn %d", first))
	expect(t, "data on the old connection is ignored", s.render(s.e.OnMessage(0, first, looking(3, z5, 1, 1).Marshal())))
}

// Bad handshakes and frames close the connection.
func TestConnectionRejectsBadInput(t *testing.T) {
	s := newScript(t, threeVoters(2))
	for name, payload := range map[string][]byte{ //det:unordered-ok independent cases
		"garbage handshake": {1, 2, 3},
		"own id":            Handshake{ProtocolVersion: ProtocolVersionV1, Sid: 2, Addr: "x:1"}.Marshal(),
		"unknown server":    Handshake{ProtocolVersion: ProtocolVersionV1, Sid: 9, Addr: "x:1"}.Marshal(),
	} {
		s.render(s.e.OnConnected(0, 50, 0, false))
		if effs := s.render(s.e.OnMessage(0, 50, payload)); len(effs) != 1 || effs[0] != "close conn 50" {
			t.Errorf("%s: %v", name, effs)
		}
	}
	s.connectFrom(3)
	expect(t, "empty frame", s.render(s.e.OnMessage(0, s.conns[3], nil)), "close 3")
	s.connectFrom(3)
	expect(t, "frame over 512 KiB", s.render(s.e.OnMessage(0, s.conns[3], make([]byte, MaxFrameBytes+1))), "close 3")
	s.connectFrom(3)
	expect(t, "short notification is dropped, connection kept", s.render(s.e.OnMessage(0, s.conns[3], make([]byte, 27))))
}

// The per-peer send queue holds one message: while 3 is unreachable only the newest
// notification waits, and it is what goes out when the connection comes up.
func TestSendQueueNewestWins(t *testing.T) {
	s := newScript(t, threeVoters(1))
	s.connectFrom(2)
	expect(t, "start: 3 is not connected yet", s.start(z5, 1),
		"send 2 LOOKING 1/0x100000005/r1/e1",
		"dial 3", "timer connect +5000ms",
		"timer poll +200ms",
		"timer poll +200ms") // our own vote, via loopback
	expect(t, "refused", s.render(s.e.OnDialFailed(0, 3)), "cancel connect")
	s.at(10)
	expect(t, "2's vote: re-broadcast, 3 still down", s.recv(2, looking(2, z5, 1, 1)),
		"send 2 LOOKING 2/0x100000005/r1/e1",
		"dial 3", "timer connect +5000ms",
		"timer poll +200ms",
		"timer poll +200ms")
	expect(t, "3 refuses again", s.render(s.e.OnDialFailed(s.now, 3)), "cancel connect")
	expect(t, "3 dials us: only the newest vote is sent", s.connectFrom(3),
		"send 3 LOOKING 2/0x100000005/r1/e1")
}

// On a new connection with an empty queue the last message sent to that peer goes again
// (it may have been lost with the old connection).
func TestReconnectResendsLastMessage(t *testing.T) {
	s := newScript(t, threeVoters(1))
	s.connectFrom(2)
	s.connectFrom(3)
	s.start(z5, 1)
	expect(t, "2 drops", s.render(s.e.OnClosed(0, s.conns[2])))
	expect(t, "2 back: the last vote is re-sent", s.connectFrom(2), "send 2 LOOKING 1/0x100000005/r1/e1")
	if !s.e.haveDelivered() {
		t.Fatal("haveDelivered false with empty queues")
	}
}

// The receive queue holds 100 messages and drops the oldest. Before the first Start
// nothing is consumed, which makes the bound visible.
func TestRecvQueueDropsOldest(t *testing.T) {
	s := newScript(t, threeVoters(1))
	s.connectFrom(3)
	for round := int64(1); round <= 105; round++ {
		s.recv(3, looking(3, z5, round, 1))
	}
	if len(s.e.cnx.inbox) != 100 || s.e.cnx.dropped != 5 || s.e.cnx.inbox[0].n.ElectionEpoch != 6 {
		t.Fatalf("inbox %d dropped %d first round %d", len(s.e.cnx.inbox), s.e.cnx.dropped, s.e.cnx.inbox[0].n.ElectionEpoch)
	}
	// Start's own notification pushes out round 6; then Start works off 1 ms of backlog
	// (21 notifications at 50 µs: rounds 7..27) and asks to resume.
	effs := s.start(z5, 1)
	if got := effs[len(effs)-1]; got != "timer poll +0ms" || s.e.LogicalClock() != 27 || s.e.cnx.dropped != 6 {
		t.Fatalf("after start: last effect %q, clock %d, dropped %d", got, s.e.LogicalClock(), s.e.cnx.dropped)
	}
	// Each stale round jump also loops our own vote back to us, so draining takes longer
	// than the 105 notifications alone.
	for i := 0; i < 50 && len(s.e.cnx.inbox) > 0; i++ {
		s.now += msNs
		s.timer(PollTimer)
	}
	if s.e.LogicalClock() != 105 || s.e.Proposal().Leader != 3 || len(s.e.cnx.inbox) != 0 {
		t.Fatalf("after draining: clock %d proposal %v inbox %d", s.e.LogicalClock(), s.e.Proposal(), len(s.e.cnx.inbox))
	}
}

// Dials to different peers run at once (initiateConnectionAsync); one that gets no answer
// within cnxTO (5 s) counts as failed.
func TestDialTimesOut(t *testing.T) {
	s := newScript(t, threeVoters(3))
	expect(t, "start: both peers dialed at once", s.start(z5, 1),
		"dial 1", "timer connect +5000ms", "dial 2", "timer connect +5000ms",
		"timer poll +200ms", "timer poll +200ms")
	s.at(5000)
	expect(t, "connect timeout ends both", s.timer(ConnectTimer), "cancel connect")
	expect(t, "late success is still used", s.dialed(1), "handshake 1", "send 1 LOOKING 3/0x100000005/r1/e1")
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{MyID: 1},
		{MyID: 4, Voters: []int64{1, 2, 3}},
		{MyID: 1, Voters: []int64{1, 1, 2}},
		{MyID: 1, Voters: []int64{1, 2, 3}, Observers: []int64{0}},
		{MyID: 1, Voters: []int64{1, 2, 3}, FinalizeWaitMs: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// Dialing does not block the sender (3.8, since ZOOKEEPER-3756): a notification to a peer
// that does not answer leaves the notifications behind it free to go, to everyone
// including ourselves, while the dial waits for its 5 s connect timeout. Before, every
// notification to a powered-off peer held the sender for 5 s and a backlog built up behind
// it (swarm3 17 with "at 3.067s crash 2": two agreeing servers LOOKING for 38 s).
func TestUnreachablePeerDoesNotHoldUpTheSender(t *testing.T) {
	s := newScript(t, threeVoters(3))
	s.dialed(2)
	expect(t, "start: dialing 1, the vote to 2 and to us goes out", s.start(z5, 1),
		"dial 1", "timer connect +5000ms", "send 2 LOOKING 3/0x100000005/r1/e1",
		"timer poll +200ms", "timer poll +200ms")
	s.at(200)
	// 2's queue is empty, so haveDelivered is true: re-send. The dial to 1 in progress is
	// not repeated (inprogressConnections).
	expect(t, "poll timeout", s.timer(PollTimer),
		"send 2 LOOKING 3/0x100000005/r1/e1", "timer poll +400ms", "timer poll +400ms")
	s.at(5000)
	expect(t, "connect timeout: nothing was waiting for it", s.timer(ConnectTimer), "cancel connect")
	if got := len(s.e.cnx.sendQ); got != 0 {
		t.Fatalf("%d notifications wait in the sender, want 0", got)
	}
}
