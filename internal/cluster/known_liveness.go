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
// not joined it is up with an acceptedEpoch above the leader's epoch. ok is false when
// the ensemble converged or anything else keeps a server out.
func (c *Cluster) ExplainNoConvergence() (k Known, ok bool) {
	leader, ok := c.Leader()
	if !ok {
		return Known{}, false
	}
	ls := c.Status(leader)
	var ahead []string
	for _, s := range c.Statuses() {
		joined := s.Up && s.Serving && s.Leader == leader && sameState(s, ls) && s.Outstanding == 0
		if joined {
			continue
		}
		if !s.Up || s.AcceptedEpoch <= ls.CurrentEpoch {
			return Known{}, false
		}
		ahead = append(ahead, fmt.Sprintf("server %d (acceptedEpoch %d)", s.ID, s.AcceptedEpoch))
	}
	if len(ahead) == 0 {
		return Known{}, false
	}
	return Known{ID: KnownAcceptedEpochAhead, Explanation: fmt.Sprintf(
		"%s cannot join leader %d of epoch %d: each LEADERINFO is below its acceptedEpoch, so it returns to LOOKING and is elected back to the same leader",
		strings.Join(ahead, ", "), leader, ls.CurrentEpoch)}, true
}
