package zab

import (
	"fmt"
	"strings"

	"github.com/zabsim/zabsim/datatree"
)

// Status is the server's state as `zkServer.sh status` / the `srvr` four-letter command
// would show it, plus what a checker wants to compare.
type Status struct {
	ID                int64
	Mode              Mode
	Leader            int64 // -1 when LOOKING
	Serving           bool  // leader established / follower past UPTODATE
	AcceptedEpoch     int64
	CurrentEpoch      int64
	LastProcessedZxid int64 // in memory (what the server votes with)
	LastLoggedZxid    int64 // durable in the log (fsync completed)
	Digest            int64
	NodeCount         int
	Sessions          int
	Clients           int
	Outstanding       int   // leader: proposals not yet committed; follower: pending txns
	LastElectionNs    int64 // how long the last election round took
}

// Status returns the server's current status.
func (s *Server) Status() Status {
	st := Status{ID: s.id, Mode: s.mode, Leader: -1, Serving: s.serving(),
		AcceptedEpoch: s.acceptedEpoch, CurrentEpoch: s.currentEpoch,
		LastProcessedZxid: s.db.lastProcessed, LastLoggedZxid: s.log.durableMax,
		Digest: s.db.tree.Digest(), NodeCount: s.db.tree.NodeCount(), Sessions: len(s.db.sessions),
		Clients: len(s.clients), Outstanding: len(s.db.pending), LastElectionNs: s.lastElectionNs}
	switch {
	case s.lead != nil:
		st.Leader = s.id
	case s.follow != nil:
		st.Leader = s.follow.leaderID
	}
	return st
}

// String renders the status like ZooKeeper's `srvr` output.
func (st Status) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Server id: %d\n", st.ID)
	fmt.Fprintf(&b, "Mode: %v\n", st.Mode)
	if st.Leader >= 0 {
		fmt.Fprintf(&b, "Leader: %d\n", st.Leader)
	}
	fmt.Fprintf(&b, "Serving: %v\n", st.Serving)
	fmt.Fprintf(&b, "Zxid: 0x%x\n", st.LastProcessedZxid)
	fmt.Fprintf(&b, "Logged zxid: 0x%x\n", st.LastLoggedZxid)
	fmt.Fprintf(&b, "Epochs: accepted=%d current=%d\n", st.AcceptedEpoch, st.CurrentEpoch)
	fmt.Fprintf(&b, "Digest: %d\n", st.Digest)
	fmt.Fprintf(&b, "Node count: %d\n", st.NodeCount)
	fmt.Fprintf(&b, "Sessions: %d\nConnections: %d\nOutstanding: %d\n", st.Sessions, st.Clients, st.Outstanding)
	return b.String()
}

// Tree is the server's in-memory data tree. Callers must treat it as read-only (the
// harness reads it for status, dumps and invariants; snapshots use RollAndSnapshot.Tree).
func (s *Server) Tree() *datatree.Tree { return s.db.tree }

// Mode is the server's current QuorumPeer state.
func (s *Server) Mode() Mode { return s.mode }
