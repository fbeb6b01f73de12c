package zab

import (
	"fmt"

	"github.com/zabsim/zabsim/internal/jute"
)

type followerPhase int

const (
	fConnecting     followerPhase = iota // dialing the leader
	fDiscovery                           // FOLLOWERINFO sent, waiting for LEADERINFO
	fSyncStart                           // ACKEPOCH sent, waiting for DIFF/TRUNC/SNAP
	fSyncing                             // in sync, before NEWLEADER
	fAfterNewLeader                      // NEWLEADER ACKed, waiting for UPTODATE
	fBroadcast                           // serving
)

// follower is the Learner/Follower state of one attempt to follow a leader.
type follower struct {
	leaderID       int64
	conn           ConnID // 0 until connected
	phase          followerPhase
	connectTries   int
	connectStartNs int64
	lastRxNs       int64
	readTimeoutNs  int64
	newEpoch       int64
	syncMode       SyncMode // reset to NONE at NEWLEADER (the ZK-3642 rule reads it)
	syncKind       SyncMode // how this sync started, for the Synced observation
	snapshotNeeded bool
	notCommitted   []*entry // packetsNotCommitted
	committed      []int64  // packetsCommitted
	ackAfterUpTo   []int64  // 3.8.5: proposal ACKs that leave after UPTODATE
	busy           bool     // a synchronous disk step of the QuorumPeer thread is running
	buffered       []QuorumPacket
	// lostWhy is set when the connection broke (or timed out) during a synchronous step:
	// the QuorumPeer thread only notices once the step is over.
	lostWhy string
	// heardFromLeader is set by the first packet from the leader.
	heardFromLeader bool
	pendingSyncs    []*pendingRequest
	// revalidating maps a session id to the client connection waiting for REVALIDATE.
	revalidating map[int64]ConnID
}

const (
	learnerProtocolVersion = 0x10000
	maxConnectTries        = 5
	connectRetryNs         = 100 * 1e6
)

func (s *Server) startFollowing(now int64, leaderID int64) {
	s.setMode(Following, leaderID)
	s.follow = &follower{leaderID: leaderID, connectStartNs: now, lastRxNs: now,
		readTimeoutNs: s.p.initLimit * s.p.tickNs, revalidating: map[int64]ConnID{}}
	s.sess.initNextID(s.id, now) // a new ZooKeeperServer: a new session tracker
	s.dialLeader(now)
}

func (s *Server) dialLeader(now int64) {
	s.follow.connectTries++
	s.emit(Dial{Peer: s.follow.leaderID, Channel: Quorum})
}

func (s *Server) followerDialFailed(now int64) {
	f := s.follow
	if f.conn != 0 || f.phase != fConnecting {
		return
	}
	if f.connectTries >= maxConnectTries || now+connectRetryNs-f.connectStartNs > s.p.initLimit*s.p.tickNs {
		s.followerLost(now, "failed to connect to leader")
		return
	}
	s.setTimer(timerFollowerConnect, now+connectRetryNs)
}

// followerConnClosed: a connection closed before the leader sent anything is a refused
// connect (the peer is not leading yet: no quorum listener), retried like a failed dial;
// afterwards it ends this attempt to follow.
func (s *Server) followerConnClosed(now int64) {
	f := s.follow
	if f.phase == fDiscovery && !f.heardFromLeader {
		f.conn = 0
		f.phase = fConnecting
		s.emit(CancelTimer{ID: timerFollowerRead})
		s.followerDialFailed(now)
		return
	}
	s.followerLost(now, "connection to leader closed")
}

func (s *Server) followerConnectTimer(now int64) {
	if s.follow != nil && s.follow.phase == fConnecting && s.follow.conn == 0 {
		s.dialLeader(now)
	}
}

// quorumConnected handles a new quorum-channel connection.
func (s *Server) quorumConnected(now int64, conn ConnID, peer int64, dialed bool) {
	switch {
	case dialed && s.follow != nil && s.follow.conn == 0 && peer == s.follow.leaderID:
		f := s.follow
		f.conn = conn
		f.phase = fDiscovery
		f.lastRxNs = now
		var e jute.Encoder
		e.Long(s.id)
		e.Int(learnerProtocolVersion)
		e.Long(0) // configVersion
		s.send(conn, QuorumPacket{Type: PacketFollowerInfo, Zxid: makeZxid(s.acceptedEpoch, 0), Data: e.Bytes()})
		s.setTimer(timerFollowerRead, now+f.readTimeoutNs)
	case !dialed && s.lead != nil:
		s.leaderAccept(now, conn)
	default:
		s.closePeer(conn)
	}
}

