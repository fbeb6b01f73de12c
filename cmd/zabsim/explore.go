package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zabsim/zabsim/scenarios"
)

func init() {
	register(&command{name: "explore", summary: "run many seeds across all cores and list the failing ones with their repro", run: exploreCmd})
}

const exploreDescription = `Runs SCENARIO (default swarm) for many seeds, one independent simulated world per
goroutine across all cores. Progress (seeds/s, failures so far) goes to stderr when it
is a terminal. At the end: a table of the failing seeds with the one command that
reproduces each, and a summary line. --json prints one JSON object a seed instead.
--shard i/n runs only the seeds whose index is i modulo n, so n batch jobs with the same
flags split a sweep and their outputs merge.

The default (swarm, 1000 seeds) finishes within a minute on two cores. A seed that
runs longer than --seed-timeout of wall time (a server stuck in a loop inside one event,
which the simulator's step budget cannot see) is reported as "hang" and left behind.
Every 20th seed (--recheck) runs twice and must end with the same event-trace hash;
one that does not is reported as "nondeterministic" (exit 130).
A failure that the harness can trace to a known weakness of real ZooKeeper 3.8 (an epoch
file rename lost in a power cut, a TRUNC that was never fsynced, ...) is listed with its
label but does not set the exit code unless --fail-on-known: a sweep fails on what is new.
Exit code: 0 if no seed failed (known weaknesses aside), else the exit code of the worst
verdict among the failing seeds.`

// exploreDefaultSeeds is the built-in default sweep size: it finishes within a minute on
// two cores (1000 swarm seeds took 34 s on this project's shared 2-core machine).
const exploreDefaultSeeds = 1000

