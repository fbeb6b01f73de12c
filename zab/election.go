package zab

import (
	"github.com/zabsim/zabsim/zab/fle"
)

// election wraps zab/fle: the connection manager and FastLeaderElection live for the
// whole process; a new round starts each time the server goes LOOKING.
type election struct {
	fle *fle.Election
}

const timerElectionConnect TimerID = 100

func (s *Server) newElection() {
	e, err := fle.New(fle.Config{MyID: s.id, Voters: s.p.voters, Observers: s.p.observers, ElectionAddr: s.p.electionAddr,
		Predicate:                 s.opts.Variant.votePredicate(),
		MinNotificationIntervalMs: s.p.electionMinNotificationMs,
		MaxNotificationIntervalMs: s.p.electionMaxNotificationMs,
		ConnectTimeoutMs:          s.p.electionConnectTimeoutMs})
	if err != nil {
		panic("zab: election config built from a validated zoo.cfg was refused: " + err.Error())
	}
	s.elect = &election{fle: e}
}

// startLooking enters LOOKING and starts an election round voting for our own
// (currentEpoch, lastProcessedZxid, sid).
func (s *Server) startLooking(now int64, why string) {
	s.setModeWhy(Looking, -1, why)
	s.electionStartNs = now
	s.runElection(now, s.elect.fle.Start(now, s.db.lastProcessed, s.currentEpoch))
}

// updateElectionVote advertises the new epoch after sync (ZK-1732).
func (s *Server) updateElectionVote(now int64) {
	s.elect.fle.UpdateElectionVote(s.currentEpoch)
}

func (s *Server) electionTimer(now int64) {
	s.runElection(now, s.elect.fle.OnTimer(now, fle.PollTimer))
}
func (s *Server) electionConnectTimer(now int64) {
	s.runElection(now, s.elect.fle.OnTimer(now, fle.ConnectTimer))
}
func (s *Server) electionDialFailed(now, peer int64) {
	s.runElection(now, s.elect.fle.OnDialFailed(now, peer))
}

func (s *Server) electionPeerUp(now int64, conn ConnID, peer int64, dialed bool) {
	s.runElection(now, s.elect.fle.OnConnected(now, fle.ConnID(conn), peer, dialed))
}

func (s *Server) electionPeerDown(now int64, conn ConnID, peer int64) {
	s.runElection(now, s.elect.fle.OnClosed(now, fle.ConnID(conn)))
}

func (s *Server) electionMessage(now int64, conn ConnID, peer int64, msg any) {
	b, ok := msg.([]byte)
	if !ok {
		return
	}
	s.runElection(now, s.elect.fle.OnMessage(now, fle.ConnID(conn), b))
}

// runElection translates the election's effects into the server's.
func (s *Server) runElection(now int64, effs []fle.Effect) {
	for _, e := range effs {
		switch e := e.(type) {
		case fle.Send:
			s.emit(Send{Conn: ConnID(e.Conn), Msg: e.Payload, SizeBytes: e.SizeBytes()})
		case fle.Dial:
			s.emit(Dial{Peer: e.To, Channel: Election})
		case fle.Close:
			delete(s.peers, ConnID(e.Conn))
			s.emit(CloseConn{Conn: ConnID(e.Conn)})
		case fle.SetTimer:
			s.setTimer(electionTimerID(e.Timer), e.At)
		case fle.CancelTimer:
			s.emit(CancelTimer{ID: electionTimerID(e.Timer)})
		case fle.Decided:
			s.decided(now, e)
		}
	}
}

func electionTimerID(t fle.Timer) TimerID {
	if t == fle.ConnectTimer {
		return timerElectionConnect
	}
	return timerElection
}

// decided leaves LOOKING for the role the election chose.
func (s *Server) decided(now int64, d fle.Decided) {
	if s.mode != Looking {
		return
	}
	s.lastElectionNs = now - d.StartedAt
	switch {
	case d.State == fle.Leading:
		s.startLeading(now)
	case d.State == fle.Following:
		s.startFollowing(now, d.Vote.Leader)
	}
}
