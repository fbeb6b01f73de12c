package zab

import (
	"fmt"
	"slices"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/jute"
)

type leaderPhase int

const (
	phaseEpoch     leaderPhase = iota // waiting for a quorum of FOLLOWERINFO (getEpochToPropose)
	phaseAckEpoch                     // waiting for a quorum of ACKEPOCH (waitForEpochAck)
	phaseNewLeader                    // waiting for a quorum of NEWLEADER ACKs
	phaseBroadcast                    // established: serving
)

type learnerStage int

const (
	stageInfo      learnerStage = iota // waiting for FOLLOWERINFO
	stageWaitEpoch                     // got FOLLOWERINFO, epoch not yet decided
	stageEpochSent                     // LEADERINFO sent, waiting for ACKEPOCH
	stageAckEpoch                      // ACKEPOCH received, waiting for the ACKEPOCH quorum
	stageNewLeader                     // sync + NEWLEADER sent, waiting for its ACK
	stageStartup                       // NEWLEADER ACKed, waiting for the leader to start
	stageUpToDate                      // UPTODATE sent: broadcast
)

// learnerHandler is the leader's view of one learner connection (LearnerHandler).
type learnerHandler struct {
	conn          ConnID
	sid           int64
	stage         learnerStage
	acceptedEpoch int64
	peerLastZxid  int64
	deadlineTick  int64
	forwarding    bool
	syncMode      SyncMode
	unacked       []sentProposal // for the proposal-ack timeout (SyncLimitCheck)
}

type sentProposal struct {
	zxid   int64
	sentNs int64
}

// outstanding is a proposed, not yet committed txn on the leader.
type outstanding struct {
	e    *entry
	acks map[int64]bool
}

type leader struct {
	epoch         int64 // -1 until decided
	phase         leaderPhase
	connecting    map[int64]int64 // sid -> acceptedEpoch (FOLLOWERINFO), incl. the leader
	epochAcks     map[int64]bool
	newLeaderAcks map[int64]bool
	learners      map[ConnID]*learnerHandler
	tick          int64
	tickSkip      bool
	outstanding   []*outstanding
	lastProposed  int64
	lastCommitted int64
	syncWaiters   map[int64][]syncWaiter // zxid -> syncs answered when it commits
	prepper       *datatree.Prepper
	prepSessions  *prepSessions
}

type syncWaiter struct {
	learner ConnID // 0: a local client
	req     *pendingRequest
}

func (s *Server) startLeading(now int64) {
	s.setMode(Leading, s.id)
	l := &leader{epoch: -1, connecting: map[int64]int64{s.id: s.acceptedEpoch},
		epochAcks: map[int64]bool{}, newLeaderAcks: map[int64]bool{},
		learners: map[ConnID]*learnerHandler{}, syncWaiters: map[int64][]syncWaiter{}}
	s.lead = l
	s.sess.initNextID(s.id, now) // a new ZooKeeperServer: a new session tracker
	// zk.loadData(): a leader snapshots its database when it starts leading.
	s.snapshot(false)
	s.setTimer(timerLeaderPhase, now+s.p.initLimit*s.p.tickNs)
	s.tryDecideEpoch(now)
}

func (s *Server) sortedLearners() []*learnerHandler {
	ls := make([]*learnerHandler, 0, len(s.lead.learners))
	for _, l := range s.lead.learners { //det:unordered-ok sorted below
		ls = append(ls, l)
	}
	slices.SortFunc(ls, func(a, b *learnerHandler) int { return int(a.conn - b.conn) })
	return ls
}

func (s *Server) leaderAccept(now int64, conn ConnID) {
	l := s.lead
	l.learners[conn] = &learnerHandler{conn: conn, sid: -1,
		deadlineTick: l.tick + s.p.initLimit + s.p.syncLimit}
}

func (s *Server) dropLearner(now int64, conn ConnID, why string) {
	if s.lead == nil {
		return
	}
	delete(s.lead.learners, conn)
	s.closePeer(conn)
}

// leaderReceive handles one packet from a learner.
func (s *Server) leaderReceive(now int64, conn ConnID, pkt QuorumPacket) {
	l := s.lead
	h := l.learners[conn]
	if h == nil {
		return
	}
	h.deadlineTick = l.tick + s.p.syncLimit
	switch h.stage {
	case stageInfo:
		s.onFollowerInfo(now, h, pkt)
	case stageEpochSent:
		s.onAckEpoch(now, h, pkt)
	case stageNewLeader:
		s.onNewLeaderAck(now, h, pkt)
	case stageStartup, stageUpToDate:
		s.onLearnerBroadcast(now, h, pkt)
	default:
		s.dropLearner(now, conn, fmt.Sprintf("unexpected %v in stage %d", pkt.Type, h.stage))
	}
}

