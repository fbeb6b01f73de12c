package fle

import (
	"fmt"
	"slices"
	"strings"
)

const msNs = 1_000_000 // nanoseconds per millisecond

// ZooKeeper 3.8's election constants (FastLeaderElection, QuorumCnxManager).
const (
	DefaultFinalizeWaitMs            = 200
	DefaultMinNotificationIntervalMs = 200
	DefaultMaxNotificationIntervalMs = 60000
	DefaultConnectTimeoutMs          = 5000
)

// Config is what an Election needs to know about the ensemble and its knobs. Zero knobs
// take ZooKeeper's defaults.
type Config struct {
	MyID int64
	// Voters are the participants' ids; Observers the observers' (both from zoo.cfg).
	Voters    []int64
	Observers []int64
	// ElectionAddr is this server's "host:port" election address, sent in the handshake.
	ElectionAddr string
	// QuorumVerifier is the configuration text carried in every notification (ZooKeeper
	// sends QuorumVerifier.toString()); receivers decode but do not act on it. Nil builds
	// "server.N=...\nversion=0" from the ids.
	QuorumVerifier []byte
	// Predicate is the vote order; the zero value is ZooKeeper's total order.
	Predicate Predicate

	FinalizeWaitMs            int64
	MinNotificationIntervalMs int64
	MaxNotificationIntervalMs int64
	ConnectTimeoutMs          int64
}

// Election is one server's FastLeaderElection with its QuorumCnxManager, as an I/O-free
// state machine. It lives as long as the server process: logicalclock and the connections
// persist across rounds. See the package documentation for the protocol.
type Election struct {
	cfg Config
	cnx cnxManager
	out []Effect

	state   State
	clock   int64 // logicalclock
	started bool
	// proposal is (proposedLeader, proposedZxid, proposedEpoch); its ElectionEpoch is unused.
	proposal Vote
	// initial is this round's own vote (getInitId, getInitLastLoggedZxid, getPeerEpoch).
	initial Vote
	// current is QuorumPeer.getCurrentVote: the vote replies to LOOKING peers carry.
	current       Vote
	recvset       map[int64]tallied
	outOfElection map[int64]tallied
	notTimeoutMs  int64
	finalizing    bool
	pollAt        int64
	startedAt     int64
	busyUntil     int64 // the election thread is busy until then (see drain)
	drainAt       int64 // queued work resumes then; 0: none
}

// New validates cfg, fills in defaults and returns an election that has not started.
func New(cfg Config) (*Election, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Voters = slices.Sorted(slices.Values(cfg.Voters))
	cfg.Observers = slices.Sorted(slices.Values(cfg.Observers))
	defaultMs(&cfg.FinalizeWaitMs, DefaultFinalizeWaitMs)
	defaultMs(&cfg.MinNotificationIntervalMs, DefaultMinNotificationIntervalMs)
	defaultMs(&cfg.MaxNotificationIntervalMs, DefaultMaxNotificationIntervalMs)
	defaultMs(&cfg.ConnectTimeoutMs, DefaultConnectTimeoutMs)
	if cfg.QuorumVerifier == nil {
		cfg.QuorumVerifier = defaultQuorumVerifier(cfg)
	}
	if cfg.ElectionAddr == "" {
		cfg.ElectionAddr = fmt.Sprintf("zk%d:3888", cfg.MyID)
	}
	return &Election{
		cfg: cfg,
		cnx: cnxManager{links: map[int64]*peerLink{}, conns: map[ConnID]*connState{},
			dialing: map[int64]int64{}, timedOut: map[int64]int64{}, redial: map[int64]bool{}},
		state: Looking,
	}, nil
}

func defaultMs(v *int64, def int64) {
	if *v == 0 {
		*v = def
	}
}

func (c Config) validate() error {
	if len(c.Voters) == 0 {
		return fmt.Errorf("fle: no voters")
	}
	seen := map[int64]bool{}
	for _, id := range slices.Concat(c.Voters, c.Observers) {
		if id <= 0 || seen[id] {
			return fmt.Errorf("fle: server id %d is not positive or is listed twice", id)
		}
		seen[id] = true
	}
	if !seen[c.MyID] {
		return fmt.Errorf("fle: my id %d is neither a voter nor an observer", c.MyID)
	}
	for _, ms := range []int64{c.FinalizeWaitMs, c.MinNotificationIntervalMs, c.MaxNotificationIntervalMs, c.ConnectTimeoutMs} {
		if ms < 0 {
			return fmt.Errorf("fle: negative interval %d ms", ms)
		}
	}
	return nil
}

