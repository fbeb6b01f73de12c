package scenarios

import "testing"

// livenessRegression is a seed that once failed a liveness check because of a bug in the
// server, the election or the harness, with what was wrong.
type livenessRegression struct {
	scenario string
	seed     uint64
	why      string
}

// livenessRegressions run to an OK verdict now; each failed before its fix.
var livenessRegressions = []livenessRegression{
	{"swarm3", 93, "step-budget: a follower's read timer on a fast clock fired 1ns early and re-armed for the same instant forever"},
	{"swarm", 52, "step-budget: the same early-firing timer on a drifting clock (7 servers)"},
	{"swarm", 127, "step-budget: the same early-firing timer on a drifting clock (5 servers)"},
}

func TestLivenessRegressionSeeds(t *testing.T) {
	for _, r := range livenessRegressions {
		sc, err := Lookup(r.scenario)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(sc.Options(r.seed), SimBackend(""), nil)
		if err != nil {
			t.Fatalf("%s %d: %v", r.scenario, r.seed, err)
		}
		if res.Verdict != OK {
			t.Errorf("%s %d (%s): %s %s: %s\n%s", r.scenario, r.seed, r.why, res.Verdict, res.Check, res.Explanation, res.TimelineString())
		}
	}
}
