package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zabsim/zabsim/scenarios"
	"github.com/zabsim/zabsim/scenarios/scenariotest"
)

// zabsim runs the command line in-process and returns its exit code and outputs.
func zabsim(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badScript := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(badScript, []byte("at 1s crash 1\nat 2s explode 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"run"}, exitUsage, "want SCENARIO SEED, got 0 arguments"},
		{[]string{"run", "swarm", "x1"}, exitUsage, `bad seed "x1"`},
		{[]string{"run", "nope", "1"}, exitUsage, `unknown scenario "nope"`},
		{[]string{"run", "--bogus", "swarm", "1"}, exitUsage, "flag provided but not defined: -bogus"},
		{[]string{"run", "swarm", "1", "--backend", "cloud"}, exitUsage, `unknown --backend "cloud"`},
		{[]string{"run", "swarm", "1", "--ops", "-5"}, exitUsage, "must not be negative"},
		{[]string{"run", "swarm", "1", "--variant", "9.9.9"}, exitUsage, `--variant: zab: unknown variant "9.9.9"`},
		{[]string{"explore", "--variant", "9.9.9"}, exitUsage, `--variant: zab: unknown variant "9.9.9"`},
		{[]string{"run", "swarm", "1", "--schedule", filepath.Join(dir, "missing.txt")}, exitError, "missing.txt: no such file"},
		{[]string{"run", "swarm", "1", "--schedule", badScript}, exitError, `bad.txt:2: unknown event "explode"`},
		{[]string{"explore", "--shard", "3/3"}, exitUsage, `bad --shard "3/3"`},
		{[]string{"explore", "a", "b"}, exitUsage, "want at most one SCENARIO"},
		{[]string{"shrink", "swarm"}, exitUsage, "want SCENARIO SEED, got 1 arguments"},
		{[]string{"shrink", "swarm", "1", "--max-runs", "0"}, exitUsage, "--max-runs must be at least 1"},
		{[]string{"replay", "--variant"}, exitUsage, "flag needs an argument: -variant"},
		{[]string{"scenarios", "extra"}, exitUsage, "takes no arguments"},
	}
	for _, tt := range tests {
		code, _, stderr := zabsim(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("zabsim %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.stderr)
		}
		if tt.code == exitUsage && tt.args[0] != "frobnicate" && !strings.Contains(stderr, "usage: zabsim "+tt.args[0]) {
			t.Errorf("zabsim %s: usage error without the command's usage:\n%s", strings.Join(tt.args, " "), stderr)
		}
	}
}

func TestHelpEverywhere(t *testing.T) {
	code, out, _ := zabsim(t, "--help")
	if code != exitOK || !strings.Contains(out, "usage: zabsim <command>") {
		t.Fatalf("zabsim --help: exit %d\n%s", code, out)
	}
	names := make([]string, 0, len(commands))
	for name := range commands { //det:unordered-ok sorted below
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		code, _, stderr := zabsim(t, name, "--help")
		if code != exitOK || !strings.Contains(stderr, "usage: zabsim "+name) {
			t.Errorf("zabsim %s --help: exit %d\n%s", name, code, stderr)
		}
	}
}

func TestScenariosListsTheCatalog(t *testing.T) {
	code, out, _ := zabsim(t, "scenarios")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, sc := range scenarios.Catalog() {
		if !strings.Contains(out, sc.Name+"\n    ") {
			t.Errorf("scenarios output lacks %s:\n%s", sc.Name, out)
		}
	}
}

// TestRunIsByteForByte: the same seed prints the same output and writes the same report,
// on the simulated ensemble.
func TestRunIsByteForByte(t *testing.T) {
	for _, args := range [][]string{{"run", "swarm", "7"}, {"run", "leader-isolated", "3"}} {
		d1, d2 := t.TempDir(), t.TempDir()
		c1, out1, err1 := zabsim(t, append(args, "--report", d1)...)
		c2, out2, _ := zabsim(t, append(args, "--report", d2)...)
		out1 = strings.ReplaceAll(out1, d1, "REPORT")
		out2 = strings.ReplaceAll(out2, d2, "REPORT")
		if c1 != c2 || out1 != out2 {
			t.Fatalf("%v: two runs differ: exit %d vs %d\n--- first\n%s\n--- second\n%s", args, c1, c2, out1, out2)
		}
		if c1 == exitUsage || c1 == exitError {
			t.Fatalf("%v: exit %d: %s", args, c1, err1)
		}
		for _, want := range []string{"scenario   " + args[1], "timeline\n", "verdict    ", "report     REPORT"} {
			if !strings.Contains(out1, want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out1)
			}
		}
		for _, name := range []string{"options.txt", "schedule.txt", "timeline.txt", "trace.txt", "summary.json", "history.json"} {
			b1, err := os.ReadFile(filepath.Join(d1, name))
			if err != nil {
				t.Fatalf("%v: report: %v", args, err)
			}
			b2, _ := os.ReadFile(filepath.Join(d2, name))
			if !bytes.Equal(b1, b2) || len(b1) == 0 {
				t.Errorf("%v: report file %s differs between runs (or is empty)", args, name)
			}
		}
	}
}

// exploreJSON runs explore --json and decodes its lines.
func exploreJSON(t *testing.T, args ...string) []seedResult {
	t.Helper()
	_, out, stderr := zabsim(t, append([]string{"explore", "--json"}, args...)...)
	var rs []seedResult
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r seedResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("explore --json line %q: %v (stderr %s)", line, err, stderr)
		}
		rs = append(rs, r)
	}
	return rs
}

