package scenarios

import (
	"strings"
	"testing"

	"github.com/zabsim/zabsim/internal/cluster"
)

// TestOrderedDiskSwarmSeedsFailOnlyAsKnown pins the crash/run-crashed swarm seeds of the
// first sweep (59: log header "magic 0x0" after a torn crash; 278: "current epoch 0x0
// older than last zxid"; 354, 636) on the default ordered disk: each either passes or
// fails only as a labelled known ZooKeeper 3.8 weakness — never as an unexplained crash.
// A log header read as zeros must come from data a failed fsync lost, never from a torn
// crash: the ordered journal writes a new file's data before its size.
func TestOrderedDiskSwarmSeedsFailOnlyAsKnown(t *testing.T) {
	sc, _ := Lookup("swarm")
	for _, seed := range []uint64{59, 278, 354, 636} {
		o := sc.Options(seed)
		o.Disk.Model = ""
		res, err := Run(o, SimBackend(""), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == OK {
			continue
		}
		if res.Known == nil {
			t.Fatalf("seed %d: %s (%s) without a known weakness:\n%s", seed, res.Verdict, res.Check, res.Explanation)
		}
		if strings.Contains(res.Explanation, "magic 0x0") && res.Known.ID != cluster.KnownFailedFsync {
			t.Fatalf("seed %d: a zeroed log header labelled %s, not a failed fsync:\n%s", seed, res.Known, res.Explanation)
		}
		if strings.Contains(res.Explanation, "older than the last zxid") &&
			res.Known.ID != cluster.KnownSyncSnapshotBeforeEpoch && res.Known.ID != cluster.KnownEpochRename {
			t.Fatalf("seed %d: an epoch refusal labelled %s:\n%s", seed, res.Known, res.Explanation)
		}
	}
}

// TestStrictDiskEpochRenameRevertIsKnown: on a strict (POSIX) disk ZooKeeper's epoch
// files are never durable (tmp + fsync + rename, no directory fsync), so a power loss
// brings an older epoch back. The run fails epochs-monotonic, labelled with the known
// weakness; no failing seed goes unlabelled.
func TestStrictDiskEpochRenameRevertIsKnown(t *testing.T) {
	labelled := 0
	for seed := uint64(1); seed <= 8; seed++ {
		o := base("strict-epoch", seed)
		o.Disk.Model = "strict"
		o.Workload.Ops = 50
		var err error
		if o.Schedule, err = ParseSchedule(strings.NewReader("at 2s crash leader\nat 6s crash 1\nat 6s crash 2\nat 6s crash 3\nat 8s restart all\n"), "test"); err != nil {
			t.Fatal(err)
		}
		res, err := Run(o, SimBackend(""), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: %s %s %v (%s virtual)", seed, res.Verdict, res.Check, res.Known, res.End)
		if res.Verdict == OK {
			continue
		}
		if res.Known == nil {
			t.Fatalf("seed %d: %s (%s) without a known weakness:\n%s", seed, res.Verdict, res.Check, res.Explanation)
		}
		if res.Check == "epochs-monotonic" && res.Known.ID == cluster.KnownEpochRename {
			labelled++
		}
	}
	if labelled == 0 {
		t.Fatal("no seed reverted an epoch rename on the strict disk")
	}
}
