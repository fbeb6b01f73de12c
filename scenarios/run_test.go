package scenarios_test

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabsim/zabsim/scenarios"
	"github.com/zabsim/zabsim/scenarios/scenariotest"
)

func TestCatalogOptionsAreValid(t *testing.T) {
	for _, sc := range scenarios.Catalog() {
		for seed := uint64(0); seed < 20; seed++ {
			o := sc.Options(seed)
			if err := o.Validate(); err != nil {
				t.Errorf("%s seed %d: %v", sc.Name, seed, err)
			}
			if o.Scenario != sc.Name || o.Seed != seed {
				t.Errorf("%s seed %d: options name %q seed %d", sc.Name, seed, o.Scenario, o.Seed)
			}
		}
		if sc.Doc == "" {
			t.Errorf("%s has no doc", sc.Name)
		}
	}
	if _, err := scenarios.Lookup("no-such"); err == nil || !strings.Contains(err.Error(), "three-node-failover") {
		t.Errorf("Lookup of an unknown name: %v, want an error listing the known names", err)
	}
}

func TestSwarmDrawsFromTheSeed(t *testing.T) {
	a, b := scenarios.SwarmOptions(42).Describe(), scenarios.SwarmOptions(42).Describe()
	if a != b {
		t.Fatalf("same seed, different options:\n%s\n%s", a, b)
	}
	sizes := map[int]int{}
	distinct := map[string]bool{}
	for seed := uint64(0); seed < 200; seed++ {
		o := scenarios.SwarmOptions(seed)
		sizes[o.Config.Servers]++
		distinct[o.Describe()] = true
		if o.Workload.Ops != 500 {
			t.Fatalf("seed %d: swarm ops %d, want 500", seed, o.Workload.Ops)
		}
	}
	if len(distinct) != 200 {
		t.Errorf("200 seeds drew %d distinct option sets", len(distinct))
	}
	for _, n := range []int{3, 5, 7} {
		if sizes[n] == 0 {
			t.Errorf("no %d-server ensemble in 200 seeds: %v", n, sizes)
		}
	}
}

