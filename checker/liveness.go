package checker

import (
	"fmt"
	"time"
)

// Timing is the part of zoo.cfg the liveness bound is derived from.
type Timing struct {
	TickTimeMs int64
	InitLimit  int64 // ticks
	SyncLimit  int64 // ticks
}

// ZooKeeper 3.8 constants the bound uses (reference §0).
const (
	maxNotificationIntervalMs = 60000 // FLE backoff cap
	finalizeWaitMs            = 200   // FLE finalizeWait
	electionConnectTimeoutMs  = 5000  // QuorumCnxManager cnxTO
)

// LivenessBound is how long after the last fault heals (and the workload stops writing) a
// correct ensemble may take to have an established leader and converged replicas:
//
//	detect    = syncLimit·tick + tick       a follower's read timeout, plus the leader's
//	                                       once-per-tick quorum check
//	elect     = 60 s + 200 ms + 5 s         a LOOKING server may have backed off to FLE's
//	                                       maximum notification interval during a long
//	                                       partition; finalizeWait; one election connect
//	                                       timeout to a peer that was unreachable
//	establish = 3·initLimit·tick            epoch quorum, ACKEPOCH quorum, NEWLEADER ACK
//	                                       quorum each wait up to initLimit·tick
//	bound     = detect + 2·(elect + establish) + syncLimit·tick
//
// Two rounds of elect+establish allow one failed attempt (a round started while a peer was
// still catching up); the final syncLimit·tick lets in-flight proposals commit or time out.
func LivenessBound(t Timing) time.Duration {
	tick := t.TickTimeMs
	detect := t.SyncLimit*tick + tick
	elect := int64(maxNotificationIntervalMs + finalizeWaitMs + electionConnectTimeoutMs)
	establish := 3 * t.InitLimit * tick
	ms := detect + 2*(elect+establish) + t.SyncLimit*tick
	return time.Duration(ms) * time.Millisecond
}

// Liveness says when faults healed so the checker can require progress after it.
type Liveness struct {
	HealedAt   int64 // virtual ns when the last fault healed
	QuiescedAt int64 // virtual ns when the workload stopped writing (0: same as HealedAt)
	EndAt      int64 // virtual ns when the run ended
	Timing     Timing
	// Bound overrides LivenessBound(Timing) when non-zero.
	Bound time.Duration
}

func (l *Liveness) bound() int64 {
	if l.Bound > 0 {
		return int64(l.Bound)
	}
	return int64(LivenessBound(l.Timing))
}

// deadline is when the ensemble must have a leader and be converged.
func (l *Liveness) deadline() int64 {
	return max(l.HealedAt, l.QuiescedAt) + l.bound()
}

// check requires, when the run lasted to the deadline: an established leader that has not
// stepped down and was established by the deadline, every server at the same zxid and
// digest at the end, and no client call left pending longer than the bound. A run that
// ended before the deadline cannot be judged: it is reported as inconclusive.
func (l *Liveness) check(h *History, r *Replicas) (failures []Failure, inconclusive string) {
	deadline := l.deadline()
	var out []Failure
	if l.EndAt < deadline {
		return nil, fmt.Sprintf("liveness: the run ended at t=%d, before the deadline t=%d (healed/quiesced %d + bound %d)",
			l.EndAt, deadline, max(l.HealedAt, l.QuiescedAt), l.bound())
	}
	if r != nil {
		out = append(out, l.checkLeader(r, deadline)...)
		out = append(out, l.checkConverged(r)...)
	}
	for i := range h.Ops {
		o := &h.Ops[i]
		since := max(o.Call, l.HealedAt)
		if o.Outcome == OutcomeUnknown && o.UnknownReason == UnknownPending && since+l.bound() <= l.EndAt {
			out = append(out, Failure{Invariant: InvOpsComplete, Ops: []int{i}, Explanation: fmt.Sprintf(
				"call still pending at the end (t=%d), waiting since t=%d (invoked or healed), longer than the bound %d: %s",
				l.EndAt, since, l.bound(), o.Describe())})
		}
	}
	return out, ""
}

func (l *Liveness) checkLeader(r *Replicas, deadline int64) []Failure {
	switch {
	case !r.leaderUp:
		return []Failure{{Invariant: InvLeaderElected, Explanation: fmt.Sprintf(
			"no established leader at the end (t=%d); faults healed at t=%d", l.EndAt, l.HealedAt)}}
	case r.lastLeaderAt > deadline:
		return []Failure{{Invariant: InvLeaderElected, Servers: []int{r.currentLeader}, Explanation: fmt.Sprintf(
			"server %d was established leader only at t=%d, after the deadline t=%d", r.currentLeader, r.lastLeaderAt, deadline)}}
	}
	return nil
}

// checkConverged requires every server to end at the same zxid and digest. The harness runs
// the ensemble until the deadline, so "at the end" is "within the bound"; later commits
// (session expiries of dead clients) are progress, not a failure, so the time of the last
// change is not judged.
func (l *Liveness) checkConverged(r *Replicas) []Failure {
	states := r.States()
	if len(states) == 0 {
		return nil
	}
	first := states[0]
	for _, s := range states {
		if s.LastZxid != first.LastZxid || (s.HasDigest && first.HasDigest && s.Digest != first.Digest) {
			return []Failure{{Invariant: InvConverged, Servers: []int{first.Server, s.Server}, Explanation: fmt.Sprintf(
				"servers did not converge: server %d ends at zxid 0x%x digest 0x%x, server %d at 0x%x digest 0x%x",
				first.Server, first.LastZxid, first.Digest, s.Server, s.LastZxid, s.Digest)}}
		}
	}
	return nil
}