func TestExploreShardsSplitTheSweep(t *testing.T) {
	all := exploreJSON(t, "--backend", "toy", "--seeds", "30", "--workers", "3")
	var merged []seedResult
	for _, shard := range []string{"0/3", "1/3", "2/3"} {
		merged = append(merged, exploreJSON(t, "--backend", "toy", "--seeds", "30", "--shard", shard)...)
	}
	slices.SortFunc(merged, func(a, b seedResult) int { return int(a.Seed) - int(b.Seed) })
	if len(all) != 30 || !slices.Equal(all, merged) {
		t.Fatalf("three shards do not add up to the sweep:\n%v\n%v", all, merged)
	}
}

// TestPlantedBugIsFoundReproducedAndShrunk: on the toy's planted bug, explore reports
// failing seeds with a repro command, each repro fails the same way, and shrink reduces
// one to a script of at most two faults that run accepts and that still fails.
func TestPlantedBugIsFoundReproducedAndShrunk(t *testing.T) {
	code, out, _ := zabsim(t, "explore", "--backend", "toy", "--variant", scenariotest.BugVariant, "--seeds", "60")
	if code != scenarios.Correctness.ExitCode() {
		t.Fatalf("explore exit %d, want %d:\n%s", code, scenarios.Correctness.ExitCode(), out)
	}
	var repros []string
	for _, line := range strings.Split(out, "\n") {
		if _, cmd, ok := strings.Cut(line, "zabsim run "); ok {
			repros = append(repros, cmd)
		}
	}
	if len(repros) == 0 || !strings.Contains(out, "failing: ") {
		t.Fatalf("explore listed no repro commands:\n%s", out)
	}
	for _, cmd := range repros[:min(3, len(repros))] {
		args := append([]string{"run"}, strings.Fields(cmd)...)
		code, runOut, _ := zabsim(t, append(args, "--report", "-")...)
		if code != scenarios.Correctness.ExitCode() || !strings.Contains(runOut, "verdict    correctness (no-acked-write-lost)") {
			t.Errorf("zabsim run %s: exit %d\n%s", cmd, code, runOut)
		}
	}
	fields := strings.Fields(repros[0])
	script := filepath.Join(t.TempDir(), "min.txt")
	code, shrinkOut, stderr := zabsim(t, append([]string{"shrink", "--out", script}, fields...)...)
	if code != exitOK {
		t.Fatalf("shrink %s: exit %d %s", repros[0], code, stderr)
	}
	events := 0
	var reproLine string
	for _, line := range strings.Split(shrinkOut, "\n") {
		if strings.HasPrefix(line, "at ") {
			events++
		}
		if _, cmd, ok := strings.Cut(line, "# reproduce: zabsim "); ok {
			reproLine = cmd
		}
	}
	if events == 0 || events > 2 || reproLine == "" {
		t.Fatalf("shrink printed %d events (want 1 or 2) and repro %q:\n%s", events, reproLine, shrinkOut)
	}
	code, runOut, _ := zabsim(t, append(strings.Fields(reproLine), "--report", "-")...)
	if code != scenarios.Correctness.ExitCode() {
		t.Fatalf("the shrunk script does not reproduce (exit %d):\n%s\n%s", code, shrinkOut, runOut)
	}
}