func (s *Server) followerReadTimer(now int64) {
	f := s.follow
	if f == nil || f.conn == 0 {
		return
	}
	if now-f.lastRxNs >= f.readTimeoutNs {
		s.followerLost(now, "Read timed out")
		return
	}
	s.setTimer(timerFollowerRead, f.lastRxNs+f.readTimeoutNs)
}

func (s *Server) followerReceive(now int64, pkt QuorumPacket) {
	f := s.follow
	f.lastRxNs = now
	f.heardFromLeader = true
	if f.busy {
		f.buffered = append(f.buffered, pkt)
		return
	}
	s.followerHandle(now, pkt)
}

// drainBuffered replays packets that arrived while a synchronous disk step ran.
func (s *Server) drainBuffered(now int64) {
	f := s.follow
	for f != nil && !f.busy && len(f.buffered) > 0 {
		pkt := f.buffered[0]
		f.buffered = f.buffered[1:]
		s.followerHandle(now, pkt)
		f = s.follow
	}
}

func (s *Server) followerHandle(now int64, pkt QuorumPacket) {
	f := s.follow
	switch f.phase {
	case fDiscovery:
		s.onLeaderInfo(now, pkt)
	case fSyncStart:
		s.onSyncStart(now, pkt)
	case fSyncing, fAfterNewLeader:
		s.onSyncPacket(now, pkt)
	case fBroadcast:
		s.onFollowerBroadcast(now, pkt)
	}
}

// blockOn marks the QuorumPeer thread busy until then runs (packets are buffered meanwhile).
func (s *Server) blockOn(then func(now int64, err error)) func(now int64, err error) {
	s.follow.busy = true
	f := s.follow
	return func(now int64, err error) {
		if s.follow != f {
			return
		}
		f.busy = false
		then(now, err)
		if s.follow == f && f.lostWhy != "" {
			s.followerLost(now, f.lostWhy)
			return
		}
		s.drainBuffered(now)
	}
}

func (s *Server) onLeaderInfo(now int64, pkt QuorumPacket) {
	f := s.follow
	if pkt.Type != PacketLeaderInfo {
		s.followerLost(now, "first packet from leader is not LEADERINFO: "+pkt.Type.String())
		return
	}
	newEpoch := epochOf(pkt.Zxid)
	f.newEpoch = newEpoch
	switch {
	case newEpoch > s.acceptedEpoch:
		oldCurrent := s.currentEpoch
		s.writeEpoch(AcceptedEpochFile, newEpoch, s.blockOn(func(now int64, err error) {
			if err != nil {
				s.followerLost(now, "cannot write acceptedEpoch: "+err.Error())
				return
			}
			s.sendAckEpoch(int32(oldCurrent))
		}))
	case newEpoch == s.acceptedEpoch:
		s.sendAckEpoch(-1)
	default:
		s.followerLost(now, fmt.Sprintf("Leaders epoch, %d is less than accepted epoch, %d", newEpoch, s.acceptedEpoch))
	}
}

func (s *Server) sendAckEpoch(currentEpoch int32) {
	s.follow.phase = fSyncStart
	s.send(s.follow.conn, QuorumPacket{Type: PacketAckEpoch, Zxid: s.db.lastProcessed, Data: intBytes(currentEpoch)})
}