// seedResult is one explored seed, as --json prints it.
type seedResult struct {
	Seed        uint64 `json:"seed"`
	Verdict     string `json:"verdict"`
	Check       string `json:"check,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	Known       string `json:"known,omitempty"` // the known ZooKeeper 3.8 weakness reproduced
	Servers     int    `json:"servers"`
	Faults      int    `json:"faults"`
	VirtualMs   int64  `json:"virtual_ms"`
	Repro       string `json:"repro,omitempty"`
	exit        int
}

func exploreCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("explore", "[SCENARIO]", exploreDescription, stderr)
	var rf runFlags
	rf.register(fs)
	seeds := fs.Int("seeds", exploreDefaultSeeds, "how many seeds to run (before sharding)")
	start := fs.Uint64("start", 1, "first seed")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel worlds")
	shard := fs.String("shard", "0/1", "run only shard `i/n` of the seeds (index modulo n == i)")
	jsonOut := fs.Bool("json", false, "print one JSON line per seed instead of the table")
	seedTimeout := fs.Duration("seed-timeout", 2*time.Minute, "wall time after which a seed is reported as a hang")
	recheck := fs.Uint64("recheck", 20, "run every `n`th seed twice and compare event-trace hashes (0: never)")
	failOnKnown := fs.Bool("fail-on-known", false, "let failures labelled as known ZooKeeper 3.8 weaknesses set the exit code too")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	name := "swarm"
	if len(pos) > 1 {
		return reportErr(usageErr("want at most one SCENARIO, got %q", strings.Join(pos, " ")), fs, stderr)
	} else if len(pos) == 1 {
		name = pos[0]
	}
	sc, err := scenarios.Lookup(name)
	if err != nil {
		return reportErr(usageErr("%v", err), fs, stderr)
	}
	shardI, shardN, err := parseShard(*shard)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	if *seeds < 0 || *workers < 1 || *seedTimeout <= 0 {
		return reportErr(usageErr("--seeds must not be negative, --workers at least 1, --seed-timeout positive"), fs, stderr)
	}
	backend, err := rf.backendFunc("")
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	// Check the overrides once, on the first seed, so a bad --schedule is one error.
	if _, err := rf.options(sc, *start); err != nil {
		return reportErr(err, fs, stderr)
	}
	var list []uint64
	for i := 0; i < *seeds; i++ {
		if i%shardN == shardI {
			list = append(list, *start+uint64(i))
		}
	}
	e := &explorer{sc: sc, rf: &rf, backend: backend, stdout: stdout, progress: progressWriter(stderr), json: *jsonOut,
		seedTimeout: *seedTimeout, recheck: *recheck, failOnKnown: *failOnKnown}
	return e.run(list, *workers)
}

func parseShard(s string) (int, int, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, usageErr("bad --shard %q: want i/n with 0 <= i < n", s)
	}
	return i, n, nil
}

// progressWriter is stderr when it is a terminal, else nil (no progress in logs).
func progressWriter(stderr io.Writer) io.Writer {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return stderr
}

type explorer struct {
	sc       *scenarios.Scenario
	rf       *runFlags
	backend  scenarios.Backend
	stdout   io.Writer
	progress io.Writer
	json     bool
	// seedTimeout is the wall time after which a seed counts as hung.
	seedTimeout time.Duration
	// recheck: seeds divisible by it run twice, and must end with the same trace hash
	// (FoundationDB's unseed check, on a deterministic 1/recheck sample).
	recheck uint64
	// failOnKnown lets failures labelled as known ZooKeeper weaknesses count for the exit code.
	failOnKnown bool
}

// run explores the seeds on workers goroutines. Each world is independent and owned by
// one goroutine; results are printed in seed order whatever order they finish in.
func (e *explorer) run(seeds []uint64, workers int) int {
	began := time.Now()
	jobs := make(chan int)
	done := make(chan int)
	results := make([]seedResult, len(seeds))
	var wg sync.WaitGroup
	for range min(workers, max(1, len(seeds))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = e.runSeedGuarded(seeds[i])
				done <- i
			}
		}()
	}
	go func() {
		for i := range seeds {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		close(done)
	}()
	finished := make([]bool, len(seeds))
	next, failures, count := 0, 0, 0
	for i := range done {
		finished[i] = true
		count++
		if results[i].Verdict != scenarios.OK.String() {
			failures++
		}
		for next < len(seeds) && finished[next] {
			e.printSeed(&results[next])
			next++
		}
		if e.progress != nil {
			rate := float64(count) / time.Since(began).Seconds()
			fmt.Fprintf(e.progress, "\r%d/%d seeds  %.1f seeds/s  %d failing ", count, len(seeds), rate, failures)
		}
	}
	if e.progress != nil {
		fmt.Fprintln(e.progress)
	}
	return e.finish(results, time.Since(began))
}

// runSeedGuarded runs a seed on a goroutine of its own and gives up on it after the
// seed timeout: a world stuck inside one event cannot be stopped, only abandoned (it
// shares nothing with the other worlds).
func (e *explorer) runSeedGuarded(seed uint64) seedResult {
	out := make(chan seedResult, 1)
	go func() { out <- e.runSeed(seed) }()
	timer := time.NewTimer(e.seedTimeout)
	defer timer.Stop()
	select {
	case r := <-out:
		return r
	case <-timer.C:
		r := seedResult{Seed: seed, Verdict: "hang", exit: exitError,
			Explanation: fmt.Sprintf("still running after %s of wall time", e.seedTimeout)}
		if o, err := e.rf.options(e.sc, seed); err == nil {
			r.Servers = o.Config.Servers
			r.Repro = repro("run", o, e.rf, e.rf.schedule)
		}
		return r
	}
}

func (e *explorer) runSeed(seed uint64) seedResult {
	o, err := e.rf.options(e.sc, seed)
	if err != nil {
		return seedResult{Seed: seed, Verdict: "error", Explanation: err.Error(), exit: exitError}
	}
	res, err := scenarios.Run(o, e.backend, nil)
	if err != nil {
		return seedResult{Seed: seed, Verdict: "error", Explanation: err.Error(), exit: exitError}
	}
	r := seedResult{Seed: seed, Verdict: res.Verdict.String(), Check: res.Check, Servers: o.Config.Servers,
		Faults: res.FaultsFired, VirtualMs: res.End.Milliseconds(), exit: res.Verdict.ExitCode()}
	if e.recheck > 0 && seed%e.recheck == 0 {
		if again, err := scenarios.Run(o, e.backend, nil); err != nil || again.TraceHash != res.TraceHash || again.Verdict != res.Verdict {
			r.Verdict, r.Check, r.exit = "nondeterministic", "same-seed-same-run", exitNondeterministic
			r.Explanation = fmt.Sprintf("a second run of the seed ended differently (trace hash %#x vs %#x)", res.TraceHash, traceHashOf(again))
			r.Repro = repro("run", o, e.rf, e.rf.schedule)
			return r
		}
	}
	if res.Verdict != scenarios.OK {
		r.Explanation = firstLine(res.Explanation)
		r.Repro = repro("run", o, e.rf, e.rf.schedule)
	}
	if res.Known != nil {
		r.Known = res.Known.ID
	}
	return r
}

// exitNondeterministic is explore's exit code when a seed did not replay identically.
const exitNondeterministic = 130

func traceHashOf(r *scenarios.Result) uint64 {
	if r == nil {
		return 0
	}
	return r.TraceHash
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (e *explorer) printSeed(r *seedResult) {
	if !e.json {
		return
	}
	b, err := json.Marshal(r)
	if err != nil {
		panic("zabsim: marshal seed result: " + err.Error())
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
}

// finish prints the failure table and the summary and picks the exit code.
func (e *explorer) finish(results []seedResult, wall time.Duration) int {
	worst, failures, known := exitOK, 0, 0
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Verdict]++
		if r.exit == exitOK {
			continue
		}
		failures++
		if r.Known != "" {
			known++
			if !e.failOnKnown {
				continue
			}
		}
		if worst == exitOK || r.exit > worst {
			worst = r.exit
		}
	}
	rate := float64(len(results)) / max(wall.Seconds(), 1e-9)
	if e.json {
		return worst
	}
	if failures > 0 {
		fmt.Fprintf(e.stdout, "%-12s %-12s %-26s %s\n", "SEED", "VERDICT", "CHECK", "REPRODUCE")
		for _, r := range results {
			if r.exit != exitOK {
				fmt.Fprintf(e.stdout, "%-12d %-12s %-26s %s\n", r.Seed, r.Verdict, r.Check, r.Repro)
				if r.Repro == "" {
					fmt.Fprintf(e.stdout, "             %s\n", r.Explanation)
				}
				if r.Known != "" {
					fmt.Fprintf(e.stdout, "             known ZooKeeper 3.8 weakness: %s\n", r.Known)
				}
			}
		}
	}
	var parts []string
	for _, v := range []string{"ok", "inconclusive", "liveness", "correctness", "crash", "nondeterministic", "hang", "error"} {
		if counts[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[v], v))
		}
	}
	fmt.Fprintf(e.stdout, "%s: %d seeds, %d failing: %d new, %d known ZooKeeper 3.8 weaknesses (%s) in %.1fs wall, %.1f seeds/s = %.0f seeds/min\n",
		e.sc.Name, len(results), failures, failures-known, known, strings.Join(parts, ", "), wall.Seconds(), rate, rate*60)
	return worst
}
