package main

import (
	"fmt"
	"io"

	"github.com/zabsim/zabsim/scenarios"
)

func init() {
	register(&command{name: "replay", summary: "rerun one seed printing the full event trace", run: replayCmd})
}

const replayDescription = `Reruns SCENARIO with SEED (and the same overrides as 'zabsim run') and prints the
full event trace, one line per simulated event, then the timeline and the verdict.
The exit code is the verdict's, as for 'zabsim run'.`

func replayCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("replay", "SCENARIO SEED", replayDescription, stderr)
	var rf runFlags
	rf.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	sc, seed, err := scenarioAndSeed(pos)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	o, err := rf.options(sc, seed)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	backend, err := rf.backendFunc("")
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	fmt.Fprint(stdout, o.Describe())
	fmt.Fprintln(stdout, "trace")
	res, err := scenarios.Run(o, backend, stdout)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	fmt.Fprintln(stdout, "timeline")
	for _, l := range res.Timeline {
		fmt.Fprintf(stdout, "  %s\n", l)
	}
	printVerdict(stdout, res, repro("replay", o, &rf, rf.schedule))
	return res.Verdict.ExitCode()
}