// onSyncStart handles the first sync packet: DIFF, TRUNC or SNAP.
func (s *Server) onSyncStart(now int64, pkt QuorumPacket) {
	f := s.follow
	f.phase = fSyncing
	defer func() { f.syncKind = f.syncMode }()
	switch pkt.Type {
	case PacketDiff:
		f.syncMode = SyncDiff
	case PacketSnap:
		f.syncMode = SyncSnap
		if err := s.installSnapPayload(pkt.Data, pkt.Zxid); err != nil {
			s.exit(ExitQuorumPacketError, "cannot install SNAP from leader: "+err.Error())
			return
		}
		f.snapshotNeeded = true
	case PacketTrunc:
		if s.opts.Variant == BugSkipTrunc {
			f.syncMode = SyncDiff // the mutant: TRUNC ignored, log and tree kept
			return
		}
		f.syncMode = SyncTrunc
		f.snapshotNeeded = true
		s.flushAllLog()
		op := s.newOp()
		s.emit(Truncate{Op: op, Zxid: pkt.Zxid})
		done := s.blockOn(func(now int64, err error) {})
		s.reloadWait[op] = func(now int64, rec Recovered, err error) {
			if err != nil || rec.Tree == nil {
				s.exit(ExitQuorumPacketError, fmt.Sprintf("Not able to truncate the log 0x%x", pkt.Zxid))
				return
			}
			s.install(rec)
			s.db.lastProcessed = pkt.Zxid
			done(now, nil)
		}
	default:
		s.followerLost(now, "Got unexpected packet from leader: "+pkt.Type.String())
	}
}

// onSyncPacket handles packets after the sync op and before UPTODATE.
func (s *Server) onSyncPacket(now int64, pkt QuorumPacket) {
	f := s.follow
	switch pkt.Type {
	case PacketProposal:
		e, err := decodeEntry(pkt.Zxid, pkt.Data)
		if err != nil {
			s.followerLost(now, err.Error())
			return
		}
		f.notCommitted = append(f.notCommitted, e)
	case PacketCommit:
		s.onSyncCommit(now, pkt.Zxid)
	case PacketNewLeader:
		if f.phase != fSyncing {
			s.followerLost(now, "second NEWLEADER")
			return
		}
		s.onNewLeader(now, pkt.Zxid)
	case PacketUpToDate:
		if f.phase != fAfterNewLeader {
			s.followerLost(now, "UPTODATE before NEWLEADER")
			return
		}
		s.onUpToDate(now)
	case PacketPing:
		s.followerPing(now, pkt)
	default:
		// ZooKeeper logs and ignores other packets during sync.
	}
}

func (s *Server) onSyncCommit(now int64, zxid int64) {
	f := s.follow
	if len(f.notCommitted) == 0 {
		if s.opts.Variant.release() != V3_9_3 {
			// ZK-4394: packetsNotCommitted.peekFirst() is null → NullPointerException.
			s.followerLost(now, "NullPointerException: COMMIT with no pending proposal during sync (ZK-4394)")
		}
		return
	}
	writeToTxnLog := !f.snapshotNeeded || f.phase == fAfterNewLeader
	if writeToTxnLog {
		f.committed = append(f.committed, zxid)
		return
	}
	head := f.notCommitted[0]
	if head.Zxid != zxid {
		return // "Committing X, but next proposal is Y": warned and ignored
	}
	f.notCommitted = f.notCommitted[1:]
	s.applyEntry(now, head)
}

// onNewLeader runs the variant's NEWLEADER sequence; every disk step is synchronous on the
// QuorumPeer thread (packets are buffered meanwhile) except the 3.8.0 proposal logging.
func (s *Server) onNewLeader(now int64, newLeaderZxid int64) {
	f := s.follow
	steps := []func(now int64, next func(now int64)){}
	if f.snapshotNeeded {
		syncSnap := f.syncMode == SyncSnap
		steps = append(steps, func(now int64, next func(now int64)) { s.snapshotThen(syncSnap, next) })
	}
	switch s.opts.Variant.release() {
	case V3_8_0:
		steps = append(steps, s.stepWriteCurrentEpoch, func(now int64, next func(now int64)) {
			s.logNotCommittedAsync()
			next(now)
		})
	case V3_8_5:
		steps = append(steps, s.stepPersistNotCommitted, s.stepWriteCurrentEpoch)
	default:
		steps = append(steps, s.stepPersistCommitted, s.stepWriteCurrentEpoch)
	}
	steps = append(steps, func(now int64, next func(now int64)) {
		f.readTimeoutNs = s.p.syncLimit * s.p.tickNs
		s.setTimer(timerFollowerRead, f.lastRxNs+f.readTimeoutNs)
		f.syncMode = SyncNone
		f.phase = fAfterNewLeader
		s.send(f.conn, QuorumPacket{Type: PacketAck, Zxid: newLeaderZxid})
		next(now)
	})
	s.runSteps(now, steps)
}

