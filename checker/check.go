package checker

import (
	"fmt"
	"slices"
	"time"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// Options tune Check. The zero value is usable.
type Options struct {
	// PartitionBudget is the wall-clock budget Porcupine gets per partition (default 10 s).
	// A partition that runs out is reported as inconclusive, never as a pass or a failure.
	PartitionBudget time.Duration
	// VisualizeDir, if set, receives one Porcupine HTML file per non-linearizable
	// partition (linearizability-NNN.html), annotated with Input.Annotations.
	VisualizeDir string
	// SkipLinearizability turns the Porcupine layer off (the read layer still runs).
	SkipLinearizability bool
	// ContainersPersist models container nodes as persistent ones. Valid only when the
	// leader's container manager cannot have run: a run shorter than its 60 s check
	// interval, or a harness that disables it. Otherwise partitions with containers are
	// not checked (reported inconclusive).
	ContainersPersist bool
}

// Annotation marks an interval (a fault, a leader's reign) on the visualisation.
type Annotation struct {
	Tag         string // the row, e.g. "nemesis" or "leader"
	Start, End  int64  // virtual ns; End < Start marks a point
	Description string
	Details     string
}

// FinalServer is one server's committed history at the end of the run, for the
// lost-write check.
type FinalServer struct {
	Server int
	// SnapshotZxid: txns at or below it are inside a snapshot and not listed in Zxids.
	SnapshotZxid int64
	// Zxids are the zxids of the txns after SnapshotZxid in the server's final history
	// (its log, replayed as recovery would), increasing.
	Zxids []int64
}

// Input is everything one run gives the checker. Only History is required.
type Input struct {
	History History
	// Replicas is the online replica checker the harness fed during the run (optional).
	Replicas *Replicas
	// Final are the servers' final histories (optional); every acknowledged write inside
	// the range one of them lists must be in it (InvLostWrite).
	Final []FinalServer
	// Liveness, if set, turns on the liveness checks.
	Liveness *Liveness
	// Annotations for the visualisation (faults, leader changes).
	Annotations []Annotation
	// Crash, if the run itself crashed (a server panic, a harness error), is reported as
	// VerdictCrash with this message.
	Crash   string
	Options Options
}

// Check judges one run: the history's well-formedness, linearizability of the writes
// (Porcupine), the session and read guarantees, the replica invariants collected online,
// lost acknowledged writes, and liveness. It never panics on a malformed history: bad
// entries are reported as InvHistoryWellFormed failures.
func Check(in Input) Report {
	var rep Report
	h := normalize(&in.History)
	rep.Stats.Ops = len(h.Ops)
	if in.Crash != "" {
		rep.Failures = append(rep.Failures, Failure{Invariant: InvCrash, Explanation: in.Crash})
	}
	if bad := validate(h); len(bad) > 0 {
		rep.Failures = append(rep.Failures, bad...)
		rep.finish()
		return rep
	}
	for i := range h.Ops {
		if h.Ops[i].Outcome == OutcomeUnknown {
			rep.Stats.UnknownOps++
		}
	}
	or := newOracle(h, in.Replicas)
	if !in.Options.SkipLinearizability {
		checkLinearizable(h, &in, or, &rep)
	}
	rep.Failures = append(rep.Failures, checkReads(h, &rep.Stats, or)...)
	if in.Replicas != nil {
		rep.Failures = append(rep.Failures, in.Replicas.Failures()...)
	}
	rep.Failures = append(rep.Failures, checkLostWrites(h, in.Final, in.Replicas)...)
	if in.Liveness != nil {
		fs, inconclusive := in.Liveness.check(h, in.Replicas)
		rep.Failures = append(rep.Failures, fs...)
		if inconclusive != "" {
			rep.Inconclusive = append(rep.Inconclusive, inconclusive)
		}
	}
	rep.finish()
	return rep
}

// normalize returns the history with every multi whose answer lists a failed sub-op
// recorded as a failed multi (OutcomeError with the failing sub-op's code), whatever the
// reply header said: ZooKeeper's client treats such a multi as failed, and so does the
// checker. The caller's history is not modified; it is copied only if something changes.
func normalize(h *History) *History {
	out := h
	for i := range h.Ops {
		o := &h.Ops[i]
		code, failed := multiFailedCode(o)
		if !failed || (o.Outcome == OutcomeError && o.Err == code) {
			continue
		}
		if out == h {
			out = &History{Ops: slices.Clone(h.Ops), InitialPaths: h.InitialPaths}
		}
		out.Ops[i].Outcome, out.Ops[i].Err = OutcomeError, code
	}
	return out
}

// multiFailedCode returns the code of the sub-op that failed a multi, from its results.
func multiFailedCode(o *Op) (clientproto.ErrCode, bool) {
	if o.Kind != KindMulti || o.Outcome == OutcomeUnknown {
		return 0, false
	}
	for _, r := range o.Result.Multi {
		if r.Err != clientproto.ErrOK && r.Err != clientproto.ErrRuntimeInconsistency {
			return r.Err, true
		}
	}
	return 0, false
}

// validate reports entries no correct recorder produces; the checks below rely on them
// being absent.
func validate(h *History) []Failure {
	var bad []Failure
	add := func(i int, format string, args ...any) {
		if len(bad) < 20 {
			bad = append(bad, Failure{Invariant: InvHistoryWellFormed, Ops: []int{i},
				Explanation: fmt.Sprintf("op %d: ", i) + fmt.Sprintf(format, args...)})
		}
	}
	for i := range h.Ops {
		o := &h.Ops[i]
		switch {
		case o.Kind < KindCreate || o.Kind > KindSessionExpired:
			add(i, "unknown kind %d", o.Kind)
		case o.Outcome < OutcomeOK || o.Outcome > OutcomeUnknown:
			add(i, "unknown outcome %d", o.Outcome)
		case o.Outcome != OutcomeUnknown && o.Return < o.Call:
			add(i, "returns at %d before its call at %d", o.Return, o.Call)
		case o.Kind == KindMulti && o.Outcome == OutcomeOK && len(o.Result.Multi) != 0 && len(o.Result.Multi) != len(o.SubOps):
			add(i, "multi has %d sub-ops but %d results", len(o.SubOps), len(o.Result.Multi))
		case needsPath(o.Kind) && !validPath(o.Path):
			add(i, "bad path %q", o.Path)
		}
		for _, s := range o.SubOps {
			if !validPath(s.Path) || !isSubOpKind(s.Kind) {
				add(i, "bad multi sub-op %s %q", s.Kind, s.Path)
				break
			}
		}
	}
	return bad
}

// isSubOpKind reports whether k may appear inside a multi.
func isSubOpKind(k Kind) bool {
	return k == KindCreate || k == KindDelete || k == KindSetData || k == KindCheck
}

func needsPath(k Kind) bool {
	return k != KindMulti && k != KindCloseSession && k != KindSessionExpired
}

// validPath accepts what a client could send: paths the server itself rejects (with
// BADARGUMENTS, e.g. "/a/" or "//x") are legitimate history entries.
func validPath(p string) bool {
	return len(p) > 0 && p[0] == '/'
}

// checkLostWrites fails every acknowledged write that the end of the run does not hold:
//   - a final history whose range covers its zxid lacks it. A FinalServer covers the
//     zxids from its first listed one (or SnapshotZxid+1, whichever is higher) to its last
//     listed one; older zxids may sit in a snapshot and are not judged;
//   - with a Replicas checker that saw commits: no server ever committed it, although the
//     server that answered the client must have applied it first.
func checkLostWrites(h *History, final []FinalServer, r *Replicas) []Failure {
	var out []Failure
	for i := range h.Ops {
		o := &h.Ops[i]
		z := writeZxid(o)
		if z <= 0 || o.Kind == KindCloseSession {
			continue
		}
		if r != nil && len(r.committed) > 0 && !r.IsCommitted(z) {
			out = append(out, lostWrite(i, o, z, -1))
			continue
		}
		for _, f := range final {
			if !f.covers(z) {
				continue
			}
			if _, ok := slices.BinarySearch(f.Zxids, z); !ok {
				out = append(out, lostWrite(i, o, z, f.Server))
				break
			}
		}
	}
	return out
}

// covers reports whether zxid lies in the range the final history lists.
func (f *FinalServer) covers(zxid int64) bool {
	n := len(f.Zxids)
	return n > 0 && zxid > f.SnapshotZxid && zxid >= f.Zxids[0] && zxid <= f.Zxids[n-1]
}

func lostWrite(i int, o *Op, z int64, server int) Failure {
	where := "no server ever committed it"
	servers := []int(nil)
	if server >= 0 {
		where = fmt.Sprintf("server %d's final history skips it", server)
		servers = []int{server}
	}
	return Failure{Invariant: InvLostWrite, Ops: []int{i}, Zxid: z, Servers: servers,
		Explanation: fmt.Sprintf("acknowledged write at zxid 0x%x is lost (%s): %s", z, where, o.Describe())}
}

// writeZxid is the zxid of an acknowledged (OK) write, or 0: the Stat's mzxid where the
// reply carried one, else the reply zxid.
func writeZxid(o *Op) int64 {
	if !o.Kind.IsWrite() || o.Outcome != OutcomeOK {
		return 0
	}
	if o.Kind == KindSetData && o.Result.Stat != nil {
		return o.Result.Stat.Mzxid
	}
	if o.Kind == KindCreate && o.Result.Stat != nil {
		return o.Result.Stat.Czxid
	}
	return max(0, o.ReplyZxid)
}
