package client

import (
	"fmt"

	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// Effect is something the client asks its host (the cluster harness) to do or to note.
// Effects are collected in order and handed out by Client.Effects.
type Effect interface{ clientEffect() }

// Dial asks for a connection to Server (one of Config.Servers). The harness answers
// with OnConnected(attempt, conn) or OnDialFailed(attempt).
type Dial struct {
	Attempt int64
	Server  string
}

// Send writes Msg (*clientproto.ConnectRequest or *clientproto.Request) on Conn.
type Send struct {
	Conn      int64
	Msg       any
	SizeBytes int
}

// CloseConn closes Conn; the server learns of it at its own time.
type CloseConn struct{ Conn int64 }

// Wake asks for a call to OnTimer at virtual time At (ns). Only the latest Wake counts;
// an earlier or stale wake-up is harmless (the client checks its own deadlines).
type Wake struct{ At int64 }

// StateChanged reports a session state change (for logs and scenario drivers).
type StateChanged struct {
	State     State
	Server    string
	SessionID int64
	Reason    string // for Disconnected: what broke the connection
}

// Completed reports an operation that has returned, for the history.
type Completed struct{ Op Record }

// Violation reports a server reply that breaks the client protocol (a reply out of xid
// order, a body that does not fit the request). The client treats it as a lost
// connection; the harness should report it as a bug in the server.
type Violation struct {
	Server string
	Msg    string
}

func (Dial) clientEffect()         {}
func (Send) clientEffect()         {}
func (CloseConn) clientEffect()    {}
func (Wake) clientEffect()         {}
func (StateChanged) clientEffect() {}
func (Completed) clientEffect()    {}
func (Violation) clientEffect()    {}

// State is the client's session state.
type State int

// Session states, as ZooKeeper's client reports them.
const (
	StateConnecting   State = iota // no session established on a live connection yet
	StateConnected                 // a server accepted the session
	StateDisconnected              // the connection was lost; reconnecting
	StateExpired                   // the ensemble expired the session; the client is dead
	StateClosed                    // Close completed (or failed); the client is dead
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "Connecting"
	case StateConnected:
		return "Connected"
	case StateDisconnected:
		return "Disconnected"
	case StateExpired:
		return "Expired"
	case StateClosed:
		return "Closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Outcome is what the client knows about an operation's effect.
type Outcome int

const (
	// OutcomeOK: the server answered ErrOK.
	OutcomeOK Outcome = iota
	// OutcomeFailed: the operation certainly had no effect: the server answered an error
	// code, or the client never sent it (bad path, session already gone, connection lost
	// before it was sent).
	OutcomeFailed
	// OutcomeUnknown: the request was sent but the connection was lost (or the session
	// expired) before the answer: it may or may not have been applied.
	OutcomeUnknown
)

func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeFailed:
		return "failed"
	case OutcomeUnknown:
		return "unknown"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Record is one operation as the history sees it. Request is what the client sent (or
// would have sent); Reply is the server's answer (nil unless Outcome is OutcomeOK or a
// server error code). Err is the code the caller saw: the server's, or
// ErrConnectionLoss / ErrSessionExpired / ErrBadArguments from the client itself.
type Record struct {
	Client    int   // Config.ID
	Seq       int64 // 1, 2, ... per client, in call order
	SessionID int64 // 0 if no session was ever established
	Request   *cp.Request
	CallNs    int64
	ReturnNs  int64
	Server    string // server that answered (or held the request when it was lost); "" if never sent
	Zxid      int64  // the reply header's zxid; 0 without a reply
	Replied   bool   // the server answered: Zxid and Reply are its
	Outcome   Outcome
	Err       cp.ErrCode
	Reply     cp.ReplyBody
}