// runSteps runs steps in order; a step calls next when done (maybe from a disk completion).
func (s *Server) runSteps(now int64, steps []func(now int64, next func(now int64))) {
	if len(steps) == 0 {
		return
	}
	f := s.follow
	steps[0](now, func(now int64) {
		if s.follow == f {
			s.runSteps(now, steps[1:])
		}
	})
}

func (s *Server) snapshotThen(syncSnap bool, next func(now int64)) {
	op := s.snapshot(syncSnap)
	s.afterDiskBlocking(op, func(now int64) { next(now) })
}

// afterDiskBlocking waits (buffering packets) for op, chaining on any completion handler
// already registered for it.
func (s *Server) afterDiskBlocking(op OpID, next func(now int64)) {
	prev := s.diskWait[op]
	done := s.blockOn(func(now int64, err error) {
		if err == nil {
			next(now)
		}
	})
	s.diskWait[op] = func(now int64, err error) {
		if prev != nil {
			prev(now, err)
		}
		if !s.exited {
			done(now, err)
		}
	}
}

func (s *Server) stepWriteCurrentEpoch(now int64, next func(now int64)) {
	s.writeEpoch(CurrentEpochFile, s.follow.newEpoch, s.blockOn(func(now int64, err error) {
		if err != nil {
			s.followerLost(now, "cannot write currentEpoch: "+err.Error())
			return
		}
		next(now)
	}))
}

// logNotCommittedAsync (3.8.0): hand packetsNotCommitted to the asynchronous logger; each
// txn's ACK leaves after its fsync; the list is cleared.
func (s *Server) logNotCommittedAsync() {
	f := s.follow
	for _, e := range f.notCommitted {
		s.followerLogProposal(e, true)
	}
	f.notCommitted = nil
}

// stepPersistNotCommitted (3.8.5): append packetsNotCommitted and wait for the fsync; their
// ACKs leave after the UPTODATE ACK.
func (s *Server) stepPersistNotCommitted(now int64, next func(now int64)) {
	f := s.follow
	ents := f.notCommitted
	f.notCommitted = nil
	for _, e := range ents {
		s.followerLogProposal(e, false)
		f.ackAfterUpTo = append(f.ackAfterUpTo, e.Zxid)
	}
	s.waitLogged(now, next)
}

// stepPersistCommitted (3.9.3): apply and persist only the txns already committed; the
// outstanding ones stay pending until UPTODATE.
func (s *Server) stepPersistCommitted(now int64, next func(now int64)) {
	f := s.follow
	for len(f.committed) > 0 && len(f.notCommitted) > 0 && f.notCommitted[0].Zxid == f.committed[0] {
		e := f.notCommitted[0]
		f.notCommitted, f.committed = f.notCommitted[1:], f.committed[1:]
		s.logTxn(e.Proposal, nil)
		s.applyEntry(now, e)
	}
	s.waitLogged(now, next)
}

// waitLogged runs next once everything handed to the logger so far is durable.
func (s *Server) waitLogged(now int64, next func(now int64)) {
	s.flushAllLog()
	if s.log.inFlight == 0 && len(s.log.queued) == 0 {
		next(now)
		return
	}
	// The last emitted append covers everything; wait for the newest pending disk op.
	s.afterDiskBlocking(s.nextOp, next)
}

func (s *Server) onUpToDate(now int64) {
	f := s.follow
	f.phase = fBroadcast
	s.send(f.conn, QuorumPacket{Type: PacketAck, Zxid: makeZxid(f.newEpoch, 0)})
	for _, z := range f.ackAfterUpTo {
		s.send(f.conn, QuorumPacket{Type: PacketAck, Zxid: z})
	}
	f.ackAfterUpTo = nil
	s.emit(Synced{Epoch: f.newEpoch, Leader: f.leaderID, Mode: f.syncKind})
	s.updateElectionVote(now)
	for _, e := range f.notCommitted {
		s.followerLogProposal(e, true)
	}
	f.notCommitted = nil
	committed := f.committed
	f.committed = nil
	for _, z := range committed {
		if !s.followerCommit(now, z) {
			return
		}
	}
}

