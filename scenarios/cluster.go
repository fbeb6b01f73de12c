package scenarios

import (
	"fmt"
	"io"
	"time"
)

// Cluster is the seam between a scenario and the ensemble it runs on: a simulated
// ZooKeeper ensemble with its clients (internal/cluster plus the checker, adapted by the
// command line), or a test double. Every method is called from one goroutine. Times are
// virtual, since the start of the run.
//
// The runner only drives faults and time; the cluster runs the workload it was built
// with, records the history, and judges it in Check.
type Cluster interface {
	// Now is the current virtual time.
	Now() time.Duration
	// RunUntil advances the world to virtual time t, running every event before it. An
	// error (a step budget exceeded) ends the run; Check then reports it.
	RunUntil(t time.Duration) error
	// Servers reports every server's state, ordered by id.
	Servers() []ServerStatus
	// Leader is the established leader (leading with a quorum synced to it), 0 if none.
	Leader() int

	Crash(id int, tornTail bool)
	Restart(id int) // a no-op on a host that is up
	Pause(id int, d time.Duration)
	// Partition cuts the links from every host in a to every host in b, and the reverse
	// unless oneWay. Partitions add up until Heal.
	Partition(a, b []int, oneWay bool)
	Clog(a, b int, d time.Duration)
	// Heal removes every partition and clog.
	Heal()
	// DiskFault makes fsync (FsyncError) or writes (DiskFull) fail on a host for d
	// (0: until ClearDiskFaults); logOnly limits it to the transaction log files.
	DiskFault(id int, k Kind, logOnly bool, d time.Duration)
	ClearDiskFaults()
	// Drift sets a host clock's rate error in parts per million.
	Drift(id int, ppm int64)
	// WorkloadDone reports whether the workload has issued all its operations and every
	// one has returned (or its client can no longer issue any).
	WorkloadDone() bool
	// StartLiveness marks the start of the liveness phase: the clients stop issuing new
	// operations (those in flight finish or fail); the runner then heals every fault.
	StartLiveness()

	// Converged reports whether the ensemble is serving again: a leader is established,
	// every server is up and has caught up with it, and no client operation is stuck.
	Converged() bool
	// Check judges everything so far: replica invariants and the client history.
	Check() Judgement
	// TraceHash is a running hash of every event so far: two runs of the same options
	// must end with the same hash (the determinism self-check).
	TraceHash() uint64
}

// Backend builds a fresh cluster for a run. trace, when non-nil, receives the full event
// trace, one line per event.
type Backend func(o *Options, trace io.Writer) (Cluster, error)

// ServerStatus is one server's state, as `zkServer.sh status` and `srvr` show it.
type ServerStatus struct {
	ID     int
	Mode   Mode
	Epoch  int64 // current epoch
	Zxid   int64 // last logged zxid
	Paused bool
}

// Mode is a server's role.
type Mode uint8

// Server modes. Down is a crashed (not yet restarted) host.
const (
	Down Mode = iota
	Looking
	Following
	Leading
)

func (m Mode) String() string {
	switch m {
	case Looking:
		return "looking"
	case Following:
		return "follower"
	case Leading:
		return "leader"
	}
	return "down"
}

// Verdict is a run's outcome.
type Verdict uint8

// Verdicts, best first. Their exit codes follow TigerBeetle's VOPR.
const (
	OK           Verdict = iota
	Inconclusive         // a check could not decide (e.g. the linearizability search timed out)
	Liveness             // the ensemble did not recover after every fault healed
	Correctness          // a safety property was violated
	CrashVerdict         // a server or the harness panicked: a broken internal invariant
)

var verdictNames = []string{"ok", "inconclusive", "liveness", "correctness", "crash"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// ParseVerdict reads a verdict name.
func ParseVerdict(s string) (Verdict, error) {
	for i, n := range verdictNames {
		if n == s {
			return Verdict(i), nil
		}
	}
	return 0, fmt.Errorf("scenarios: unknown verdict %q (want ok, inconclusive, liveness, correctness or crash)", s)
}

// ExitCode is the process exit code for a verdict: 0 ok, 3 inconclusive, 127 crash,
// 128 liveness, 129 correctness (1 and 2 are the command line's error and usage codes).
func (v Verdict) ExitCode() int {
	switch v {
	case OK:
		return 0
	case Inconclusive:
		return 3
	case Liveness:
		return 128
	case Correctness:
		return 129
	}
	return 127
}

// Judgement is the checker's answer about a run.
type Judgement struct {
	Verdict Verdict
	// Check names the check that failed (e.g. "linearizable-writes", "one-leader-per-epoch");
	// shrinking keeps a failure only if the same check fails.
	Check string
	// Failed lists every check that failed, Check first (a run can break several).
	Failed      []string
	Explanation string
	// Known, when set, says the failure is a faithful reproduction of a known weakness of
	// real ZooKeeper 3.8 (decided from facts: what the crashes undid on the disk of the
	// server that failed), not a bug of the simulator or of zabsim's server.
	Known *KnownIssue
	// HistoryJSON is the client history (may be empty); Visualizations are the
	// Porcupine HTML files the checker wrote for failing partitions.
	HistoryJSON    []byte
	Visualizations []string
}

// KnownIssue is a known ZooKeeper 3.8 weakness a run reproduced: an id (a ZooKeeper
// issue or a section of the fidelity reference) and a one-line explanation.
type KnownIssue struct {
	ID          string
	Explanation string
}

func (k *KnownIssue) String() string { return k.ID + ": " + k.Explanation }
