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

// Triaged failures of the sweep that real ZooKeeper 3.8 has too, each labelled from the
// run's facts:
//   - strict swarm 326 and swarm 5640: a txn committed by a quorum whose members then
//     lost their new log file in a power loss (strict disk, directory never fsynced); a
//     server that never crashed later commits past it. The loss counts from the power
//     loss, not from when a failure on the crashed server was first seen.
//   - strict swarm 313: server 3's currentEpoch rename was undone by a power loss, so at
//     restart ZooKeeper writes the file again, on a full disk, and refuses to start.
//   - strict swarm 1949: the same refusal; server 3's acceptedEpoch went back in a power
//     loss before a refused restart and a second power loss, and shows at its next start:
//     every power loss since the start before that one counts, not only the last.
//   - reordered swarm 84: server 3 restarted and lost power at the same instant, which
//     undid its acceptedEpoch rename; that power loss came after the start.
func TestSweepTriagedFailuresAreKnown(t *testing.T) {
	for _, c := range []struct {
		seed    uint64
		disk    string
		check   string
		knownID string
	}{
		{326, "strict", checker.InvCommittedPrefix, cluster.KnownLogCreateNotDurable},
		{5640, "", checker.InvCommittedPrefix, cluster.KnownLogCreateNotDurable},
		{313, "strict", checker.InvCrash, cluster.KnownEpochRename},
		{1949, "strict", checker.InvEpochMonotonic, cluster.KnownEpochRename},
		{84, "reordered", checker.InvEpochMonotonic, cluster.KnownEpochRename},
	} {
		res := runSwarmSeed(t, c.seed, func(o *Options) {
			if c.disk != "" {
				o.Disk.Model = c.disk
			}
		})
		if !slices.Contains(res.Failed, c.check) {
			t.Errorf("swarm %d (%s disk) no longer fails %s (got %s %v): the reproduction is lost", c.seed, c.disk, c.check, res.Verdict, res.Failed)
			continue
		}
		if res.Known == nil || res.Known.ID != c.knownID {
			t.Errorf("swarm %d (%s disk) fails %v labelled %+v, want %q:\n%s", c.seed, c.disk, res.Failed, res.Known, c.knownID, res.Explanation)
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