// followerLogProposal makes e a pending txn and logs it; with ack, its ACK leaves from the
// completion of the fsync covering it.
func (s *Server) followerLogProposal(e *entry, ack bool) {
	s.db.pending = append(s.db.pending, e)
	if !ack {
		s.logTxn(e.Proposal, nil)
		return
	}
	f, zxid := s.follow, e.Zxid
	if s.opts.Variant == BugAckBeforeFsync {
		s.logTxn(e.Proposal, nil)
		if f != nil && f.conn != 0 {
			s.send(f.conn, QuorumPacket{Type: PacketAck, Zxid: zxid}) // the mutant: before the fsync
		}
		return
	}
	s.logTxn(e.Proposal, func(now int64) {
		if s.follow == f && f.conn != 0 {
			s.send(f.conn, QuorumPacket{Type: PacketAck, Zxid: zxid})
		}
	})
}

// followerCommit applies the head pending txn; a COMMIT for anything else is fatal
// (System.exit(12)). It reports whether the server is still running.
func (s *Server) followerCommit(now int64, zxid int64) bool {
	if len(s.db.pending) == 0 {
		return true // "Committing ... without seeing txn": warned
	}
	if s.db.pending[0].Zxid != zxid {
		s.exit(ExitUnmatchedTxnCommit, fmt.Sprintf("Committing zxid 0x%x but next pending txn 0x%x", zxid, s.db.pending[0].Zxid))
		return false
	}
	s.applyPending(now, zxid)
	return true
}

func (s *Server) onFollowerBroadcast(now int64, pkt QuorumPacket) {
	switch pkt.Type {
	case PacketProposal:
		e, err := decodeEntry(pkt.Zxid, pkt.Data)
		if err != nil {
			s.followerLost(now, err.Error())
			return
		}
		s.followerLogProposal(e, true)
	case PacketCommit:
		s.followerCommit(now, pkt.Zxid)
	case PacketPing:
		s.followerPing(now, pkt)
	case PacketSync:
		s.followerSyncDone(now)
	case PacketRevalidate:
		s.followerRevalidated(now, pkt.Data)
	default:
		s.followerLost(now, "Unknown packet type: "+pkt.Type.String())
	}
}

// followerPing answers the leader's PING with the sessions touched since the last one.
func (s *Server) followerPing(now int64, pkt QuorumPacket) {
	var e jute.Encoder
	for _, t := range s.sess.takeTouched() {
		e.Long(t.id)
		e.Int(t.timeoutMs)
	}
	s.send(s.follow.conn, QuorumPacket{Type: PacketPing, Zxid: pkt.Zxid, Data: e.Bytes()})
}

// followerLost ends this attempt to follow: back to LOOKING. After a SNAP that was not yet
// confirmed by NEWLEADER the database is reloaded from disk (ZK-3642), otherwise it is
// fast-forwarded to everything logged (ZK-2845).
func (s *Server) followerLost(now int64, why string) {
	if s.follow == nil {
		return
	}
	if s.follow.busy {
		if s.follow.lostWhy == "" {
			s.follow.lostWhy = why
		}
		return
	}
	snap := s.follow.syncMode == SyncSnap
	s.leaveRole(now, !snap)
	if !snap {
		s.startLooking(now, why)
		return
	}
	s.flushAllLog()
	op := s.newOp()
	s.emit(Reload{Op: op})
	gen := s.gen
	s.reloadWait[op] = func(now int64, rec Recovered, err error) {
		if s.gen != gen {
			return
		}
		if err != nil || rec.Tree == nil {
			s.exit(ExitUnexpected, "cannot reload database after SNAP sync")
			return
		}
		s.install(rec)
		s.startLooking(now, why)
	}
}

func (s *Server) endFollowing(now int64) {
	f := s.follow
	if f.conn != 0 {
		s.closePeer(f.conn)
	}
	s.follow = nil
	s.emit(CancelTimer{ID: timerFollowerRead})
	s.emit(CancelTimer{ID: timerFollowerConnect})
	_ = now
}
