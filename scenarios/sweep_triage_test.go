package scenarios

import (
	"slices"
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/internal/cluster"
)

// Swarm 292 under the mutant bug-no-epoch-check: the mutant establishes servers 7 and 6
// in epoch 1. The run also has power losses that undid a log file and epoch renames
// (server 7's currentEpoch, server 2's acceptedEpoch — but server 2 stayed down until
// after the second leader), and none of them can give a leader an epoch twice: the
// failure must stay unlabelled, or the sweep would hide the bug. The correct server on
// the same seed fails only the labelled epochs-monotonic.
func TestMutantSecondLeaderInEpochIsNotExplainedAway(t *testing.T) {
	res := runSwarmSeed(t, 292, func(o *Options) { o.Variant = "bug-no-epoch-check" })
	if !slices.Contains(res.Failed, checker.InvOneLeaderPerEpoch) {
		t.Fatalf("mutant swarm 292 no longer fails %s (got %s %v): the reproduction is lost", checker.InvOneLeaderPerEpoch, res.Verdict, res.Failed)
	}
	if res.Known != nil {
		t.Fatalf("the mutant's second leader in one epoch was labelled %+v", res.Known)
	}
	correct := runSwarmSeed(t, 292, func(*Options) {})
	if slices.Contains(correct.Failed, checker.InvOneLeaderPerEpoch) || (correct.Verdict != OK && correct.Known == nil) {
		t.Fatalf("the correct server on swarm 292: %s %v labelled %+v", correct.Verdict, correct.Failed, correct.Known)
	}
}

// A second leader in one epoch on the correct server is still labelled when ZooKeeper's
// own rule allows it: a quorum accepted the epoch afresh for the second leader, one of
// them after losing the rename of its earlier acceptedEpoch of that epoch (swarm3 13 and
// 1823). The run's label names the epoch-file weakness only if
// every failure, the second leader included, is accounted for.
func TestSecondLeaderAfterAcceptedEpochRevertIsKnown(t *testing.T) {
	for _, c := range []struct {
		scenario string
		seed     uint64
	}{{"swarm3", 13}, {"swarm3", 1823}} {
		res := runSeed(t, c.scenario, c.seed, func(*Options) {})
		if !slices.Contains(res.Failed, checker.InvOneLeaderPerEpoch) {
			t.Errorf("%s %d no longer fails %s (got %s %v): the reproduction is lost", c.scenario, c.seed, checker.InvOneLeaderPerEpoch, res.Verdict, res.Failed)
			continue
		}
		if res.Known == nil || res.Known.ID != cluster.KnownEpochRename {
			t.Errorf("%s %d fails %v labelled %+v, want %q", c.scenario, c.seed, res.Failed, res.Known, cluster.KnownEpochRename)
		}
	}
}

// runSwarmSeed runs the swarm's options for seed, changed by edit.
func runSwarmSeed(t *testing.T, seed uint64, edit func(*Options)) *Result {
	t.Helper()
	return runSeed(t, "swarm", seed, edit)
}

// runSeed runs scenario's options for seed, changed by edit.
func runSeed(t *testing.T, scenario string, seed uint64, edit func(*Options)) *Result {
	t.Helper()
	sc, err := Lookup(scenario)
	if err != nil {
		t.Fatal(err)
	}
	o := sc.Options(seed)
	edit(o)
	res, err := Run(o, SimBackend(""), nil)
	if err != nil {
		t.Fatalf("%s %d: %v", scenario, seed, err)
	}
	return res
}
