package scenarios_test

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/zabsim/zabsim/scenarios"
	"github.com/zabsim/zabsim/scenarios/scenariotest"
)

// genEvent draws one fault event for an ensemble of servers hosts, at most at safetyMs.
func genEvent(servers int, safetyMs int64) *rapid.Generator[scenarios.Event] {
	return rapid.Custom(func(t *rapid.T) scenarios.Event {
		kinds := []scenarios.Kind{scenarios.Crash, scenarios.Restart, scenarios.Pause, scenarios.Partition,
			scenarios.Heal, scenarios.Clog, scenarios.FsyncError, scenarios.DiskFull, scenarios.Drift}
		ev := scenarios.Event{
			At:   time.Duration(rapid.Int64Range(0, safetyMs).Draw(t, "atMs")) * time.Millisecond,
			Kind: rapid.SampledFrom(kinds).Draw(t, "kind"),
		}
		host := func(label string) scenarios.Host {
			if rapid.Bool().Draw(t, label+"IsLeader") {
				return scenarios.Leader
			}
			return scenarios.Host(rapid.IntRange(1, servers).Draw(t, label))
		}
		forMs := func() time.Duration {
			return time.Duration(rapid.Int64Range(1, 15000).Draw(t, "forMs")) * time.Millisecond
		}
		switch ev.Kind {
		case scenarios.Crash:
			ev.Host, ev.Torn = host("host"), rapid.Bool().Draw(t, "torn")
		case scenarios.Restart:
			ev.Host = scenarios.All
		case scenarios.Pause, scenarios.FsyncError, scenarios.DiskFull:
			ev.Host, ev.For = host("host"), forMs()
		case scenarios.Partition:
			ev.A, ev.B = []scenarios.Host{host("side")}, []scenarios.Host{scenarios.Rest}
			ev.Once = rapid.Bool().Draw(t, "oneWay")
		case scenarios.Clog:
			a := rapid.IntRange(1, servers).Draw(t, "clogA")
			b := rapid.IntRange(1, servers-1).Draw(t, "clogB")
			if b >= a {
				b++
			}
			ev.A, ev.B, ev.For = []scenarios.Host{scenarios.Host(a)}, []scenarios.Host{scenarios.Host(b)}, forMs()
		case scenarios.Drift:
			ev.Host, ev.PPM = host("host"), rapid.Int64Range(-100000, 100000).Draw(t, "ppm")
		}
		return ev
	})
}

// genOptions draws a three-node run with a generated fault schedule.
func genOptions(t *rapid.T, variant string) *scenarios.Options {
	sc, _ := scenarios.Lookup("three-node-failover")
	o := sc.Options(rapid.Uint64Range(0, 1000).Draw(t, "seed"))
	o.Variant = variant
	o.Workload.Ops = 200
	sched := rapid.SliceOfN(genEvent(o.Config.Servers, o.SafetyFor.Milliseconds()), 0, 12).Draw(t, "schedule")
	slices.SortStableFunc(sched, func(a, b scenarios.Event) int { return int(a.At - b.At) })
	o.Schedule = sched
	return o
}

// checkRun runs the options and fails with one call site per verdict class, so rapid's
// shrinker (which keeps a smaller case only if it fails at the same place) never drifts
// from one kind of failure to another.
func checkRun(t *rapid.T, o *scenarios.Options, backend scenarios.Backend) {
	r, err := scenarios.Run(o, backend, nil)
	if err != nil {
		t.Fatalf("run could not start: %v", err)
	}
	switch r.Verdict {
	case scenarios.Correctness:
		t.Fatalf("correctness (%s): %s\nschedule:\n%s", r.Check, r.Explanation, o.Schedule)
	case scenarios.Liveness:
		t.Fatalf("liveness (%s): %s\nschedule:\n%s", r.Check, r.Explanation, o.Schedule)
	case scenarios.CrashVerdict:
		t.Fatalf("crash: %s\nschedule:\n%s", r.Explanation, o.Schedule)
	case scenarios.Inconclusive:
		t.Fatalf("inconclusive (%s): %s\nschedule:\n%s", r.Check, r.Explanation, o.Schedule)
	}
}

// TestPropertyGeneratedSchedules: any generated fault schedule leaves a correct
// ensemble safe and, once healed, live.
func TestPropertyGeneratedSchedules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkRun(t, genOptions(t, ""), scenariotest.NewToy)
	})
}

// recordingTB stands in for *testing.T so a test can watch rapid find and shrink a
// failure it expects.
type recordingTB struct {
	*testing.T
	failed bool
	msgs   []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Error(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recordingTB) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recordingTB) Fatal(args ...any)                 { r.Error(args...) }
func (r *recordingTB) Fail()                             { r.failed = true }
func (r *recordingTB) FailNow()                          { r.failed = true }
func (r *recordingTB) Failed() bool                      { return r.failed }

// TestRapidShrinksThePlantedBug: on the toy's planted bug, rapid finds a failing
// schedule and shrinks it to one or two faults.
func TestRapidShrinksThePlantedBug(t *testing.T) {
	// A fail file would be replayed by the property test above; this failure is expected.
	if err := flag.Set("rapid.nofailfile", "true"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("rapid.nofailfile", "false")
	// rapid's shrinker is a heuristic search: from a rare starting case it can stop at a
	// local minimum of 3-4 events (seen once in many random runs). A fixed generator seed
	// keeps this test's bound a statement about one reproducible search rather than a
	// flake; seeds 1-12 all shrink to 1-2 events.
	if err := flag.Set("rapid.seed", "1"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("rapid.seed", "0")
	rec := &recordingTB{T: t}
	rapid.Check(rec, func(t *rapid.T) {
		checkRun(t, genOptions(t, scenariotest.BugVariant), scenariotest.NewToy)
	})
	if !rec.failed {
		t.Fatal("rapid did not find the planted bug")
	}
	out := strings.Join(rec.msgs, "\n")
	_, sched, ok := strings.Cut(out, "schedule:\n")
	if !ok || !strings.Contains(out, "correctness (no-acked-write-lost)") {
		t.Fatalf("rapid's failure is not the planted bug:\n%s", out)
	}
	lines := 0
	for _, l := range strings.Split(sched, "\n") {
		if strings.HasPrefix(l, "at ") {
			lines++
		}
	}
	if lines == 0 || lines > 2 {
		t.Fatalf("rapid's minimal schedule has %d events, want 1 or 2:\n%s", lines, out)
	}
}

var simProperty = flag.Bool("sim.property", false, "run TestPropertySimSchedules: rapid-generated fault schedules on the simulated ensemble")

// TestPropertySimSchedules is the property over the real simulated ensemble: any
// generated fault schedule leaves three ZooKeeper servers safe and, once healed, live.
// It is opt-in (-sim.property) because it is a bug finder over other packages' code:
// a failure is a finding to file, printed as rapid's minimal schedule.
//
//	go test ./scenarios/ -run TestPropertySimSchedules -sim.property -rapid.checks 300
func TestPropertySimSchedules(t *testing.T) {
	if !*simProperty {
		t.Skip("opt-in bug finder: pass -sim.property")
	}
	if err := flag.Set("rapid.nofailfile", "true"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("rapid.nofailfile", "false")
	rapid.Check(t, func(t *rapid.T) {
		checkRun(t, genOptions(t, ""), scenarios.SimBackend(""))
	})
}