// TestSwarmSchedulesAreScripts: every drawn schedule is valid for its ensemble, prints
// as a script that parses back to itself, and the composite faults (majorities ring,
// swizzled clogs) do occur.
func TestSwarmSchedulesAreScripts(t *testing.T) {
	rings, swizzles := 0, 0
	for seed := uint64(0); seed < 300; seed++ {
		o := scenarios.SwarmOptions(seed)
		if err := o.Validate(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		text := o.Schedule.String()
		back, err := scenarios.ParseSchedule(strings.NewReader(text), "drawn")
		if err != nil || back.String() != text {
			t.Fatalf("seed %d: drawn schedule does not round-trip (%v):\n%s", seed, err, text)
		}
		for i := 1; i < len(o.Schedule); i++ {
			a, b := o.Schedule[i-1], o.Schedule[i]
			if a.Kind == scenarios.Partition && b.Kind == scenarios.Partition && a.At == b.At {
				rings++ // only a ring draws two partitions at one instant
				break
			}
		}
		for _, first := range o.Schedule {
			links := 0 // links of first's server clogged within the swizzle window
			for _, ev := range o.Schedule {
				if ev.Kind == scenarios.Clog && first.Kind == scenarios.Clog && ev.A[0] == first.A[0] &&
					ev.At >= first.At && ev.At-first.At < 500*time.Millisecond {
					links++
				}
			}
			if links >= o.Config.Servers-1 {
				swizzles++
				break
			}
		}
	}
	if rings == 0 || swizzles == 0 {
		t.Errorf("300 seeds drew %d majorities rings and %d swizzles, want some of each", rings, swizzles)
	}
}

func TestNamedScenarioJitterKeepsOrder(t *testing.T) {
	sc, _ := scenarios.Lookup("repeated-leader-crashes")
	o1, o2 := sc.Options(1), sc.Options(2)
	if o1.Schedule.String() == o2.Schedule.String() {
		t.Errorf("seeds 1 and 2 give the same fault times:\n%s", o1.Schedule)
	}
	for i := 1; i < len(o1.Schedule); i++ {
		if o1.Schedule[i].At < o1.Schedule[i-1].At {
			t.Fatalf("jittered schedule out of order:\n%s", o1.Schedule)
		}
	}
}

func runToy(t *testing.T, o *scenarios.Options) *scenarios.Result {
	t.Helper()
	r, err := scenarios.Run(o, scenariotest.NewToy, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunLeaderIsolatedOnToy(t *testing.T) {
	sc, _ := scenarios.Lookup("leader-isolated")
	o := sc.Options(7)
	r := runToy(t, o)
	if r.Verdict != scenarios.OK || !r.Converged {
		t.Fatalf("default toy: verdict %s converged %v: %s\n%s", r.Verdict, r.Converged, r.Explanation, r.TimelineString())
	}
	tl := r.TimelineString()
	for _, want := range []string{"fault partition 3 | 1,2", "leader 3 established in epoch 1 (first election 200ms)", "leader 2 established in epoch 2 after 200ms without one", "fault heal", "converged"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	if r.FaultsFired != 2 || len(r.Elections) < 2 {
		t.Errorf("fired %d faults, %d elections; want 2 and at least 2:\n%s", r.FaultsFired, len(r.Elections), tl)
	}
	o.Variant = scenariotest.BugVariant
	r = runToy(t, o)
	if r.Verdict != scenarios.Correctness || r.Check != "no-acked-write-lost" {
		t.Fatalf("buggy toy: verdict %s check %q, want correctness no-acked-write-lost\n%s", r.Verdict, r.Check, r.TimelineString())
	}
}

func TestRunIsDeterministic(t *testing.T) {
	var t1, t2 strings.Builder
	o := scenarios.SwarmOptions(9)
	r1, _ := scenarios.Run(o, scenariotest.NewToy, &t1)
	r2, _ := scenarios.Run(o, scenariotest.NewToy, &t2)
	if r1.TimelineString() != r2.TimelineString() || t1.String() != t2.String() || t1.Len() == 0 || r1.TraceHash != r2.TraceHash {
		t.Fatal("two runs of one seed differ (or wrote no trace)")
	}
}

func TestRunLivenessWhenNeverConverging(t *testing.T) {
	o := scenarios.SwarmOptions(3)
	o.Schedule = nil
	r, err := scenarios.Run(o, func(o *scenarios.Options, w io.Writer) (scenarios.Cluster, error) {
		c, err := scenariotest.NewToy(o, w)
		return stuck{c}, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != scenarios.Liveness || r.Check != "converge-after-heal" || !strings.Contains(r.Explanation, "did not converge within") {
		t.Fatalf("verdict %s %q: %s", r.Verdict, r.Check, r.Explanation)
	}
	if r.End != o.SafetyFor+o.LivenessFor {
		t.Errorf("run ended at %s, want the end of the liveness bound %s", r.End, o.SafetyFor+o.LivenessFor)
	}
}

// stuck is a cluster that never converges.
type stuck struct{ scenarios.Cluster }

func (stuck) Converged() bool { return false }

// panicky panics when the first fault hits, as a server with a broken invariant would.
type panicky struct{ scenarios.Cluster }

func (panicky) Crash(int, bool) { panic("zab: two leaders in epoch 3") }

func TestRunPanicIsCrashVerdict(t *testing.T) {
	sc, _ := scenarios.Lookup("three-node-failover")
	r, err := scenarios.Run(sc.Options(1), func(o *scenarios.Options, w io.Writer) (scenarios.Cluster, error) {
		c, err := scenariotest.NewToy(o, w)
		return panicky{c}, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != scenarios.CrashVerdict || !strings.Contains(r.Explanation, "two leaders in epoch 3") {
		t.Fatalf("verdict %s: %s", r.Verdict, r.Explanation)
	}
	if r.Verdict.ExitCode() != 127 {
		t.Errorf("crash exit code %d, want 127", r.Verdict.ExitCode())
	}
}

func TestValidateRejectsBadOptions(t *testing.T) {
	sc, _ := scenarios.Lookup("three-node-failover")
	o := sc.Options(1)
	o.Schedule = append(o.Schedule, scenarios.Event{At: time.Second * 29, Kind: scenarios.Crash, Host: 4})
	if _, err := scenarios.Run(o, scenariotest.NewToy, nil); err == nil || !strings.Contains(err.Error(), "server 4 does not exist") {
		t.Errorf("schedule naming server 4 of 3: %v", err)
	}
	o = sc.Options(1)
	o.Schedule = append(o.Schedule, scenarios.Event{At: time.Minute, Kind: scenarios.Heal})
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "after the safety phase") {
		t.Errorf("event after the safety phase: %v", err)
	}
	o = sc.Options(1)
	o.Workload.Clients = 0
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "need at least one client") {
		t.Errorf("ops without clients: %v", err)
	}
}

// findFailingSwarmSeed returns the first swarm seed from 1 on that fails on the buggy toy.
func findFailingSwarmSeed(t *testing.T) *scenarios.Options {
	for seed := uint64(1); seed < 200; seed++ {
		o := scenarios.SwarmOptions(seed)
		o.Variant = scenariotest.BugVariant
		if r := runToy(t, o); r.Verdict == scenarios.Correctness {
			return o
		}
	}
	t.Fatal("no swarm seed in 1..199 finds the toy's planted bug")
	return nil
}

func TestShrinkReducesAFailingSwarmSeed(t *testing.T) {
	o := findFailingSwarmSeed(t)
	sr, err := scenarios.Shrink(o, scenariotest.NewToy, 0)
	if err != nil {
		t.Fatal(err)
	}
	min := sr.Minimal
	if min.Verdict != scenarios.Correctness || min.Check != sr.Original.Check {
		t.Fatalf("minimal run: %s %q, original %s %q", min.Verdict, min.Check, sr.Original.Verdict, sr.Original.Check)
	}
	if n := len(min.Options.Schedule); n > 2 || n >= len(o.Schedule) {
		t.Fatalf("shrunk %d events to %d, want at most 2:\n%s", len(o.Schedule), n, min.Options.Schedule)
	}
	// The printed minimal schedule is a script that reproduces the failure.
	sched, err := scenarios.ParseSchedule(strings.NewReader(min.Options.Schedule.String()), "minimal")
	if err != nil {
		t.Fatal(err)
	}
	again := *min.Options
	again.Schedule = sched
	if r := runToy(t, &again); r.Verdict != scenarios.Correctness {
		t.Fatalf("printed minimal schedule does not reproduce: %s\n%s", r.Verdict, sched)
	}
	t.Logf("seed %d: %d events -> %d in %d runs:\n%s", o.Seed, len(o.Schedule), len(min.Options.Schedule), sr.Runs, min.Options.Schedule)
}

func TestShrinkRefusesAPassingRun(t *testing.T) {
	sc, _ := scenarios.Lookup("three-node-failover")
	_, err := scenarios.Shrink(sc.Options(1), scenariotest.NewToy, 0)
	if err == nil || !strings.Contains(err.Error(), "nothing to shrink") {
		t.Fatalf("shrinking a passing run: %v", err)
	}
}

func ExampleParseSchedule() {
	s, err := scenarios.ParseSchedule(strings.NewReader("at 5s partition leader|rest # isolate\nat 18s heal\n"), "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(s)
	_, err = scenarios.ParseSchedule(strings.NewReader("at 1s crash 1\nat 2s explode 2\n"), "bad.txt")
	fmt.Println(err)
	// Output:
	// at 5s partition leader | rest
	// at 18s heal
	// scenarios: bad.txt:2: unknown event "explode" (want one of crash, restart, pause, partition, heal, clog, fsync-error, disk-full, drift)
}

// budgeted is a cluster whose world stops advancing at 3 s, as a world that ran out of
// its step budget does.
type budgeted struct{ scenarios.Cluster }

func (b budgeted) RunUntil(t time.Duration) error {
	if t > 3*time.Second {
		return fmt.Errorf("sim: steps budget exceeded")
	}
	return b.Cluster.RunUntil(t)
}

func TestRunStopsWhenTheWorldStops(t *testing.T) {
	sc, _ := scenarios.Lookup("three-node-failover")
	r, err := scenarios.Run(sc.Options(1), func(o *scenarios.Options, w io.Writer) (scenarios.Cluster, error) {
		c, err := scenariotest.NewToy(o, w)
		return budgeted{c}, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != scenarios.CrashVerdict || r.Check != "world-stopped" || r.End != 3*time.Second {
		t.Fatalf("verdict %s %q at %s, want crash world-stopped at 3s", r.Verdict, r.Check, r.End)
	}
	if tl := r.TimelineString(); !strings.Contains(tl, "the world stopped: sim: steps budget exceeded") || strings.Contains(tl, "liveness phase") {
		t.Errorf("timeline:\n%s", tl)
	}
}

func TestShrinkCheckKeepsTheNamedFailure(t *testing.T) {
	o := findFailingSwarmSeed(t)
	if _, err := scenarios.ShrinkCheck(o, scenariotest.NewToy, 0, "one-leader-per-epoch"); err == nil ||
		!strings.Contains(err.Error(), `does not fail "one-leader-per-epoch" (it fails no-acked-write-lost)`) {
		t.Fatalf("shrinking for a check the run does not fail: %v", err)
	}
	sr, err := scenarios.ShrinkCheck(o, scenariotest.NewToy, 0, "no-acked-write-lost")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(sr.Minimal.Failed, "no-acked-write-lost") || len(sr.Minimal.Options.Schedule) > 2 {
		t.Fatalf("minimal run fails %v with %d events", sr.Minimal.Failed, len(sr.Minimal.Options.Schedule))
	}
}