func (s *Server) onFollowerInfo(now int64, h *learnerHandler, pkt QuorumPacket) {
	if pkt.Type != PacketFollowerInfo {
		s.dropLearner(now, h.conn, "first packet is not FOLLOWERINFO")
		return
	}
	d := jute.NewDecoder(pkt.Data, 0)
	sid := d.Long("LearnerInfo.serverid")
	if d.Err() != nil || !s.p.isVoter(sid) || sid == s.id {
		s.dropLearner(now, h.conn, "bad FOLLOWERINFO")
		return
	}
	h.sid = sid
	h.acceptedEpoch = epochOf(pkt.Zxid)
	h.stage = stageWaitEpoch
	if s.lead.epoch < 0 {
		s.lead.connecting[sid] = h.acceptedEpoch
		s.tryDecideEpoch(now)
		return
	}
	if s.lead.phase > phaseEpoch {
		s.sendLeaderInfo(h)
	}
}

// tryDecideEpoch: once the leader and a quorum sent their acceptedEpoch, the new epoch is
// max(acceptedEpoch)+1; the leader persists it as acceptedEpoch before telling anyone.
func (s *Server) tryDecideEpoch(now int64) {
	l := s.lead
	if l.epoch >= 0 || !s.p.quorum(len(l.connecting)) {
		return
	}
	epoch := int64(0)
	for _, acc := range l.connecting { //det:unordered-ok max is order-independent
		epoch = max(epoch, acc+1)
	}
	if s.opts.Variant == BugNoEpochCheck {
		epoch = max(1, epoch-1) // the mutant: the highest accepted epoch, not a new one
	}
	l.epoch = epoch
	s.writeEpoch(AcceptedEpochFile, epoch, func(now int64, err error) {
		if err != nil {
			s.leaderShutdown(now, "cannot write acceptedEpoch: "+err.Error())
			return
		}
		l.phase = phaseAckEpoch
		l.lastProposed = makeZxid(epoch, 0)
		l.lastCommitted = l.lastProposed
		s.setTimer(timerLeaderPhase, now+s.p.initLimit*s.p.tickNs)
		for _, h := range s.sortedLearners() {
			if h.stage == stageWaitEpoch {
				s.sendLeaderInfo(h)
			}
		}
		l.epochAcks[s.id] = true
		s.checkEpochAckQuorum(now)
	})
}

func (s *Server) sendLeaderInfo(h *learnerHandler) {
	h.stage = stageEpochSent
	s.send(h.conn, QuorumPacket{Type: PacketLeaderInfo, Zxid: makeZxid(s.lead.epoch, 0), Data: intBytes(0x10000)})
}

func (s *Server) onAckEpoch(now int64, h *learnerHandler, pkt QuorumPacket) {
	if pkt.Type != PacketAckEpoch {
		s.dropLearner(now, h.conn, "expected ACKEPOCH")
		return
	}
	peerCurrentEpoch, err := decodeInt(pkt.Data, "ACKEPOCH.currentEpoch")
	if err != nil {
		s.dropLearner(now, h.conn, err.Error())
		return
	}
	h.peerLastZxid = pkt.Zxid
	h.stage = stageAckEpoch
	l := s.lead
	if peerCurrentEpoch == -1 && s.opts.Variant == BugNoEpochCheck && l.phase == phaseAckEpoch {
		l.epochAcks[h.sid] = true // the mutant: a learner already in this epoch counts too
	}
	if peerCurrentEpoch != -1 {
		ahead := int64(peerCurrentEpoch) > s.currentEpoch ||
			(int64(peerCurrentEpoch) == s.currentEpoch && pkt.Zxid > s.db.lastProcessed)
		if ahead {
			s.dropLearner(now, h.conn, "Follower is ahead of the leader")
			return
		}
		if l.phase == phaseAckEpoch {
			l.epochAcks[h.sid] = true
		}
	}
	if l.phase >= phaseNewLeader {
		s.syncLearner(now, h)
		return
	}
	s.checkEpochAckQuorum(now)
}

// checkEpochAckQuorum: with a quorum of ACKEPOCH the leader writes currentEpoch and every
// waiting learner is synchronized.
func (s *Server) checkEpochAckQuorum(now int64) {
	l := s.lead
	if l.phase != phaseAckEpoch || !s.p.quorum(len(l.epochAcks)) {
		return
	}
	l.phase = phaseNewLeader
	s.setTimer(timerLeaderPhase, now+s.p.initLimit*s.p.tickNs)
	s.writeEpoch(CurrentEpochFile, l.epoch, func(now int64, err error) {
		if err != nil {
			s.leaderShutdown(now, "cannot write currentEpoch: "+err.Error())
			return
		}
		l.newLeaderAcks[s.id] = true
		s.checkEstablished(now)
	})
	for _, h := range s.sortedLearners() {
		if h.stage == stageAckEpoch {
			s.syncLearner(now, h)
		}
	}
}

