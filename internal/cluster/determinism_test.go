package cluster

import "testing"

func TestSameSeedSameTrace(t *testing.T) {
	for _, seed := range []uint64{3, 4} {
		a, err := Chaos(seed, ChaosOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Chaos(seed, ChaosOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.TraceHash != b.TraceHash || a.Ops != b.Ops || a.Steps != b.Steps {
			t.Fatalf("seed %d ran differently: hash %x/%x ops %d/%d steps %d/%d", seed, a.TraceHash, b.TraceHash, a.Ops, b.Ops, a.Steps, b.Steps)
		}
	}
	a, _ := Chaos(5, ChaosOptions{})
	b, _ := Chaos(6, ChaosOptions{})
	if a.TraceHash == b.TraceHash {
		t.Fatalf("seeds 5 and 6 have the same trace hash %x", a.TraceHash)
	}
}
