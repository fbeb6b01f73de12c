package zab

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Timer ids used by the server.
const (
	timerElection TimerID = iota + 1
	timerLeaderTick
	timerLeaderPhase
	timerFollowerRead
	timerFollowerConnect
	timerSessionExpiry
)

// params are the config values the server uses, with time in ns.
type params struct {
	tickNs              int64
	initLimit           int64
	syncLimit           int64
	minSessionTimeoutMs int32
	maxSessionTimeoutMs int32
	snapCount           int
	voters              []int64 // sorted participant ids
	electionAddr        string  // this server's host:electionPort (election handshake)
	observers           []int64 // observer ids (not served: an observer cannot be built)
	// election knobs from zoo.cfg (fastleader.min/maxNotificationInterval, cnxTimeout)
	electionMinNotificationMs, electionMaxNotificationMs, electionConnectTimeoutMs int64
}

func (p params) quorum(n int) bool { return n > len(p.voters)/2 }

func (p params) isVoter(sid int64) bool {
	_, ok := slices.BinarySearch(p.voters, sid)
	return ok
}

// Server is one ZooKeeper server. It is not safe for concurrent use; the harness calls one
// input at a time and executes the returned effects in order.
type Server struct {
	id   int64
	p    params
	opts Options
	rnd  *rand.Rand

	mode          Mode
	gen           int64 // bumped at every mode change; stale continuations check it
	acceptedEpoch int64
	currentEpoch  int64
	db            database
	log           txnLogger

	out        []Effect
	nextOp     OpID
	diskWait   map[OpID]func(now int64, err error)
	reloadWait map[OpID]func(now int64, rec Recovered, err error)
	exited     bool

	peers   map[ConnID]peerConn
	elect   *election
	lead    *leader
	follow  *follower
	clients map[ConnID]*clientConn
	sess    sessionState

	electionStartNs int64
	lastElectionNs  int64
	startedNs       int64
}

type peerConn struct {
	sid    int64
	ch     Channel
	dialed bool
}

// NewServer builds server myID of cfg from the state recovered from its disk.
func NewServer(cfg *Config, myID int64, rec Recovered, opts Options) (*Server, error) {
	p, err := paramsFrom(cfg)
	if err != nil {
		return nil, err
	}
	if a, ok := cfg.Server(myID); ok {
		p.electionAddr = fmt.Sprintf("%s:%d", a.Host, a.ElectionPort)
	}
	if !p.isVoter(myID) {
		return nil, errorf("server id %d is not a participant of the config", myID)
	}
	if opts.Rand == nil {
		return nil, errorf("Options.Rand must be set (the server's own random stream)")
	}
	if rec.Tree == nil {
		return nil, errorf("Recovered.Tree is nil")
	}
	s := &Server{id: myID, p: p, opts: opts, rnd: opts.Rand,
		diskWait: map[OpID]func(int64, error){}, reloadWait: map[OpID]func(int64, Recovered, error){},
		peers: map[ConnID]peerConn{}, clients: map[ConnID]*clientConn{}}
	s.install(rec)
	s.acceptedEpoch, s.currentEpoch = rec.AcceptedEpoch, rec.CurrentEpoch
	s.drawSnapThreshold()
	s.sess.init()
	s.newElection() // the connection manager exists before Start: peers may dial us first
	return s, nil
}

// install replaces the database with a recovered one. The epochs stay those the server
// last wrote (a reload does not change them).
func (s *Server) install(rec Recovered) {
	s.db = newDatabase(rec)
	s.log.appendedMax = rec.LastLoggedZxid
	s.log.durableMax = rec.LastLoggedZxid
}

// ID is the server's sid (myid).
func (s *Server) ID() int64 { return s.id }

// --- effect plumbing ---

func (s *Server) emit(e Effect) { s.out = append(s.out, e) }

func (s *Server) flush() []Effect {
	if !s.exited {
		s.flushLog()
	}
	out := s.out
	s.out = nil
	return out
}

func (s *Server) newOp() OpID {
	s.nextOp++
	return s.nextOp
}

func (s *Server) afterDisk(op OpID, then func(now int64, err error)) { s.diskWait[op] = then }

// writeEpoch writes an epoch file; the in-memory value changes once the write is durable
// (QuorumPeer.setCurrentEpoch writes the file first), even if the role has ended since.
func (s *Server) writeEpoch(which EpochFile, v int64, then func(now int64, err error)) {
	op := s.newOp()
	s.emit(WriteEpoch{Op: op, Which: which, Value: v})
	gen := s.gen
	s.afterDisk(op, func(now int64, err error) {
		if err == nil {
			if which == AcceptedEpochFile {
				s.acceptedEpoch = v
			} else {
				s.currentEpoch = v
			}
		}
		if s.gen == gen {
			then(now, err)
		}
	})
}