// syncLearner queues the sync stream (DIFF/TRUNC/SNAP + committed proposals), starts
// forwarding (outstanding proposals after it) and queues NEWLEADER after it (ZK-3104).
func (s *Server) syncLearner(now int64, h *learnerHandler) {
	plan := planSync(h.peerLastZxid, s.db.lastProcessed, s.db.committed())
	h.syncMode = plan.mode
	switch plan.mode {
	case SyncSnap:
		s.send(h.conn, QuorumPacket{Type: PacketSnap, Zxid: plan.opZxid, Data: s.snapPayload()})
	default:
		typ := PacketDiff
		if plan.mode == SyncTrunc {
			typ = PacketTrunc
		}
		s.send(h.conn, QuorumPacket{Type: typ, Zxid: plan.opZxid})
		for _, p := range plan.send {
			s.send(h.conn, QuorumPacket{Type: PacketProposal, Zxid: p.Zxid, Data: p.Body})
			s.send(h.conn, QuorumPacket{Type: PacketCommit, Zxid: p.Zxid})
		}
	}
	// startForwarding: outstanding proposals after what the learner will have.
	for _, o := range s.lead.outstanding {
		if o.e.Zxid > plan.lastQueued {
			s.send(h.conn, QuorumPacket{Type: PacketProposal, Zxid: o.e.Zxid, Data: o.e.Body})
			h.unacked = append(h.unacked, sentProposal{zxid: o.e.Zxid, sentNs: now})
		}
	}
	h.forwarding = true
	h.stage = stageNewLeader
	s.send(h.conn, QuorumPacket{Type: PacketNewLeader, Zxid: makeZxid(s.lead.epoch, 0)})
}

func (s *Server) onNewLeaderAck(now int64, h *learnerHandler, pkt QuorumPacket) {
	if pkt.Type != PacketAck {
		// "Next packet was supposed to be an ACK": the handler quits (ZK-4685's symptom).
		s.dropLearner(now, h.conn, "next packet was supposed to be an ACK, got "+pkt.Type.String())
		return
	}
	l := s.lead
	if pkt.Zxid == makeZxid(l.epoch, 0) && l.phase == phaseNewLeader {
		l.newLeaderAcks[h.sid] = true
	}
	h.stage = stageStartup
	if l.phase == phaseBroadcast {
		s.sendUpToDate(h)
		return
	}
	s.checkEstablished(now)
}

func (s *Server) sendUpToDate(h *learnerHandler) {
	h.stage = stageUpToDate
	s.send(h.conn, QuorumPacket{Type: PacketUpToDate, Zxid: -1})
}

// checkEstablished: a quorum acked NEWLEADER (the leader counts itself once currentEpoch
// is durable) — the leader starts serving (startZkServer).
func (s *Server) checkEstablished(now int64) {
	l := s.lead
	if l.phase != phaseNewLeader || !l.newLeaderAcks[s.id] || !s.p.quorum(len(l.newLeaderAcks)) {
		return
	}
	l.phase = phaseBroadcast
	s.emit(CancelTimer{ID: timerLeaderPhase})
	s.db.lastProcessed = makeZxid(l.epoch, 0)
	s.emit(Established{Epoch: l.epoch, Leader: s.id})
	s.updateElectionVote(now)
	s.leaderStartSessions(now)
	l.tickSkip = true
	s.setTimer(timerLeaderTick, now+s.p.tickNs/2)
	for _, h := range s.sortedLearners() {
		if h.stage == stageStartup {
			s.sendUpToDate(h)
		}
	}
}

func (s *Server) leaderPhaseTimeout(now int64) {
	if s.lead == nil || s.lead.phase == phaseBroadcast {
		return
	}
	why := [...]string{"Timeout while waiting for epoch from quorum",
		"Timeout while waiting for epoch to be acked by quorum",
		"Waiting for a quorum of followers timed out"}[s.lead.phase]
	s.leaderShutdown(now, why)
}

// leaderTick runs every tickTime/2: pings and, once per tick, the quorum-synced check.
func (s *Server) leaderTick(now int64) {
	l := s.lead
	if l == nil || l.phase != phaseBroadcast {
		return
	}
	if !l.tickSkip {
		l.tick++
	}
	synced := map[int64]bool{s.id: true} // a sid counts once, however many handlers it has
	for _, h := range s.sortedLearners() {
		// LearnerHandler.synced(): alive and not past its ACK deadline.
		if h.sid >= 0 && l.tick <= h.deadlineTick && s.p.isVoter(h.sid) {
			synced[h.sid] = true
		}
	}
	if !l.tickSkip && !s.p.quorum(len(synced)) {
		s.leaderShutdown(now, "Not sufficient followers synced")
		return
	}
	l.tickSkip = !l.tickSkip
	for _, h := range s.sortedLearners() {
		s.pingLearner(now, h)
	}
	s.setTimer(timerLeaderTick, now+s.p.tickNs/2)
}

