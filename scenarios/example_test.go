package scenarios_test

import (
	"fmt"

	"github.com/zabsim/zabsim/scenarios"
	"github.com/zabsim/zabsim/scenarios/scenariotest"
)

// ExampleRun runs a named scenario on the toy test double with its planted bug, then
// shrinks the failure to the faults that matter. On the simulated ensemble, pass
// scenarios.SimBackend(dir) instead.
func ExampleRun() {
	sc, _ := scenarios.Lookup("leader-isolated")
	o := sc.Options(3)
	o.Variant = scenariotest.BugVariant
	res, err := scenarios.Run(o, scenariotest.NewToy, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Verdict, res.Check)
	fmt.Println(res.Timeline[4])
	min, _ := scenarios.Shrink(o, scenariotest.NewToy, 0)
	fmt.Print(min.Minimal.Options.Schedule)
	// Output:
	// correctness no-acked-write-lost
	//    5.091s  fault partition 3 | 1,2
	// at 5s partition leader | rest
}