// stuckCluster blocks inside RunUntil until released, as a server looping inside one
// event would.
type stuckCluster struct {
	scenarios.Cluster
	release chan struct{}
}

func (s stuckCluster) RunUntil(t time.Duration) error {
	<-s.release
	return s.Cluster.RunUntil(t)
}

func TestExploreReportsAHungSeed(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	backends["stuck-on-3"] = func(string) scenarios.Backend {
		return func(o *scenarios.Options, w io.Writer) (scenarios.Cluster, error) {
			c, err := scenariotest.NewToy(o, w)
			if o.Seed == 3 {
				return stuckCluster{c, release}, err
			}
			return c, err
		}
	}
	defer delete(backends, "stuck-on-3")
	code, out, _ := zabsim(t, "explore", "--backend", "stuck-on-3", "--seeds", "4", "--seed-timeout", "300ms")
	if code != exitError || !strings.Contains(out, "hang") || !strings.Contains(out, "zabsim run swarm 3 --backend stuck-on-3") ||
		!strings.Contains(out, "4 seeds, 1 failing: 1 new, 0 known ZooKeeper 3.8 weaknesses (3 ok, 1 hang)") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestExploreIsDeterministic: a sweep on the simulated ensemble gives the same per-seed
// verdicts whatever the number of workers.
func TestExploreIsDeterministic(t *testing.T) {
	one := exploreJSON(t, "--seeds", "12", "--workers", "1")
	two := exploreJSON(t, "--seeds", "12", "--workers", "2")
	if len(one) != 12 || !slices.Equal(one, two) {
		t.Fatalf("1 worker and 2 workers disagree:\n%v\n%v", one, two)
	}
}

// flaky is a toy whose trace differs on every build: a nondeterministic world.
type flaky struct {
	scenarios.Cluster
	salt uint64
}

func (f flaky) TraceHash() uint64 { return f.Cluster.TraceHash() ^ f.salt }

func TestExploreCatchesANondeterministicWorld(t *testing.T) {
	builds := uint64(0)
	backends["flaky"] = func(string) scenarios.Backend {
		return func(o *scenarios.Options, w io.Writer) (scenarios.Cluster, error) {
			c, err := scenariotest.NewToy(o, w)
			builds++ // explore runs one world at a time here (--workers 1)
			return flaky{c, builds}, err
		}
	}
	defer delete(backends, "flaky")
	code, out, _ := zabsim(t, "explore", "--backend", "flaky", "--seeds", "6", "--workers", "1", "--recheck", "3")
	if code != exitNondeterministic || strings.Count(out, "nondeterministic") < 2 || !strings.Contains(out, "zabsim run swarm 3 --backend flaky") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = zabsim(t, "explore", "--backend", "toy", "--seeds", "6", "--recheck", "1")
	if code != exitOK {
		t.Fatalf("a deterministic world failed its recheck: exit %d\n%s", code, out)
	}
}

// TestExploreKnownWeaknessesDoNotFailTheSweep: swarm seed 23 reproduces a real ZooKeeper 3.8
// weakness (an acceptedEpoch rename lost in a power cut). explore lists it with its label
// but exits 0, unless --fail-on-known asks for the failure's own exit code.
func TestExploreKnownWeaknessesDoNotFailTheSweep(t *testing.T) {
	code, out, _ := zabsim(t, "explore", "--start", "23", "--seeds", "1")
	if code != exitOK || !strings.Contains(out, "zabsim run swarm 23") ||
		!strings.Contains(out, "known ZooKeeper 3.8 weakness:") ||
		!strings.Contains(out, "1 failing: 0 new, 1 known") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = zabsim(t, "explore", "--start", "23", "--seeds", "1", "--fail-on-known")
	if code != scenarios.Correctness.ExitCode() {
		t.Fatalf("--fail-on-known: exit %d, want %d:\n%s", code, scenarios.Correctness.ExitCode(), out)
	}
}
