package fle

// ConnID names one election-channel connection. The embedding server (or test) assigns ids;
// they must be unique for the life of the process.
type ConnID int64

// Timer names one of the election's two timers. Setting a timer that is pending replaces
// it.
type Timer int

const (
	// PollTimer is lookForLeader's receive timeout: the notification timeout (200 ms
	// doubling to 60 s) or, once a quorum agrees, finalizeWait (200 ms). It also wakes the
	// election thread when it has more queued work than it does at once (see drain).
	PollTimer Timer = iota + 1
	// ConnectTimer bounds the outstanding Dials (cnxTO, 5 s each; dials to different
	// peers run at once): it is set to the earliest give-up time, and when it fires every
	// dial past its time counts as failed.
	ConnectTimer
)

func (t Timer) String() string {
	if t == ConnectTimer {
		return "connect"
	}
	return "poll"
}

// Effect is something the election asks its environment to do, or a decision it reports.
// Effects are returned in order and must be executed in that order.
type Effect interface{ fleEffect() }

// Send writes Payload on Conn (to server To). Handshake marks the initial message of a
// dialed connection, which goes on the wire raw; every other payload is one frame (int
// length + payload).
type Send struct {
	Conn      ConnID
	To        int64
	Payload   []byte
	Handshake bool
}

// SizeBytes is the number of bytes this send puts on the wire.
func (s Send) SizeBytes() int {
	if s.Handshake {
		return len(s.Payload)
	}
	return 4 + len(s.Payload)
}

// Dial asks for a new election connection to server To. Report the outcome with
// OnConnected(conn, To, true) or OnDialFailed(To); if neither comes before ConnectTimer
// fires, the election treats the dial as failed (a later OnConnected is still accepted).
type Dial struct{ To int64 }

// Close closes Conn. The election has already forgotten it: do not call OnClosed for it.
type Close struct{ Conn ConnID }

// SetTimer asks for OnTimer(Timer) at virtual time At (ns).
type SetTimer struct {
	Timer Timer
	At    int64
}

// CancelTimer forgets a pending timer (no-op if none).
type CancelTimer struct{ Timer Timer }

// Decided reports the end of an election round: this server is now State (Leading,
// Following or Observing) behind Vote.Leader. StartedAt is when the round began (the
// Start call), so now − StartedAt is ZooKeeper's "LEADER ELECTION TOOK".
type Decided struct {
	State     State
	Vote      Vote
	StartedAt int64
}

func (Send) fleEffect()        {}
func (Dial) fleEffect()        {}
func (Close) fleEffect()       {}
func (SetTimer) fleEffect()    {}
func (CancelTimer) fleEffect() {}
func (Decided) fleEffect()     {}
