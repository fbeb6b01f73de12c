package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ShrinkResult is a failing run made small.
type ShrinkResult struct {
	Original *Result // the failing run as given
	Minimal  *Result // the smallest run found that fails the same check
	Runs     int     // runs spent shrinking
}

// DefaultShrinkRuns bounds the runs Shrink spends when given no budget.
const DefaultShrinkRuns = 400

// Shrink looks for a smaller fault schedule (and workload) on which the same seed still
// fails the same check with the same verdict: it deletes chunks of events and then single
// events (delta debugging), then simplifies what is left (untorn crashes, shorter faults,
// earlier times), then shrinks the workload. Only a failure of the same check counts, so
// shrinking never drifts to a different bug. maxRuns bounds the runs (0: the default).
func Shrink(o *Options, backend Backend, maxRuns int) (*ShrinkResult, error) {
	return ShrinkCheck(o, backend, maxRuns, "")
}

// ShrinkCheck is Shrink keeping one named failure: a smaller run counts if check is
// among its failed checks, whatever failed first. Use it when a run breaks several
// checks and the one of interest is not the first. An empty check is Shrink.
func ShrinkCheck(o *Options, backend Backend, maxRuns int, check string) (*ShrinkResult, error) {
	if maxRuns <= 0 {
		maxRuns = DefaultShrinkRuns
	}
	first, err := Run(o, backend, nil)
	if err != nil {
		return nil, err
	}
	if first.Verdict == OK {
		return nil, fmt.Errorf("scenarios: %s seed %d passes; there is nothing to shrink", o.Scenario, o.Seed)
	}
	if check != "" && !slices.Contains(first.Failed, check) {
		return nil, fmt.Errorf("scenarios: %s seed %d does not fail %q (it fails %s)", o.Scenario, o.Seed, check, strings.Join(first.Failed, ", "))
	}
	s := &shrinker{backend: backend, want: first.Judgement, best: first, budget: maxRuns, check: check}
	s.deleteEvents()
	s.simplifyEvents()
	s.shrinkWorkload()
	s.deleteEvents() // simpler events sometimes make more of them removable
	return &ShrinkResult{Original: first, Minimal: s.best, Runs: s.runs}, nil
}

type shrinker struct {
	backend Backend
	want    Judgement
	best    *Result
	runs    int
	budget  int
	check   string // keep this failed check instead of the same verdict and first check
}

// try runs a candidate and keeps it if it fails the same way.
func (s *shrinker) try(o *Options) bool {
	if s.runs >= s.budget {
		return false
	}
	s.runs++
	r, err := Run(o, s.backend, nil)
	if err != nil || !s.sameFailure(r) {
		return false
	}
	s.best = r
	return true
}

func (s *shrinker) sameFailure(r *Result) bool {
	if s.check != "" {
		return slices.Contains(r.Failed, s.check)
	}
	return r.Verdict == s.want.Verdict && r.Check == s.want.Check
}

func (s *shrinker) withSchedule(sched Schedule) *Options {
	o := *s.best.Options
	o.Schedule = sched
	return &o
}

// deleteEvents removes chunks of events, halving the chunk size down to one.
func (s *shrinker) deleteEvents() {
	for chunk := max(1, len(s.best.Options.Schedule)/2); chunk >= 1; chunk /= 2 {
		for i := 0; i < len(s.best.Options.Schedule); {
			sched := s.best.Options.Schedule
			cand := slices.Concat(sched[:i], sched[min(i+chunk, len(sched)):])
			if !s.try(s.withSchedule(cand)) {
				i += chunk
			}
		}
	}
}

// simplifyEvents tries, for each event, simpler versions of it.
func (s *shrinker) simplifyEvents() {
	for i := range s.best.Options.Schedule {
		for _, simpler := range simplerEvents(s.best.Options.Schedule, i) {
			cand := slices.Clone(s.best.Options.Schedule)
			cand[i] = simpler
			if s.try(s.withSchedule(cand)) {
				break
			}
		}
	}
}

// simplerEvents lists candidate replacements for event i, simplest first: an untorn
// crash, a two-way partition, a shorter fault, an earlier time (rounded to whole seconds
// and no earlier than the event before).
func simplerEvents(sched Schedule, i int) []Event {
	ev := sched[i]
	var out []Event
	if ev.Torn {
		e := ev
		e.Torn = false
		out = append(out, e)
	}
	if ev.Once {
		e := ev
		e.Once = false
		out = append(out, e)
	}
	if ev.For > time.Second {
		e := ev
		e.For = (ev.For / 2).Truncate(time.Millisecond)
		out = append(out, e)
	}
	floor := time.Duration(0)
	if i > 0 {
		floor = sched[i-1].At
	}
	if at := ev.At.Truncate(time.Second); at > floor && at < ev.At {
		e := ev
		e.At = at
		out = append(out, e)
	}
	return out
}

// shrinkWorkload halves the operation count and the clients while the failure stays.
func (s *shrinker) shrinkWorkload() {
	for s.best.Options.Workload.Ops > 10 {
		o := *s.best.Options
		o.Workload.Ops /= 2
		if !s.try(&o) {
			break
		}
	}
	for s.best.Options.Workload.Clients > 1 {
		o := *s.best.Options
		o.Workload.Clients--
		if !s.try(&o) {
			break
		}
	}
}
