package scenarios

import (
	"slices"
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/zab"
)

// safetyRegression is a run that once broke a safety check because of a bug in the server
// or the harness: it must not break check any more (other checks are other regressions'
// business, e.g. the epoch files' known weakness).
type safetyRegression struct {
	scenario string
	seed     uint64
	check    string
	why      string
}

var safetyRegressions = []safetyRegression{
	{"log-fsync-error-in-sync", 1, checker.InvCommittedPrefix,
		"a learner applied a DIFF from a leader that was never established, then exited on an fsync error; " +
			"the harness counted the old leader's unacknowledged proposal as committed"},
	{"swarm", 4446, checker.InvDigest,
		"a follower dropped for a slow fsync fast-forwarded an uncommitted create; the snapshot its last log flush " +
			"triggered was serialized after the fast-forward, under the older zxid, and the TRUNC reload kept the create"},
	{"swarm", 3758, checker.InvDigest, "the same fast-forward snapshot (paused servers)"},
	{"swarm", 4059, checker.InvDigest, "the same fast-forward snapshot (an fsync error)"},
	{"swarm", 11283, checker.InvCommittedPrefix,
		"a learner left a sync whose leader was never established without fast-forwarding anything; the harness " +
			"dropped the sync's held applies but did not say the tree had moved, and its next commit seemed to skip txns"},
	{"swarm", 5406, checker.InvCommittedPrefix, "the same abandoned sync"},
}

func TestSafetyRegressionSeeds(t *testing.T) {
	for _, r := range safetyRegressions {
		res := runNamedSeed(t, r.scenario, r.seed)
		t.Logf("%s %d: %s %v", r.scenario, r.seed, res.Verdict, res.Failed)
		if slices.Contains(res.Failed, r.check) {
			t.Errorf("%s %d (%s): %s fails again: %s\n%s", r.scenario, r.seed, r.why, r.check, res.Explanation, res.TimelineString())
		}
	}
}

// runNamedSeed runs a named scenario with a seed on the simulated ensemble.
func runNamedSeed(t *testing.T, scenario string, seed uint64) *Result {
	t.Helper()
	sc, err := Lookup(scenario)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(sc.Options(seed), SimBackend(""), nil)
	if err != nil {
		t.Fatalf("%s %d: %v", scenario, seed, err)
	}
	return res
}

// knownReproductions are failing runs that faithfully reproduce a weakness of real
// ZooKeeper 3.8: the judgement must fail check and name the weakness, so that users do
// not take them for new bugs.
var knownReproductions = []struct {
	scenario string
	seed     uint64
	check    string
	knownID  string
}{
	// (Swarm 792 reproduced ZK-4837 as a digest-at-zxid failure until elections stopped
	// waiting for dials to powered-off peers; no swarm seed in 1..10000 nor swarm3 seed in
	// 1..7000 does now. ZK-4837 stays pinned by the converge-after-heal reproductions.)
	// Server 4 went down after writing its SNAP sync snapshot (epoch 1) but before
	// currentEpoch, and refuses to start from that disk. (Swarm 1193 and 1622 reproduced
	// this with a power cut after the refusal and with a failed log fsync at NEWLEADER
	// until elections stopped waiting for dials to powered-off peers.)
	{"swarm", 3647, checker.InvCrash, "ZK-1653 (new-epoch data on disk before currentEpoch)"},
	// The same for server 2, after one earlier power loss.
	{"swarm", 5137, checker.InvCrash, "ZK-1653 (new-epoch data on disk before currentEpoch)"},
}

func TestKnownReproductionsAreLabelled(t *testing.T) {
	for _, r := range knownReproductions {
		res := runNamedSeed(t, r.scenario, r.seed)
		if !slices.Contains(res.Failed, r.check) {
			t.Errorf("%s %d no longer fails %s (got %s %v): the reproduction is lost (if the swarm's draws changed, find a new seed with explore --json)", r.scenario, r.seed, r.check, res.Verdict, res.Failed)
			continue
		}
		if res.Known == nil || res.Known.ID != r.knownID {
			t.Errorf("%s %d fails %s without the label %q: %+v", r.scenario, r.seed, r.check, r.knownID, res.Known)
		}
	}
}

// The swarm must never draw a deliberately broken server: its failures would be the
// mutant's, reported as the server's.
func TestSwarmNeverDrawsAMutant(t *testing.T) {
	for _, name := range SwarmVariants {
		v, err := zab.ParseVariant(name)
		if err != nil {
			t.Fatalf("swarm variant %q: %v", name, err)
		}
		if v.IsBug() {
			t.Errorf("the swarm draws the deliberately broken variant %q", name)
		}
	}
	for _, name := range []string{"bug-ack-before-fsync", "bug-skip-trunc"} {
		if v, err := zab.ParseVariant(name); err != nil || !v.IsBug() || v.String() != name {
			t.Errorf("ParseVariant(%q) = %v, %v: want the mutant of that name", name, v, err)
		}
	}
}
