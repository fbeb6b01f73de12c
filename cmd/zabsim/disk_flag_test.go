package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestRunDiskFlag: --disk picks the disks' durability model, shows in the options and the
// reproduction line; a strict disk's reverted epoch rename prints its known-weakness
// label; an unknown model is a usage error.
func TestRunDiskFlag(t *testing.T) {
	code, out, errOut := zabsim(t, "run", "swarm3", "1", "--disk", "bogus", "--report", "-")
	if code != exitUsage || !strings.Contains(errOut, `--disk: sim: unknown disk model "bogus"`) {
		t.Fatalf("--disk bogus: exit %d, want usage\n%s%s", code, out, errOut)
	}
	for seed := 1; seed <= 20; seed++ {
		code, out, _ = zabsim(t, "run", "swarm3", strconv.Itoa(seed), "--disk", "strict", "--report", "-")
		if !strings.Contains(out, "disk       model=strict") {
			t.Fatalf("seed %d: the strict model is not in the options:\n%s", seed, out)
		}
		if strings.Contains(out, "FAIL epochs-monotonic") {
			if !strings.Contains(out, "--disk strict") {
				t.Fatalf("seed %d: the strict model is not in the repro line:\n%s", seed, out)
			}
			if !strings.Contains(out, "known      real ZooKeeper 3.8 weakness ZK-1653 class") || code != 129 {
				t.Fatalf("seed %d: exit %d, the epoch regression is not labelled:\n%s", seed, code, out)
			}
			return
		}
	}
	t.Fatal("no swarm3 seed in 1..20 on a strict disk reverted an epoch")
}
