package fle

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// script drives one Election step by step and renders its effects as short lines, so
// interaction tests read as a transcript of what the server did.
type script struct {
	t     *testing.T
	e     *Election
	now   int64 // ns
	conns map[int64]ConnID
	next  ConnID
}

func newScript(t *testing.T, cfg Config) *script {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &script{t: t, e: e, conns: map[int64]ConnID{}, next: 100}
}

// at moves the clock to ms milliseconds.
func (s *script) at(ms int64) *script {
	s.now = ms * msNs
	return s
}

// connectFrom hands the election an accepted connection from peer with its handshake (what
// a larger sid does when it dials us), returning the rendered effects.
func (s *script) connectFrom(peer int64) []string {
	s.next++
	c := s.next
	s.conns[peer] = c
	out := s.render(s.e.OnConnected(s.now, c, 0, false))
	hs := Handshake{ProtocolVersion: ProtocolVersionV1, Sid: peer, Addr: fmt.Sprintf("zk%d:3888", peer)}
	return append(out, s.render(s.e.OnMessage(s.now, c, hs.Marshal()))...)
}

// dialed completes an outstanding Dial to peer.
func (s *script) dialed(peer int64) []string {
	s.next++
	c := s.next
	s.conns[peer] = c
	return s.render(s.e.OnConnected(s.now, c, peer, true))
}

// recv delivers a notification from peer on its connection.
func (s *script) recv(peer int64, n Notification) []string {
	c, ok := s.conns[peer]
	if !ok {
		s.t.Fatalf("no connection from %d", peer)
	}
	if n.Version == 0 {
		n.Version = CurrentVersion
	}
	return s.render(s.e.OnMessage(s.now, c, n.Marshal()))
}

func (s *script) timer(t Timer) []string { return s.render(s.e.OnTimer(s.now, t)) }

func (s *script) start(zxid, epoch int64) []string {
	return s.render(s.e.Start(s.now, zxid, epoch))
}

// render prints effects as "send 2 LOOKING 3/0x100000005/r1/e1", "dial 2", "close 2",
// "timer poll +200ms", "cancel poll", "decided FOLLOWING 3/0x100000005/r1/e1".
func (s *script) render(effs []Effect) []string {
	var out []string
	for _, eff := range effs {
		out = append(out, s.renderOne(eff))
	}
	return out
}

func (s *script) renderOne(eff Effect) string {
	switch eff := eff.(type) {
	case Send:
		if eff.Handshake {
			return fmt.Sprintf("handshake %d", eff.To)
		}
		n, err := ParseNotification(eff.Payload)
		if err != nil {
			s.t.Fatalf("sent an unparsable notification: %v", err)
		}
		return fmt.Sprintf("send %d %s %s", eff.To, n.State, short(n.Vote()))
	case Dial:
		return fmt.Sprintf("dial %d", eff.To)
	case Close:
		for peer, c := range s.conns { //det:unordered-ok test lookup of one value
			if c == eff.Conn {
				return fmt.Sprintf("close %d", peer)
			}
		}
		return fmt.Sprintf("close conn %d", eff.Conn)
	case SetTimer:
		return fmt.Sprintf("timer %s +%dms", eff.Timer, (eff.At-s.now)/msNs)
	case CancelTimer:
		return "cancel " + eff.Timer.String()
	case Decided:
		return fmt.Sprintf("decided %s %s", eff.State, short(eff.Vote))
	}
	s.t.Fatalf("unknown effect %T", eff)
	return ""
}

func short(v Vote) string {
	return fmt.Sprintf("%d/0x%x/r%d/e%d", v.Leader, v.Zxid, v.ElectionEpoch, v.PeerEpoch)
}

// expect compares a transcript with the expected lines.
func expect(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%s: effects (-want +got):\n%s\ngot:\n  %s", step, diff, strings.Join(got, "\n  "))
	}
}

// looking is a LOOKING notification for (leader, zxid, round, peerEpoch).
func looking(leader, zxid, round, epoch int64) Notification {
	return Notification{State: Looking, Leader: leader, Zxid: zxid, ElectionEpoch: round, PeerEpoch: epoch}
}

func inState(st State, leader, zxid, round, epoch int64) Notification {
	return Notification{State: st, Leader: leader, Zxid: zxid, ElectionEpoch: round, PeerEpoch: epoch}
}

func threeVoters(me int64) Config {
	return Config{MyID: me, Voters: []int64{1, 2, 3}}
}

func fmtInt(v int64) string { return fmt.Sprint(v) }