func defaultQuorumVerifier(cfg Config) []byte {
	var b strings.Builder
	for _, id := range slices.Sorted(slices.Values(slices.Concat(cfg.Voters, cfg.Observers))) {
		role := "participant"
		if slices.Contains(cfg.Observers, id) {
			role = "observer"
		}
		fmt.Fprintf(&b, "server.%d=zk%d:2888:3888:%s\n", id, id, role)
	}
	b.WriteString("version=0")
	return []byte(b.String())
}

func (e *Election) emit(eff Effect) { e.out = append(e.out, eff) }

func (e *Election) isVoter(sid int64) bool {
	_, ok := slices.BinarySearch(e.cfg.Voters, sid)
	return ok
}

func (e *Election) isServer(sid int64) bool {
	_, obs := slices.BinarySearch(e.cfg.Observers, sid)
	return obs || e.isVoter(sid)
}

// State is this server's state: Looking during an election, else what it decided.
func (e *Election) State() State { return e.state }

// LogicalClock is the election round counter (in memory only; 0 at process start).
func (e *Election) LogicalClock() int64 { return e.clock }

// Proposal is the vote this server currently proposes while Looking.
func (e *Election) Proposal() Vote {
	v := e.proposal
	v.ElectionEpoch = e.clock
	return v
}

// CurrentVote is the vote this server advertises to LOOKING peers when not looking (the
// decided vote, with its peerEpoch updated by UpdateElectionVote).
func (e *Election) CurrentVote() Vote { return e.current }

// UpdateElectionVote sets the peerEpoch of the advertised vote to newEpoch; the server
// calls it after synchronizing with (or becoming) the leader of a new epoch, so that
// rejoining servers see a consistent (leader, epoch) from everyone (ZK-1732).
func (e *Election) UpdateElectionVote(newEpoch int64) { e.current.PeerEpoch = newEpoch }

// Start begins a round (lookForLeader): the server is LOOKING with lastLoggedZxid (every
// logged txn replayed into memory) and currentEpoch. Call it at boot and whenever the
// server returns to LOOKING.
func (e *Election) Start(now, lastLoggedZxid, currentEpoch int64) []Effect {
	e.out = nil
	e.initial = Vote{Leader: e.cfg.MyID, Zxid: lastLoggedZxid, PeerEpoch: currentEpoch}
	if !e.isVoter(e.cfg.MyID) {
		e.initial = Vote{Leader: noVote, Zxid: noVote, PeerEpoch: noVote}
	}
	if !e.started {
		e.current = Vote{Leader: e.cfg.MyID, Zxid: lastLoggedZxid, ElectionEpoch: -1, PeerEpoch: currentEpoch}
		e.started = true
	}
	e.state = Looking
	e.startedAt = now
	e.recvset = map[int64]tallied{}
	e.outOfElection = map[int64]tallied{}
	e.notTimeoutMs = e.cfg.MinNotificationIntervalMs
	e.finalizing = false
	e.clock++
	e.proposal = e.initial
	e.sendNotifications(now)
	e.setPoll(now, e.notTimeoutMs)
	e.drain(now)
	return e.out
}

// sendNotifications sends the current proposal to every voter, this server included.
func (e *Election) sendNotifications(now int64) {
	for _, sid := range e.cfg.Voters {
		e.toSend(now, sid, e.notification(Looking, e.proposal, e.clock))
	}
}

func (e *Election) notification(state State, v Vote, electionEpoch int64) Notification {
	return Notification{State: state, Leader: v.Leader, Zxid: v.Zxid, ElectionEpoch: electionEpoch,
		PeerEpoch: v.PeerEpoch, Version: CurrentVersion, Config: e.cfg.QuorumVerifier}
}

func (e *Election) setPoll(now, afterMs int64) {
	e.pollAt = now + afterMs*msNs
	e.armTimer()
}

// armTimer sets PollTimer to the earlier of the poll deadline and the time queued work
// resumes.
func (e *Election) armTimer() {
	at := e.pollAt
	if e.drainAt != 0 && (at == 0 || e.drainAt < at) {
		at = e.drainAt
	}
	if at == 0 {
		e.emit(CancelTimer{Timer: PollTimer})
		return
	}
	e.emit(SetTimer{Timer: PollTimer, At: at})
}

