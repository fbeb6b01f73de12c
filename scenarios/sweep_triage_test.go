package scenarios

import (
	"slices"
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/internal/cluster"
)

// Reordered-disk swarm 284: leader 2's fsync of log.200000001 failed (EIO) and it exited;
// restarted from the page cache it led epoch 3 with the txns the failed fsync never
// wrote; a power loss then took them from its log, and its replay from snapshot.0
// (its newer snapshots, never fsynced, were torn) skipped them — a hole real ZooKeeper
// 3.8 has too. The digest failure must carry the failed-fsync label.
func TestReorderedSwarm284FailedFsyncHoleIsKnown(t *testing.T) {
	res := runSwarmSeed(t, 284, func(o *Options) { o.Disk.Model = "reordered" })
	t.Logf("reordered swarm 284: %s %v, %s virtual", res.Verdict, res.Failed, res.End)
	if !slices.Contains(res.Failed, checker.InvDigest) {
		t.Fatalf("reordered swarm 284 no longer fails %s (got %s %v): the reproduction is lost", checker.InvDigest, res.Verdict, res.Failed)
	}
	if res.Known == nil || res.Known.ID != cluster.KnownFailedFsync {
		t.Fatalf("reordered swarm 284 fails %v labelled %+v, want %q", res.Failed, res.Known, cluster.KnownFailedFsync)
	}
}

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

// runSwarmSeed runs the swarm's options for seed, changed by edit.
func runSwarmSeed(t *testing.T, seed uint64, edit func(*Options)) *Result {
	t.Helper()
	sc, err := Lookup("swarm")
	if err != nil {
		t.Fatal(err)
	}
	o := sc.Options(seed)
	edit(o)
	res, err := Run(o, SimBackend(""), nil)
	if err != nil {
		t.Fatalf("swarm %d: %v", seed, err)
	}
	return res
}