func (s *Server) setTimer(id TimerID, at int64) { s.emit(SetTimer{ID: id, At: at}) }

func (s *Server) exit(code int, reason string) {
	if s.exited {
		return
	}
	s.exited = true
	s.emit(Exit{Code: code, Reason: reason})
}

func (s *Server) send(conn ConnID, pkt QuorumPacket) {
	s.emit(Send{Conn: conn, Msg: pkt, SizeBytes: pkt.Size()})
}

// --- inputs ---

// Start begins the QuorumPeer loop: the server goes LOOKING.
func (s *Server) Start(now int64) []Effect {
	s.startedNs = now
	s.sess.initNextID(s.id, now)
	s.startLooking(now, "started")
	return s.flush()
}

// OnTimer delivers a timer set with SetTimer.
func (s *Server) OnTimer(now int64, id TimerID) []Effect {
	if s.exited {
		return nil
	}
	switch id {
	case timerElection:
		s.electionTimer(now)
	case timerLeaderTick:
		s.leaderTick(now)
	case timerLeaderPhase:
		s.leaderPhaseTimeout(now)
	case timerFollowerRead:
		s.followerReadTimer(now)
	case timerFollowerConnect:
		s.followerConnectTimer(now)
	case timerSessionExpiry:
		s.sessionExpiryTimer(now)
	case timerElectionConnect:
		s.electionConnectTimer(now)
	}
	s.checkNoRearmAtNow(now, id)
	return s.flush()
}

// checkNoRearmAtNow panics if handling timer id set the same timer again at or before now:
// the harness would fire it again at once with the same clock reading, and the server
// would loop forever without virtual time moving (an event storm).
func (s *Server) checkNoRearmAtNow(now int64, id TimerID) {
	for _, e := range s.out {
		if t, ok := e.(SetTimer); ok && t.ID == id && t.At <= now {
			panic(fmt.Sprintf("zab: server %d: timer %d re-armed at %d by its own firing at %d", s.id, id, t.At, now))
		}
	}
}

// OnPeerConnected reports a new peer connection to or from server peer.
func (s *Server) OnPeerConnected(now int64, conn ConnID, peer int64, ch Channel, dialed bool) []Effect {
	if s.exited {
		return nil
	}
	s.peers[conn] = peerConn{sid: peer, ch: ch, dialed: dialed}
	if ch == Election {
		s.electionPeerUp(now, conn, peer, dialed)
	} else {
		s.quorumConnected(now, conn, peer, dialed)
	}
	return s.flush()
}

// OnDialFailed reports that a Dial could not connect.
func (s *Server) OnDialFailed(now int64, peer int64, ch Channel) []Effect {
	if s.exited {
		return nil
	}
	if ch == Election {
		s.electionDialFailed(now, peer)
	} else if s.follow != nil && s.follow.leaderID == peer {
		s.followerDialFailed(now)
	}
	return s.flush()
}

// OnPeerMessage delivers a message received on a peer connection.
func (s *Server) OnPeerMessage(now int64, conn ConnID, msg any) []Effect {
	if s.exited {
		return nil
	}
	pc, ok := s.peers[conn]
	if !ok {
		return nil
	}
	if pc.ch == Election {
		s.electionMessage(now, conn, pc.sid, msg)
		return s.flush()
	}
	pkt, ok := msg.(QuorumPacket)
	if !ok {
		if b, isBytes := msg.([]byte); isBytes {
			var err error
			if pkt, err = DecodeQuorumPacket(b); err != nil {
				s.quorumProtocolError(now, conn, err.Error())
				return s.flush()
			}
		} else {
			s.quorumProtocolError(now, conn, "unexpected message type on quorum channel")
			return s.flush()
		}
	}
	if s.lead != nil {
		s.leaderReceive(now, conn, pkt)
	} else if s.follow != nil && s.follow.conn == conn {
		s.followerReceive(now, pkt)
	}
	return s.flush()
}

// OnPeerClosed reports that a peer connection broke (or the peer closed it).
func (s *Server) OnPeerClosed(now int64, conn ConnID) []Effect {
	if s.exited {
		return nil
	}
	pc, ok := s.peers[conn]
	if !ok {
		return nil
	}
	delete(s.peers, conn)
	if pc.ch == Election {
		s.electionPeerDown(now, conn, pc.sid)
	} else if s.lead != nil {
		s.dropLearner(now, conn, "connection closed")
	} else if s.follow != nil && s.follow.conn == conn {
		s.followerConnClosed(now)
	}
	return s.flush()
}

func (s *Server) closePeer(conn ConnID) {
	if _, ok := s.peers[conn]; ok {
		delete(s.peers, conn)
		s.emit(CloseConn{Conn: conn})
	}
}