// pingLearner sends PING unless the learner's oldest un-ACKed proposal is older than
// syncLimit ticks, in which case it is dropped (SyncLimitCheck).
func (s *Server) pingLearner(now int64, h *learnerHandler) {
	if h.stage < stageNewLeader {
		return
	}
	if len(h.unacked) > 0 && now-h.unacked[0].sentNs > s.p.syncLimit*s.p.tickNs {
		s.dropLearner(now, h.conn, "Closing connection to peer due to transaction timeout")
		return
	}
	s.send(h.conn, QuorumPacket{Type: PacketPing, Zxid: s.lead.lastProposed})
}

func (s *Server) onLearnerBroadcast(now int64, h *learnerHandler, pkt QuorumPacket) {
	switch pkt.Type {
	case PacketAck:
		for len(h.unacked) > 0 && h.unacked[0].zxid <= pkt.Zxid {
			h.unacked = h.unacked[1:]
		}
		s.processAck(now, h.sid, pkt.Zxid)
	case PacketPing:
		s.touchFromPing(now, pkt.Data)
	case PacketRequest:
		s.leaderRequestFromLearner(now, h, pkt.Data)
	case PacketRevalidate:
		s.leaderRevalidate(now, h, pkt.Data)
	default:
		s.dropLearner(now, h.conn, "unexpected packet "+pkt.Type.String())
	}
}

// propose sends a prepared txn to the forwarding learners and logs it locally; the
// leader's own ACK is processed when its fsync completes.
func (s *Server) propose(now int64, e *entry) {
	l := s.lead
	l.outstanding = append(l.outstanding, &outstanding{e: e, acks: map[int64]bool{}})
	l.lastProposed = e.Zxid
	s.db.pending = append(s.db.pending, e)
	for _, h := range s.sortedLearners() {
		if h.forwarding {
			s.send(h.conn, QuorumPacket{Type: PacketProposal, Zxid: e.Zxid, Data: e.Body})
			h.unacked = append(h.unacked, sentProposal{zxid: e.Zxid, sentNs: now})
		}
	}
	gen, zxid := s.gen, e.Zxid
	if s.opts.Variant == BugAckBeforeFsync {
		s.logTxn(e.Proposal, nil)
		s.processAck(now, s.id, zxid) // the mutant: the leader's own ACK before its fsync
		return
	}
	s.logTxn(e.Proposal, func(now int64) {
		if s.gen == gen {
			s.processAck(now, s.id, zxid)
		}
	})
}

// processAck counts an ACK and commits, strictly in zxid order, every head proposal that
// has a quorum (the leader's own ACK is not required).
func (s *Server) processAck(now int64, sid int64, zxid int64) {
	l := s.lead
	if l == nil || isNewEpochZxid(zxid) || zxid <= l.lastCommitted {
		return
	}
	for _, o := range l.outstanding {
		if o.e.Zxid == zxid {
			o.acks[sid] = true
			break
		}
	}
	for len(l.outstanding) > 0 && s.p.quorum(len(l.outstanding[0].acks)) {
		o := l.outstanding[0]
		l.outstanding = l.outstanding[1:]
		s.leaderCommit(now, o.e)
	}
}

func (s *Server) leaderCommit(now int64, e *entry) {
	l := s.lead
	l.lastCommitted = e.Zxid
	for _, h := range s.sortedLearners() {
		if h.forwarding {
			s.send(h.conn, QuorumPacket{Type: PacketCommit, Zxid: e.Zxid})
		}
	}
	s.applyPending(now, e.Zxid)
	if l.prepper != nil {
		l.prepper.Applied(e.Zxid)
	}
	waiters := l.syncWaiters[e.Zxid]
	delete(l.syncWaiters, e.Zxid)
	for _, w := range waiters {
		s.answerSync(now, w)
	}
}

// leaderShutdown: the leader gives up (quorum lost, timeout, rollover) and goes LOOKING.
func (s *Server) leaderShutdown(now int64, why string) {
	if s.lead == nil {
		return
	}
	s.leaveRole(now, true)
	s.startLooking(now, why)
}

func (s *Server) endLeading(now int64) {
	for _, h := range s.sortedLearners() {
		s.closePeer(h.conn)
	}
	s.lead = nil
	s.emit(CancelTimer{ID: timerLeaderTick})
	s.emit(CancelTimer{ID: timerLeaderPhase})
	s.emit(CancelTimer{ID: timerSessionExpiry})
	s.sess.stopTracking()
}
