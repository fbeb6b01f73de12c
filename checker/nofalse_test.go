package checker

import "testing"

func TestGeneratedCorrectHistoriesPass(t *testing.T) {
	var total Stats
	for seed := uint64(1); seed <= 300; seed++ {
		h := generate(seed, genConfig{clients: 5, ops: 400, unknownRate: 0.08, opsPerRoot: 100, leaderEvery: 97})
		rep := Check(Input{History: h})
		if rep.Verdict != VerdictOK {
			for _, f := range rep.Failures {
				t.Log(f)
			}
			t.Fatalf("seed %d: %s", seed, rep.Verdict)
		}
		total.LinOps += rep.Stats.LinOps
		total.ReadsChecked += rep.Stats.ReadsChecked
		total.UnknownOps += rep.Stats.UnknownOps
		total.ExcludedOps += rep.Stats.ExcludedOps
		total.ResolvedUnknown += rep.Stats.ResolvedUnknown
		total.LargestPart = max(total.LargestPart, rep.Stats.LargestPart)
	}
	t.Logf("%+v", total)
}
