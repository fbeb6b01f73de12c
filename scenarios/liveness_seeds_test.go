package scenarios

import (
	"testing"

	"github.com/zabsim/zabsim/internal/cluster"
)

// livenessRegression is a seed that once failed a liveness check because of a bug in the
// server, the election or the harness, with what was wrong.
type livenessRegression struct {
	scenario string
	seed     uint64
	why      string
	// ok: the whole verdict is OK now; otherwise only convergence is pinned (the seed
	// also reproduces a labelled ZooKeeper weakness that is not about liveness).
	ok bool
}

// livenessRegressions converge now; each failed before its fix.
var livenessRegressions = []livenessRegression{
	{"swarm3", 93, "step-budget: a follower's read timer on a fast clock fired 1ns early and re-armed for the same instant forever", true},
	{"swarm", 52, "step-budget: the same early-firing timer on a drifting clock (7 servers)", true},
	{"swarm", 127, "step-budget: the same early-firing timer on a drifting clock (5 servers)", true},
	{"clock-drift", 1, "converge-after-heal: an election poll timer fired early on a fast clock, was taken as stale and never re-armed: LOOKING forever", true},
	{"swarm", 219, "converge-after-heal: a dial-back to a restarted peer was merged into the dial still timing out on its powered-off machine", false},
}

func TestLivenessRegressionSeeds(t *testing.T) {
	for _, r := range livenessRegressions {
		res := runNamedSeed(t, r.scenario, r.seed)
		if !res.Converged || res.Verdict == Liveness || (r.ok && res.Verdict != OK) {
			t.Errorf("%s %d (%s): converged %v, %s %s: %s\n%s", r.scenario, r.seed, r.why, res.Converged,
				res.Verdict, res.Check, res.Explanation, res.TimelineString())
		}
	}
}

// Runs that do not converge because real ZooKeeper 3.8 would not either join the known
// reproductions (TestKnownReproductionsAreLabelled): the judgement must fail
// converge-after-heal and name the weakness.
func init() {
	type known = struct {
		scenario string
		seed     uint64
		check    string
		knownID  string
	}
	knownReproductions = append(knownReproductions,
		// Servers 2 and 4 accepted epoch 4 from a leader whose discovery failed (a follower
		// could not write its acceptedEpoch); leader 3 was then established in epoch 3
		// without them, and each LEADERINFO(3) is below their acceptedEpoch.
		known{"swarm", 363, "converge-after-heal", cluster.KnownAcceptedEpochAhead},
		// Server 1, told TRUNC to 0x10000003a, reloaded its snapshot at 0x200000004 and
		// follows with those txns (ZOOKEEPER-4837).
		known{"swarm", 280, "converge-after-heal", cluster.KnownTruncReloadsNewerSnapshot},
		// Server 1, told TRUNC to 0x400000079, reloaded its snapshot at 0x40000007a. (Swarm
		// 13 reproduced this until elections stopped waiting for dials to powered-off peers.)
		known{"swarm", 1420, "converge-after-heal", cluster.KnownTruncReloadsNewerSnapshot},
	)
}
