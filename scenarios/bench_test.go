package scenarios_test

import (
	"testing"

	"github.com/zabsim/zabsim/scenarios"
)

// BenchmarkSwarm3Seed measures one swarm3 seed end to end on the simulated ensemble:
// three servers, 500 client ops, the seed's faults, the liveness phase and the full
// checker. seeds/min is per core; `zabsim explore swarm3` runs one world per core.
//
//	go test ./scenarios/ -run XXX -bench Swarm3 -benchtime 200x
func BenchmarkSwarm3Seed(b *testing.B) {
	backend := scenarios.SimBackend("")
	seed := uint64(0)
	for b.Loop() {
		seed++
		if _, err := scenarios.Run(scenarios.Swarm3Options(seed), backend, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Minutes(), "seeds/min")
}
