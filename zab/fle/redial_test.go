package fle

import "testing"

// A dial-back that finds a dial to the same peer in progress dials again when that dial
// fails (swarm seed 219: server 2's dial to the powered-off server 1 timed out after 1 had
// restarted and dialed 2; dropping the dial-back left 2 unable to reach 1 — and LOOKING —
// for a whole notification back-off, past the liveness bound). ZooKeeper 3.8 skips a
// connectOne whose peer is being dialed, but its dial would connect once the machine is
// back (SYN retransmission), which zabsim's network does not model; the redial stands in
// for it. The network's own report of the timed-out dial, arriving after ConnectTimer,
// must not end the new dial.
func TestDialBackRedialsAfterFailedDial(t *testing.T) {
	s := newScript(t, threeVoters(2))
	s.connectFrom(3)
	expect(t, "start: 1 is powered off; the sender does not wait for the dial", s.start(z5, 1),
		"dial 1", "timer connect +5000ms",
		"send 3 LOOKING 2/0x100000005/r1/e1",
		"timer poll +200ms", "timer poll +200ms")
	s.at(3000)
	expect(t, "1 is back and dials us: close it, dial back after the dial in progress", s.connectFrom(1),
		"close 1")
	s.at(5000)
	expect(t, "the first dial times out: the dial-back dials 1 again", s.timer(ConnectTimer),
		"dial 1", "timer connect +5000ms")
	expect(t, "the network reports the timed-out dial late: ignored", s.render(s.e.OnDialFailed(s.now, 1)))
	s.at(5002)
	expect(t, "the dial-back connects: the queued vote goes out", s.dialed(1),
		"handshake 1", "send 1 LOOKING 2/0x100000005/r1/e1", "cancel connect")
}

// Without a dial-back waiting, a failed dial is not repeated at once (the next
// notification or poll timeout dials again).
func TestFailedDialNotRepeatedByItself(t *testing.T) {
	s := newScript(t, threeVoters(2))
	s.connectFrom(3)
	s.start(z5, 1)
	s.at(5000)
	expect(t, "timeout: no redial", s.timer(ConnectTimer), "cancel connect")
}
