package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zabsim/zabsim/scenarios"
)

func init() {
	register(&command{name: "run", summary: "run one scenario with one seed: options, timeline, verdict, report dir", run: runCmd})
}

const runDescription = `Runs SCENARIO (see 'zabsim scenarios') with SEED: prints the options the seed drew,
a compact timeline of roles, faults and elections, and the verdict; writes a report
directory (options, schedule, timeline, full trace, client history, Porcupine HTML on
failure, summary.json). The same seed prints the same output, byte for byte.

Exit codes: 0 ok, 3 inconclusive, 128 liveness, 129 correctness, 127 crash,
1 error, 2 usage.`

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "SCENARIO SEED", runDescription, stderr)
	var rf runFlags
	rf.register(fs)
	reportDir := fs.String("report", "", "report `dir` (default zabsim-reports/SCENARIO-SEED; \"-\" for none)")
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
	dir := *reportDir
	if dir == "" {
		dir = filepath.Join("zabsim-reports", fmt.Sprintf("%s-%d", o.Scenario, o.Seed))
	}
	visualizeDir := ""
	if dir != "-" {
		visualizeDir = filepath.Join(dir, "porcupine")
	}
	backend, err := rf.backendFunc(visualizeDir)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	var trace strings.Builder
	res, err := scenarios.Run(o, backend, &trace)
	if err != nil {
		return reportErr(err, fs, stderr)
	}
	printRun(stdout, res, repro("run", o, &rf, rf.schedule))
	if dir != "-" {
		if err := writeReport(dir, res, trace.String(), repro("run", o, &rf, rf.schedule)); err != nil {
			fmt.Fprintf(stderr, "zabsim run: writing the report: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stdout, "report     %s\n", dir)
	}
	return res.Verdict.ExitCode()
}

// printRun prints the banner, the timeline and the verdict of a run.
func printRun(w io.Writer, res *scenarios.Result, reproCmd string) {
	fmt.Fprint(w, res.Options.Describe())
	fmt.Fprintln(w, "timeline")
	for _, l := range res.Timeline {
		fmt.Fprintf(w, "  %s\n", l)
	}
	printVerdict(w, res, reproCmd)
}

func printVerdict(w io.Writer, res *scenarios.Result, reproCmd string) {
	fmt.Fprintf(w, "verdict    %s", res.Verdict)
	if res.Check != "" {
		fmt.Fprintf(w, " (%s)", strings.Join(res.Failed, ", "))
	}
	fmt.Fprintf(w, "  at %s virtual, %d faults fired, %d skipped\n", res.End, res.FaultsFired, res.FaultsSkipped)
	if res.Explanation != "" {
		for _, line := range strings.Split(strings.TrimRight(res.Explanation, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	if res.Known != nil {
		fmt.Fprintf(w, "known      real ZooKeeper 3.8 weakness %s\n", res.Known)
	}
	if res.Verdict != scenarios.OK {
		fmt.Fprintf(w, "reproduce  %s\n", reproCmd)
	}
}

// summary is summary.json in a report directory.
type summary struct {
	Scenario    string   `json:"scenario"`
	Seed        uint64   `json:"seed"`
	Variant     string   `json:"variant"`
	Servers     int      `json:"servers"`
	Verdict     string   `json:"verdict"`
	ExitCode    int      `json:"exit_code"`
	Check       string   `json:"check,omitempty"`
	Failed      []string `json:"failed,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Known       string   `json:"known,omitempty"` // the known ZooKeeper 3.8 weakness reproduced
	Repro       string   `json:"repro"`
	VirtualMs   int64    `json:"virtual_ms"`
	Faults      int      `json:"faults_fired"`
	Skipped     int      `json:"faults_skipped"`
	ElectionsMs []int64  `json:"elections_ms"`
	Converged   bool     `json:"converged"`
}

func newSummary(res *scenarios.Result, reproCmd string) summary {
	s := summary{
		Scenario: res.Options.Scenario, Seed: res.Options.Seed, Variant: res.Options.Variant,
		Servers: res.Options.Config.Servers, Verdict: res.Verdict.String(), ExitCode: res.Verdict.ExitCode(),
		Check: res.Check, Failed: res.Failed, Explanation: res.Explanation, Repro: reproCmd, VirtualMs: res.End.Milliseconds(),
		Faults: res.FaultsFired, Skipped: res.FaultsSkipped, Converged: res.Converged,
		ElectionsMs: []int64{},
	}
	if res.Known != nil {
		s.Known = res.Known.String()
	}
	for _, e := range res.Elections {
		s.ElectionsMs = append(s.ElectionsMs, e.Milliseconds())
	}
	return s
}

// writeReport writes the report directory of a run.
func writeReport(dir string, res *scenarios.Result, trace, reproCmd string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sum, err := json.MarshalIndent(newSummary(res, reproCmd), "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"options.txt":  []byte(res.Options.Describe()),
		"schedule.txt": []byte(res.Options.Schedule.String()),
		"timeline.txt": []byte(res.TimelineString()),
		"trace.txt":    []byte(trace),
		"summary.json": append(sum, '\n'),
	}
	if len(res.Visualizations) > 0 {
		files["porcupine.txt"] = []byte(strings.Join(res.Visualizations, "\n") + "\n")
	}
	if len(res.HistoryJSON) > 0 {
		files["history.json"] = res.HistoryJSON
	}
	for _, name := range []string{"options.txt", "schedule.txt", "timeline.txt", "trace.txt", "summary.json", "history.json", "porcupine.txt"} {
		data, ok := files[name]
		if !ok {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
