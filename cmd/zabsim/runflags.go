package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/zabsim/zabsim/scenarios"
	"github.com/zabsim/zabsim/scenarios/scenariotest"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
)

// backends maps --backend names to cluster builders, given the directory that receives
// Porcupine visualisations ("" for none). "sim" is the simulated ZooKeeper ensemble;
// "toy" is the scenarios package's test double, which lets the tool itself be tested
// fast and with a planted bug.
var backends = map[string]func(visualizeDir string) scenarios.Backend{
	"sim": scenarios.SimBackend,
	"toy": func(string) scenarios.Backend { return scenariotest.NewToy },
}

// defaultBackend is the backend used without --backend.
const defaultBackend = "sim"

func backendNames() string {
	names := make([]string, 0, len(backends))
	for n := range backends { //det:unordered-ok sorted below
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// errUsage marks an error that is the user's (bad flag or argument): exit 2 with usage.
var errUsage = errors.New("usage")

func usageErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// newFlagSet makes a flag set whose errors and -h output go to stderr, with the usage
// line and description printed above the flags.
func newFlagSet(name, argsUsage, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zabsim %s [flags] %s\n\n%s\n\nflags:\n", name, argsUsage, description)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags anywhere among the arguments ("run swarm 7 --report d" and
// "run --report d swarm 7" both work) and returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// exitForParse turns a flag-parse error into an exit code: -h is success, anything else
// a usage error (the flag package has already printed the message and the usage).
func exitForParse(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// runFlags are the flags that choose one run: which scenario instance, on what.
type runFlags struct {
	schedule string
	variant  string
	ops      int
	clients  int
	backend  string
	disk     string
}

func (f *runFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.schedule, "schedule", "", "fault script `file` replacing the scenario's schedule (the format `zabsim shrink` prints)")
	fs.StringVar(&f.variant, "variant", "", "server `variant` (default: the scenario's; zab's default is the most-fixed 3.9.3 behaviour)")
	fs.IntVar(&f.ops, "ops", 0, "client operations (default: the scenario's)")
	fs.IntVar(&f.clients, "clients", 0, "clients (default: the scenario's)")
	fs.StringVar(&f.disk, "disk", "", "disk durability `model`: ordered (ext4 data=ordered), strict (POSIX: names need a directory fsync) or reordered (pages persist in any order) (default: the scenario's)")
	fs.StringVar(&f.backend, "backend", defaultBackend, "what to run on: sim (the simulated ZooKeeper ensemble) or toy (a test double for the tool itself)")
}

// parseSeed reads a seed: decimal or 0x-prefixed hex uint64.
func parseSeed(s string) (uint64, error) {
	seed, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, usageErr("bad seed %q: want an unsigned integer (decimal or 0x hex)", s)
	}
	return seed, nil
}

// scenarioAndSeed reads the two positional arguments every run-like command takes.
func scenarioAndSeed(pos []string) (*scenarios.Scenario, uint64, error) {
	if len(pos) != 2 {
		return nil, 0, usageErr("want SCENARIO SEED, got %d arguments (see 'zabsim scenarios' for the names)", len(pos))
	}
	sc, err := scenarios.Lookup(pos[0])
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", errUsage, err)
	}
	seed, err := parseSeed(pos[1])
	return sc, seed, err
}

// options builds the run's options: the scenario's for the seed, then the overrides.
func (f *runFlags) options(sc *scenarios.Scenario, seed uint64) (*scenarios.Options, error) {
	o := sc.Options(seed)
	if f.schedule != "" {
		file, err := os.Open(f.schedule)
		if err != nil {
			return nil, fmt.Errorf("zabsim: --schedule: %v", err)
		}
		defer file.Close()
		if o.Schedule, err = scenarios.ParseSchedule(file, f.schedule); err != nil {
			return nil, err
		}
	}
	if f.variant != "" {
		if _, err := zab.ParseVariant(f.variant); err != nil && f.backend == "sim" {
			return nil, usageErr("--variant: %v", err)
		}
		o.Variant = f.variant
	}
	if f.disk != "" {
		if _, err := sim.ParseDiskModel(f.disk); err != nil {
			return nil, usageErr("--disk: %v", err)
		}
		o.Disk.Model = f.disk
	}
	if f.ops < 0 || f.clients < 0 {
		return nil, usageErr("--ops and --clients must not be negative")
	}
	if f.ops > 0 {
		o.Workload.Ops = f.ops
	}
	if f.clients > 0 {
		o.Workload.Clients = f.clients
	}
	return o, o.Validate()
}

// backendFunc resolves --backend; visualizeDir receives Porcupine's HTML on failure.
func (f *runFlags) backendFunc(visualizeDir string) (scenarios.Backend, error) {
	b, ok := backends[f.backend]
	if !ok {
		return nil, usageErr("unknown --backend %q (available: %s)", f.backend, backendNames())
	}
	return b(visualizeDir), nil
}

// repro is the one command that reproduces a run of these options.
func repro(cmd string, o *scenarios.Options, f *runFlags, scheduleFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "zabsim %s %s %d", cmd, o.Scenario, o.Seed)
	if scheduleFile != "" {
		fmt.Fprintf(&b, " --schedule %s", scheduleFile)
	}
	if f.variant != "" {
		fmt.Fprintf(&b, " --variant %s", o.Variant)
	}
	if f.disk != "" {
		fmt.Fprintf(&b, " --disk %s", o.Disk.Model)
	}
	if f.ops > 0 {
		fmt.Fprintf(&b, " --ops %d", o.Workload.Ops)
	}
	if f.clients > 0 {
		fmt.Fprintf(&b, " --clients %d", o.Workload.Clients)
	}
	if f.backend != defaultBackend {
		fmt.Fprintf(&b, " --backend %s", f.backend)
	}
	return b.String()
}

// reportErr prints an error the way every command does and returns its exit code.
func reportErr(err error, fs *flag.FlagSet, stderr io.Writer) int {
	if errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "zabsim %s: %s\n\n", fs.Name(), strings.TrimPrefix(err.Error(), "usage: "))
		fs.Usage()
		return exitUsage
	}
	fmt.Fprintf(stderr, "zabsim %s: %v\n", fs.Name(), err)
	return exitError
}