func (s *Server) quorumProtocolError(now int64, conn ConnID, why string) {
	if s.lead != nil {
		s.dropLearner(now, conn, why)
	} else if s.follow != nil && s.follow.conn == conn {
		s.followerLost(now, why)
	} else {
		s.closePeer(conn)
	}
}

// OnDiskDone reports the completion of a disk effect (AppendTxns, RollAndSnapshot,
// WriteEpoch).
func (s *Server) OnDiskDone(now int64, op OpID, err error) []Effect {
	if s.exited {
		return nil
	}
	if then, ok := s.diskWait[op]; ok {
		delete(s.diskWait, op)
		then(now, err)
	}
	return s.flush()
}

// OnReloaded reports the completion of a Truncate or Reload effect with the reloaded
// database.
func (s *Server) OnReloaded(now int64, op OpID, rec Recovered, err error) []Effect {
	if s.exited {
		return nil
	}
	if then, ok := s.reloadWait[op]; ok {
		delete(s.reloadWait, op)
		then(now, rec, err)
	}
	return s.flush()
}

// --- mode changes ---

// leaveRole ends the current LEADING/FOLLOWING role: connections closed, timers cancelled,
// the database fast-forwarded to everything logged (ZK-2845) unless skipFastForward.
func (s *Server) leaveRole(now int64, fastForward bool) {
	s.gen++
	s.dropLogCallbacks()
	if s.lead != nil {
		s.endLeading(now)
	}
	if s.follow != nil {
		s.endFollowing(now)
	}
	if fastForward {
		s.fastForward(now)
	}
	s.disconnectClients(now)
}

// fastForward makes memory equal to everything handed to the log: queued txns are flushed
// and every pending txn is applied (fastForwardDataBase).
func (s *Server) fastForward(now int64) {
	s.flushAllLog()
	s.freezeSnapshots()
	applied := false
	for _, p := range s.db.unapplied() {
		if p.Zxid <= s.log.appendedMax {
			s.applyLogged(now, p)
			applied = true
		}
	}
	s.db.pending = nil
	if applied {
		s.emit(FastForwarded{Zxid: s.db.lastProcessed, Digest: s.db.tree.Digest()})
	}
}

// freezeSnapshots gives every snapshot emitted in this input, and not yet written, a copy
// of the tree as it stands now. The harness serializes a snapshot's tree when it executes
// the effect, after this input; without the copy a snapshot triggered by the final log
// flush of a fast-forward would also hold the txns fast-forwarded after it — txns that
// may never commit — under a name (zxid) that says they are not in it, and a later TRUNC
// reload from it would keep them.
func (s *Server) freezeSnapshots() {
	for i, e := range s.out {
		if rs, ok := e.(RollAndSnapshot); ok && rs.Tree == s.db.tree {
			rs.Tree = s.db.tree.Clone()
			s.out[i] = rs
		}
	}
}

func (s *Server) setMode(m Mode, leader int64) { s.setModeWhy(m, leader, "elected") }

func (s *Server) setModeWhy(m Mode, leader int64, why string) {
	s.mode = m
	s.emit(ModeChanged{Mode: m, Leader: leader, Epoch: s.currentEpoch, Reason: why})
}

func paramsFrom(cfg *Config) (params, error) {
	if cfg == nil {
		return params{}, errorf("nil config")
	}
	if cfg.TickTimeMs <= 0 || cfg.InitLimit <= 0 || cfg.SyncLimit <= 0 {
		return params{}, errorf("config needs positive tickTime, initLimit and syncLimit (got %d, %d, %d)",
			cfg.TickTimeMs, cfg.InitLimit, cfg.SyncLimit)
	}
	p := params{tickNs: int64(cfg.TickTimeMs) * 1e6, initLimit: int64(cfg.InitLimit),
		syncLimit: int64(cfg.SyncLimit), snapCount: max(cfg.SnapCount, 2),
		minSessionTimeoutMs: int32(cfg.MinSessionTimeoutMs), maxSessionTimeoutMs: int32(cfg.MaxSessionTimeoutMs),
		voters:                    cfg.Voters(),
		electionMinNotificationMs: int64(cfg.ElectionMinNotificationIntervalMs),
		electionMaxNotificationMs: int64(cfg.ElectionMaxNotificationIntervalMs),
		electionConnectTimeoutMs:  int64(cfg.ElectionConnectTimeoutMs)}
	for _, a := range cfg.Servers {
		if a.Role == ObserverRole {
			p.observers = append(p.observers, a.ID)
		}
	}
	if p.minSessionTimeoutMs <= 0 {
		p.minSessionTimeoutMs = int32(2 * cfg.TickTimeMs)
	}
	if p.maxSessionTimeoutMs <= 0 {
		p.maxSessionTimeoutMs = int32(20 * cfg.TickTimeMs)
	}
	if len(p.voters) == 0 {
		return params{}, errorf("config has no participants")
	}
	return p, nil
}
