package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zabsim/zabsim/scenarios"
)

func init() {
	register(&command{name: "shrink", summary: "reduce a failing seed to a minimal fault schedule, printed as a script", run: shrinkCmd})
}

const shrinkDescription = `Takes a failing SCENARIO SEED (with the same overrides as 'zabsim run') and searches
for the smallest fault schedule and workload on which the same seed still fails the
same check (or, with --check, any run that fails the named check among others). Prints
the minimal schedule as a script that 'zabsim run --schedule FILE'
accepts (and writes it to --out), with the command that reproduces it.
Exit code: 0 when a failure was shrunk, 1 if the run passes (nothing to shrink).`

func shrinkCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("shrink", "SCENARIO SEED", shrinkDescription, stderr)
	var rf runFlags
	rf.register(fs)
	out := fs.String("out", "", "also write the minimal schedule to this `file`")
	maxRuns := fs.Int("max-runs", scenarios.DefaultShrinkRuns, "most runs to spend shrinking")
	check := fs.String("check", "", "keep this failed `check` (default: the run's first failure, with its verdict)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	sc, seed, err := scenarioAndSeed(pos)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	if *maxRuns < 1 {
		return reportErr(usageErr("--max-runs must be at least 1"), fs, stderr)
	}
	o, err := rf.options(sc, seed)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	backend, err := rf.backendFunc("")
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	sr, err := scenarios.ShrinkCheck(o, backend, *maxRuns, *check)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	script := shrinkScript(sr, &rf, *out)
	fmt.Fprint(stdout, script)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(script), 0o644); err != nil {
			return reportErr(err, fs, stderr)
		}
	}
	return exitOK
}

// shrinkScript is the minimal schedule as a script whose comments say what it
// reproduces and how.
func shrinkScript(sr *scenarios.ShrinkResult, rf *runFlags, outFile string) string {
	min := sr.Minimal
	o := min.Options
	var b strings.Builder
	fmt.Fprintf(&b, "# %s seed %d fails %s (%s): %s\n", o.Scenario, o.Seed, min.Verdict, strings.Join(min.Failed, ", "), firstLine(min.Explanation))
	fmt.Fprintf(&b, "# shrunk from %d fault events and %d ops to %d events and %d ops in %d runs\n",
		len(sr.Original.Options.Schedule), sr.Original.Options.Workload.Ops, len(o.Schedule), o.Workload.Ops, sr.Runs)
	flags := *rf
	flags.ops, flags.clients = o.Workload.Ops, o.Workload.Clients
	file := outFile
	if file == "" {
		file = "SCRIPT"
		b.WriteString("# save this script as SCRIPT, then:\n")
	}
	fmt.Fprintf(&b, "# reproduce: %s\n", repro("run", o, &flags, file))
	b.WriteString(o.Schedule.String())
	return b.String()
}