// OnTimer reports that a timer set with SetTimer fired.
func (e *Election) OnTimer(now int64, t Timer) []Effect {
	e.out = nil
	switch t {
	case PollTimer:
		e.onPollTimer(now)
	case ConnectTimer:
		e.connectTimedOut(now)
		e.drain(now)
	}
	return e.out
}

// onPollTimer: the poll deadline passed (lookForLeader's poll returned nothing) and/or
// queued work may resume; an early (stale) call does nothing.
func (e *Election) onPollTimer(now int64) {
	resume := e.drainAt != 0 && now >= e.drainAt
	timedOut := e.state == Looking && e.pollAt != 0 && now >= e.pollAt
	if resume {
		e.drainAt = 0
	}
	if timedOut {
		e.pollTimedOut(now)
	}
	e.drain(now)
	if resume && !timedOut && e.drainAt == 0 && e.pollAt != 0 {
		e.armTimer() // the resume time had replaced the poll deadline on the timer
	}
}

// pollTimedOut: nothing arrived within the poll timeout. While finalizing, the proposal
// stands; otherwise re-send (or reconnect) and back off.
func (e *Election) pollTimedOut(now int64) {
	e.pollAt = 0
	if e.finalizing {
		e.decide(now, e.ownDecision(), e.Proposal())
		return
	}
	if e.haveDelivered() {
		e.sendNotifications(now)
	} else {
		e.connectAll(now)
	}
	e.notTimeoutMs = min(2*e.notTimeoutMs, e.cfg.MaxNotificationIntervalMs)
	e.setPoll(now, e.notTimeoutMs)
}

// ownDecision is the state this server takes when its proposal wins.
func (e *Election) ownDecision() State {
	if e.proposal.Leader == e.cfg.MyID {
		return Leading
	}
	if e.isVoter(e.cfg.MyID) {
		return Following
	}
	return Observing
}

// The election thread's CPU: each received notification costs notificationCostNs
// (ZooKeeper logs every one at INFO); up to burstNs of backlog is worked off within the
// current input, the rest waits (PollTimer wakes the thread). Normal elections never
// reach the bound; vote cycles under PreZK1419 (two of our own notifications chasing each
// other, as in ZooKeeper ≤ 3.4.3) would otherwise spin forever at no cost. With the bound,
// the receive queue's drop-oldest rule becomes real.
const (
	notificationCostNs = 50_000
	burstNs            = msNs
)

// drain handles queued received notifications within the CPU budget above.
func (e *Election) drain(now int64) {
	if !e.started {
		return // before the first Start, notifications wait in the receive queue
	}
	for len(e.cnx.inbox) > 0 {
		if e.busyUntil > now+burstNs {
			e.drainAt = e.busyUntil - burstNs
			e.armTimer()
			return
		}
		m := e.cnx.inbox[0]
		e.cnx.inbox = e.cnx.inbox[1:]
		e.receive(now, m)
		e.busyUntil = max(e.busyUntil, now) + notificationCostNs
	}
}

// receive is WorkerReceiver (replies that do not wait for the election loop) followed, if
// this server is LOOKING, by one step of lookForLeader's loop.
func (e *Election) receive(now int64, m inbound) {
	n := m.n
	if !e.isVoter(m.from) {
		e.toSend(now, m.from, e.notification(e.state, e.current, e.clock))
		return
	}
	if e.state != Looking {
		if n.State == Looking {
			e.toSend(now, m.from, e.notification(e.state, e.current, e.current.ElectionEpoch))
		}
		return
	}
	if n.State == Looking && n.ElectionEpoch < e.clock {
		e.toSend(now, m.from, e.notification(Looking, e.proposal, e.clock))
	}
	if e.finalizing {
		e.finalizeStep(now, m)
		return
	}
	e.electionStep(now, m)
}

// finalizeStep: a quorum agrees on the proposal and we wait finalizeWait for anything
// better. A better vote ends the wait and is handled normally; anything else is consumed
// and the wait starts again (each poll waits finalizeWait anew).
func (e *Election) finalizeStep(now int64, m inbound) {
	if e.cfg.Predicate.beatsVote(m.n.Vote(), e.proposal) {
		e.finalizing = false
		e.electionStep(now, m)
		return
	}
	e.setPoll(now, e.cfg.FinalizeWaitMs)
}

