package checker

import (
	"fmt"
	"strings"
)

// Verdict is the judgement of one run.
type Verdict uint8

// Verdicts, from best to worst precedence order used by Report.Verdict: a crash beats a
// correctness failure, which beats a liveness failure, which beats inconclusive.
const (
	VerdictOK           Verdict = iota + 1 // every check ran to the end and passed
	VerdictInconclusive                    // nothing failed, but some check could not finish
	VerdictLiveness                        // no progress within the bound after faults healed
	VerdictCorrectness                     // a safety property was violated
	VerdictCrash                           // the run itself crashed (a panic in a server, the harness) or recorded a malformed history
)

func (v Verdict) String() string {
	switch v {
	case VerdictOK:
		return "ok"
	case VerdictInconclusive:
		return "inconclusive"
	case VerdictLiveness:
		return "liveness failure"
	case VerdictCorrectness:
		return "correctness failure"
	case VerdictCrash:
		return "crash"
	}
	return fmt.Sprintf("verdict(%d)", v)
}

// Invariant names. Every Failure carries one; tests and tools match on them.
const (
	InvLinearizable      = "linearizable-writes"   // Porcupine: writes are linearizable
	InvUniqueZxid        = "W1-unique-write-zxid"  // distinct acknowledged writes, distinct zxids
	InvZxidRealTime      = "W2-zxid-real-time"     // a write that returned before another began has a smaller zxid
	InvMonotonicSession  = "R1-session-monotonic"  // per session, reply zxids never go backwards
	InvReadYourWrites    = "R2-read-your-writes"   // a read sees its session's acknowledged writes
	InvSessionFIFO       = "R2-session-fifo"       // a session's acknowledged writes commit in send order
	InvReadSnapshot      = "R3-read-is-snapshot"   // a read is the committed state at its reply zxid
	InvNoFutureReads     = "R4-no-future-reads"    // a read never shows a write invoked after it returned
	InvOneLeaderPerEpoch = "one-leader-per-epoch"  // at most one established leader per epoch
	InvSameTxnAtZxid     = "same-txn-at-zxid"      // the same zxid carries the same txn everywhere
	InvCommittedPrefix   = "committed-prefix"      // servers commit the same sequence, without gaps
	InvLostWrite         = "no-lost-acked-write"   // an acknowledged write is in the final history
	InvDigest            = "digest-at-zxid"        // equal zxid, equal tree digest
	InvEpochMonotonic    = "epochs-monotonic"      // acceptedEpoch/currentEpoch never go down
	InvEphemeralOwner    = "ephemerals-live-owner" // no ephemeral of a closed session
	InvLeaderElected     = "liveness-leader"       // a leader is established after healing
	InvConverged         = "liveness-convergence"  // servers converge after healing
	InvOpsComplete       = "liveness-ops-complete" // client calls complete after healing
	InvHistoryWellFormed = "history-well-formed"   // the recorded history is self-consistent
	InvCrash             = "run-crashed"           // the run crashed
)

// Failure is one violated property, explained.
type Failure struct {
	Invariant   string // one of the Inv* names
	Explanation string // one or two sentences, naming the ops/servers/zxids involved
	Ops         []int  // indices into History.Ops of the ops involved (may be empty)
	Servers     []int  // servers involved (replica and liveness failures)
	Zxid        int64  // the zxid involved, or 0
	At          int64  // virtual time the failure was seen (replica failures), or 0
}

func (f Failure) String() string {
	return f.Invariant + ": " + f.Explanation
}

// Report is the result of Check.
type Report struct {
	Verdict  Verdict
	Failures []Failure // every violation found, in the order the checks ran
	// Inconclusive lists checks that could not finish (a Porcupine partition that ran
	// out of its budget), each with what it covered. Never silently passed.
	Inconclusive []string
	// Visualizations are the HTML files written for failing linearizability partitions.
	Visualizations []string
	Stats          Stats
}

// Stats counts what the checks covered.
type Stats struct {
	Ops             int // ops in the history
	UnknownOps      int // ops with an unknown outcome
	LinOps          int // ops given to Porcupine (pseudo-ops included)
	Partitions      int // Porcupine partitions
	LargestPart     int // ops in the largest partition
	ResolvedUnknown int // unknown writes whose Return was clamped by an observation
	ExcludedOps     int // writes left out of Porcupine as a sound weakening (see doc.go)
	DroppedNoOps    int // unknown writes left out because they fail wherever placed
	SkippedParts    int // partitions not checked (unsupported features, e.g. containers)
	ReadsChecked    int // reads checked by R3/R4
}

// Failed reports whether any failure was found.
func (r Report) Failed() bool { return len(r.Failures) > 0 }

// Has reports whether a failure of the named invariant was found.
func (r Report) Has(invariant string) bool {
	for _, f := range r.Failures {
		if f.Invariant == invariant {
			return true
		}
	}
	return false
}

// String renders the verdict, every failure and every inconclusive check.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verdict: %s\n", r.Verdict)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  FAIL %s\n", f)
	}
	for _, s := range r.Inconclusive {
		fmt.Fprintf(&b, "  INCONCLUSIVE %s\n", s)
	}
	for _, s := range r.Visualizations {
		fmt.Fprintf(&b, "  see %s\n", s)
	}
	return b.String()
}

// finish computes the verdict from the failures and inconclusive checks.
func (r *Report) finish() {
	r.Verdict = VerdictOK
	if len(r.Inconclusive) > 0 {
		r.Verdict = VerdictInconclusive
	}
	for _, f := range r.Failures {
		r.Verdict = max(r.Verdict, verdictOf(f.Invariant))
	}
}

func verdictOf(invariant string) Verdict {
	switch invariant {
	case InvCrash, InvHistoryWellFormed:
		return VerdictCrash // the run or its recording is broken, not the system under test
	case InvLeaderElected, InvConverged, InvOpsComplete:
		return VerdictLiveness
	}
	return VerdictCorrectness
}
