package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/scenarios"
)

// mutantChecks are the safety checks a mutant's failures are counted under: the ones a
// correct server must never fail on these seeds (the epoch-file weakness, which the
// correct server shares, is not among them).
var mutantChecks = map[string]bool{
	checker.InvCommittedPrefix: true, checker.InvLostWrite: true, checker.InvLinearizable: true,
	checker.InvReadSnapshot: true, checker.InvDigest: true, checker.InvSameTxnAtZxid: true,
	checker.InvOneLeaderPerEpoch: true, checker.InvMonotonicSession: true,
}

// TestMutantIsFoundReproducedAndShrunk is issue 6's demonstration on the real server: with
// a deliberately broken variant, explore reports seeds failing a safety check that the
// correct server passes on the same seeds, run reproduces each, and shrink reduces one to
// a script of a few faults that still fails that check.
func TestMutantIsFoundReproducedAndShrunk(t *testing.T) {
	for _, tc := range []struct {
		variant string
		seeds   string
	}{
		{"bug-ack-before-fsync", "600"}, // the first two failing seeds are 284 and 504
		{"bug-skip-trunc", "60"},
		{"bug-no-epoch-check", "20"},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			found := mutantFailures(t, tc.variant, tc.seeds)
			if len(found) == 0 {
				t.Fatalf("explore --variant %s over %s swarm3 seeds found no safety failure", tc.variant, tc.seeds)
			}
			for _, r := range found[:min(2, len(found))] {
				seed := strconv.FormatUint(r.Seed, 10)
				if out := runOutput(t, "swarm3", seed, "--variant", tc.variant); !strings.Contains(out, "FAIL "+r.Check) {
					t.Errorf("zabsim run swarm3 %s --variant %s does not reproduce %s:\n%s", seed, tc.variant, r.Check, out)
				}
				if out := runOutput(t, "swarm3", seed); strings.Contains(out, "FAIL "+r.Check) {
					t.Errorf("seed %s fails %s on the correct server too: not the mutant's failure:\n%s", seed, r.Check, out)
				}
			}
			shrinkMutant(t, tc.variant, found[0])
		})
	}
}

// mutantFailures runs explore with the variant and returns the seeds failing a safety
// check.
func mutantFailures(t *testing.T, variant, seeds string) []seedResult {
	t.Helper()
	var found []seedResult
	for _, r := range exploreJSON(t, "--variant", variant, "--seeds", seeds, "swarm3") {
		if r.Verdict == "correctness" && mutantChecks[r.Check] {
			found = append(found, r)
		}
	}
	return found
}

func runOutput(t *testing.T, args ...string) string {
	t.Helper()
	_, out, stderr := zabsim(t, append(append([]string{"run"}, args...), "--report", "-")...)
	return out + stderr
}

// shrinkMutant shrinks one failing seed keeping its check and reruns the printed script.
func shrinkMutant(t *testing.T, variant string, r seedResult) {
	t.Helper()
	seed := strconv.FormatUint(r.Seed, 10)
	script := filepath.Join(t.TempDir(), "min.txt")
	code, out, stderr := zabsim(t, "shrink", "--out", script, "--check", r.Check, "swarm3", seed, "--variant", variant)
	if code != exitOK {
		t.Fatalf("shrink swarm3 %s --variant %s: exit %d\n%s%s", seed, variant, code, out, stderr)
	}
	events := strings.Count(out, "\nat ")
	if strings.HasPrefix(out, "at ") {
		events++
	}
	if events == 0 || events > 4 {
		t.Fatalf("shrink left %d fault events, want 1 to 4:\n%s", events, out)
	}
	_, repro, ok := strings.Cut(out, "# reproduce: zabsim ")
	if !ok {
		t.Fatalf("shrink printed no reproduce line:\n%s", out)
	}
	repro, _, _ = strings.Cut(repro, "\n")
	repro = strings.Replace(repro, "SCRIPT", script, 1)
	rc, runOut, _ := zabsim(t, append(strings.Fields(repro), "--report", "-")...)
	if rc != scenarios.Correctness.ExitCode() || !strings.Contains(runOut, "FAIL "+r.Check) {
		t.Fatalf("the shrunk script does not reproduce %s (exit %d):\n%s\n%s", r.Check, rc, out, runOut)
	}
	t.Logf("%s seed %s (%s) shrunk to %d faults:\n%s", variant, seed, r.Check, events, out)
}
