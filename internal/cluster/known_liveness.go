package cluster

import (
	"fmt"
	"strings"
)

// KnownAcceptedEpochAhead: a server accepted a newer epoch than the one the ensemble's
// leader was then established with (it learned the epoch from a would-be leader whose
// discovery failed). ZooKeeper 3.8's leader, once past discovery, offers every later
// learner its own epoch (Leader.getEpochToPropose no longer waits), and the learner
// rejects a LEADERINFO below its acceptedEpoch ("Leaders epoch, E is less than accepted
// epoch, A": reference §4 step 4) and goes back to LOOKING, where the election points
// it at the same leader again. It cannot join until that leader loses its quorum.
const KnownAcceptedEpochAhead = "ZK reference §4 (learner's acceptedEpoch above the established leader's epoch)"

// ExplainNoConvergence returns the known weakness that keeps the ensemble from
// converging, if there is one: a leader serves with a quorum and every server that has
// not joined it either is up with an acceptedEpoch above the leader's epoch
// (KnownAcceptedEpochAhead) or follows the leader with the txns a stale TRUNC reload kept
// (KnownTruncReloadsNewerSnapshot: its tree stays ahead of the leader's). ok is false
// when the ensemble converged or anything else keeps a server out.
func (c *Cluster) ExplainNoConvergence() (k Known, ok bool) {
	leader, ok := c.Leader()
	if !ok {
		return Known{}, false
	}
	ls := c.Status(leader)
	var ahead, kept []string
	for _, s := range c.Statuses() {
		joined := s.Up && s.Serving && s.Leader == leader && sameState(s, ls) && s.Outstanding == 0
		switch {
		case joined:
		case s.Up && s.AcceptedEpoch > ls.CurrentEpoch:
			ahead = append(ahead, fmt.Sprintf("server %d (acceptedEpoch %d)", s.ID, s.AcceptedEpoch))
		case s.Up && s.Serving && s.Leader == leader && c.staleReloadInEpoch(s.ID, ls.CurrentEpoch) != nil:
			r := c.staleReloadInEpoch(s.ID, ls.CurrentEpoch)
			kept = append(kept, fmt.Sprintf("server %d (TRUNC to 0x%x reloaded a snapshot at 0x%x)", s.ID, r.truncZxid, r.treeZxid))
		default:
			return Known{}, false
		}
	}
	switch {
	case len(ahead) > 0:
		return Known{ID: KnownAcceptedEpochAhead, Explanation: fmt.Sprintf(
			"%s cannot join leader %d of epoch %d: each LEADERINFO is below its acceptedEpoch, so it returns to LOOKING and is elected back to the same leader",
			strings.Join(ahead, ", "), leader, ls.CurrentEpoch)}, true
	case len(kept) > 0:
		return Known{ID: KnownTruncReloadsNewerSnapshot, Explanation: fmt.Sprintf(
			"%s follows leader %d with txns past its truncation point, so its tree never matches the leader's (ZooKeeper 3.8 does the same)",
			strings.Join(kept, ", "), leader)}, true
	}
	return Known{}, false
}

// staleReloadInEpoch returns server sid's latest TRUNC reload that kept txns, if it
// happened while syncing with the leader of epoch (after the previous epoch's leader was
// established).
func (c *Cluster) staleReloadInEpoch(sid, epoch int64) *staleReload {
	n := c.bySID[sid]
	if n == nil || len(n.staleReloads) == 0 {
		return nil
	}
	since := int64(-1)
	for _, e := range c.established {
		if e.Epoch < epoch {
			since = e.AtNs
		}
	}
	r := n.staleReloads[len(n.staleReloads)-1]
	if r.atNs <= since {
		return nil
	}
	return &r
}