// electionStep is one iteration of lookForLeader's loop for a received notification.
func (e *Election) electionStep(now int64, m inbound) {
	n := m.n
	if !e.isVoter(m.from) || !e.isVoter(n.Leader) {
		e.setPoll(now, e.notTimeoutMs)
		return
	}
	switch n.State {
	case Looking:
		e.lookingVote(now, m)
	case Following, Leading:
		e.outOfElectionVote(now, m)
	}
	if e.state == Looking && !e.finalizing {
		e.setPoll(now, e.notTimeoutMs)
	}
}

// lookingVote handles a LOOKING sender's vote.
func (e *Election) lookingVote(now int64, m inbound) {
	n := m.n
	if e.initial.Zxid == -1 || n.Zxid == -1 {
		return // an empty reinitialized database does not take part (ZK-261)
	}
	switch {
	case n.ElectionEpoch > e.clock:
		e.clock = n.ElectionEpoch
		clear(e.recvset)
		e.proposal = e.initial
		if e.cfg.Predicate.beatsVote(n.Vote(), e.initial) {
			e.proposal = n.Vote()
		}
		e.sendNotifications(now)
	case n.ElectionEpoch < e.clock:
		return
	case e.cfg.Predicate.beatsVote(n.Vote(), e.proposal):
		e.proposal = n.Vote()
		e.sendNotifications(now)
	}
	e.recvset[m.from] = tallied{vote: n.Vote(), state: Looking}
	if e.hasQuorum(e.recvset, tallied{vote: e.Proposal(), state: Looking}) {
		e.finalizing = true
		e.setPoll(now, e.cfg.FinalizeWaitMs)
	}
}

// outOfElectionVote handles a FOLLOWING/LEADING sender's vote: join its leader if a quorum
// of this round's votes, or of all out-of-election votes, agree and the leader is confirmed.
func (e *Election) outOfElectionVote(now int64, m inbound) {
	n := m.n
	end := n.Vote()
	if n.ElectionEpoch == e.clock {
		e.recvset[m.from] = tallied{vote: end, state: n.State}
		if e.hasQuorum(e.recvset, tallied{vote: end, state: n.State, version: n.Version}) &&
			e.checkLeader(e.recvset, n.Leader, n.ElectionEpoch) {
			e.decide(now, e.joinState(n.Leader), end)
			return
		}
	}
	e.outOfElection[m.from] = tallied{vote: end, state: n.State, version: n.Version}
	if e.hasQuorum(e.outOfElection, tallied{vote: end, state: n.State, version: n.Version}) &&
		e.checkLeader(e.outOfElection, n.Leader, n.ElectionEpoch) {
		e.clock = n.ElectionEpoch
		e.decide(now, e.joinState(n.Leader), end)
	}
}

func (e *Election) joinState(leader int64) State {
	if leader == e.cfg.MyID {
		return Leading
	}
	if e.isVoter(e.cfg.MyID) {
		return Following
	}
	return Observing
}

// hasQuorum: the voters whose tallied vote equals target are strictly more than half of
// the voters (SyncedLearnerTracker over QuorumMaj).
func (e *Election) hasQuorum(set map[int64]tallied, target tallied) bool {
	acks := 0
	for sid, v := range set { //det:unordered-ok counting; the result does not depend on order
		if e.isVoter(sid) && sameVote(v, target) {
			acks++
		}
	}
	return 2*acks > len(e.cfg.Voters)
}

// checkLeader: a leader other than me must itself be in the set saying LEADING; if the
// leader is me, the votes must be of my current round.
func (e *Election) checkLeader(set map[int64]tallied, leader, electionEpoch int64) bool {
	if leader != e.cfg.MyID {
		v, ok := set[leader]
		return ok && v.state == Leading
	}
	return e.clock == electionEpoch
}

// decide ends the round: leaveInstance drops whatever is still queued.
func (e *Election) decide(now int64, state State, end Vote) {
	e.state = state
	e.current = end
	e.finalizing = false
	e.pollAt, e.drainAt = 0, 0
	e.cnx.inbox = nil
	e.emit(CancelTimer{Timer: PollTimer})
	e.emit(Decided{State: state, Vote: end, StartedAt: e.startedAt})
}
