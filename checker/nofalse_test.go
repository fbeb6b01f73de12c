package checker

import (
	"fmt"
	"testing"
	"time"
)

// genConfigs are the shapes of generated runs: the usual mix, many lost connections,
// none, and crowded roots (bigger partitions).
var genConfigs = []genConfig{
	{clients: 5, ops: 400, unknownRate: 0.08, opsPerRoot: 100, leaderEvery: 97},
	{clients: 5, ops: 400, unknownRate: 0.20, opsPerRoot: 100, leaderEvery: 31},
	{clients: 3, ops: 300, unknownRate: 0, opsPerRoot: 50},
	{clients: 8, ops: 600, unknownRate: 0.05, opsPerRoot: 300, leaderEvery: 200},
}

// TestGeneratedCorrectHistoriesPass is the no-false-alarm side: histories of a correct
// ZooKeeper — concurrency, stale follower reads, lost connections whose writes happen,
// never happen or happen late, reconnects to other servers, closes, expiries, leader
// changes — must pass every check, for every seed.
func TestGeneratedCorrectHistoriesPass(t *testing.T) {
	var total Stats
	runs := 0
	for ci, cfg := range genConfigs {
		for seed := uint64(1); seed <= 250; seed++ {
			h := generate(seed, cfg)
			// A generous budget: the heavy-unknown shape has partitions that take seconds,
			// and a slow machine must not turn them inconclusive.
			rep := Check(Input{History: h, Options: Options{PartitionBudget: time.Minute}})
			if rep.Verdict != VerdictOK {
				t.Fatalf("config %d seed %d judged %s:\n%s", ci, seed, rep.Verdict, rep.String())
			}
			runs++
			total.LinOps += rep.Stats.LinOps
			total.ReadsChecked += rep.Stats.ReadsChecked
			total.UnknownOps += rep.Stats.UnknownOps
			total.ResolvedUnknown += rep.Stats.ResolvedUnknown
			total.LargestPart = max(total.LargestPart, rep.Stats.LargestPart)
		}
	}
	// The runs must have exercised what they claim to.
	if total.LinOps < runs*100 || total.ReadsChecked < runs*50 || total.UnknownOps < runs*5 || total.ResolvedUnknown == 0 {
		t.Fatalf("generated runs too thin: %+v over %d runs", total, runs)
	}
	t.Logf("%d runs: %+v", runs, total)
}

// mutation plants one bug in a correct generated history; it returns false if the history
// has no place for it.
type mutation struct {
	name      string
	invariant string
	apply     func(h *History) bool
}

var mutations = []mutation{
	{"stat version off by one", InvLinearizable, mutateStatVersion},
	{"duplicate sequential suffix", InvLinearizable, mutateSequentialSuffix},
	{"session zxid going backwards", InvMonotonicSession, mutateSessionBackwards},
	{"read misses an acknowledged write", InvReadSnapshot, mutateStaleAtReplyZxid},
	{"lost conditional update", InvLinearizable, mutateDoubleCAS},
	{"read stat version off by one", InvReadSnapshot, mutateReadStat},
}

// TestGeneratedMutationsCaught is the no-miss side on realistic histories: each planted
// bug must be reported with its invariant, in every seed where it could be planted.
func TestGeneratedMutationsCaught(t *testing.T) {
	for _, m := range mutations {
		planted := 0
		for seed := uint64(1); seed <= 40; seed++ {
			h := generate(seed, genConfigs[0])
			if !m.apply(&h) {
				continue
			}
			planted++
			rep := Check(Input{History: h})
			if !rep.Has(m.invariant) {
				t.Errorf("%s, seed %d: want %s, got:\n%s", m.name, seed, m.invariant, rep.String())
			}
		}
		if planted < 20 {
			t.Errorf("%s: planted in only %d of 40 seeds", m.name, planted)
		}
	}
}

// unknownWritesTo lists paths some unknown write touches (a planted stat bug there could
// be explained by it).
func unknownWritesTo(h *History) map[string]bool {
	out := map[string]bool{}
	for i := range h.Ops {
		if o := &h.Ops[i]; o.Outcome == OutcomeUnknown {
			for _, s := range o.subOps() {
				out[s.Path] = true
			}
		}
	}
	return out
}

func mutateStatVersion(h *History) bool {
	unsure := unknownWritesTo(h)
	for i := len(h.Ops) - 1; i >= 0; i-- {
		o := &h.Ops[i]
		if o.Kind == KindSetData && o.Outcome == OutcomeOK && o.Result.Stat != nil && !unsure[o.Path] {
			st := *o.Result.Stat
			st.Version++
			o.Result.Stat = &st
			return true
		}
	}
	return false
}

func mutateSequentialSuffix(h *History) bool {
	last := map[string]int{}
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Kind != KindCreate || !isSequential(o.Flags) || o.Outcome != OutcomeOK {
			continue
		}
		if j, ok := last[o.Path]; ok && h.Ops[j].Return < o.Call {
			o.Result.CreatedPath = h.Ops[j].Result.CreatedPath
			return true
		}
		last[o.Path] = i
	}
	return false
}

func mutateSessionBackwards(h *History) bool {
	seen := map[int64]int{}
	for i := range h.Ops {
		o := &h.Ops[i]
		if !o.Kind.IsRead() || o.Outcome != OutcomeOK {
			continue
		}
		if j, ok := seen[o.Session]; ok && h.Ops[j].ReplyZxid > 1<<32 && h.Ops[j].Return < o.Call {
			o.ReplyZxid = h.Ops[j].ReplyZxid - 1
			return true
		}
		seen[o.Session] = i
	}
	return false
}

// mutateStaleAtReplyZxid makes a getData answer the value from before an acknowledged
// setData while claiming a reply zxid at or after it.
func mutateStaleAtReplyZxid(h *History) bool {
	for i := range h.Ops {
		w := &h.Ops[i]
		if w.Kind != KindSetData || w.Outcome != OutcomeOK || w.Result.Stat == nil || w.Result.Stat.Version < 2 {
			continue
		}
		for j := i + 1; j < len(h.Ops); j++ {
			r := &h.Ops[j]
			if r.Kind == KindGetData && r.Path == w.Path && r.Outcome == OutcomeOK && r.Result.Stat.Mzxid == w.Result.Stat.Mzxid {
				st := *r.Result.Stat
				st.Mzxid, st.Version = w.Result.Stat.Mzxid-1, st.Version-1
				r.Result.Stat = &st
				r.Result.Data = []byte(fmt.Sprintf("stale-%d", j))
				return true
			}
		}
	}
	return false
}

// mutateDoubleCAS turns a BadVersion answer of a conditional setData into success, as if
// two writers both won the same version.
func mutateDoubleCAS(h *History) bool {
	unsure := unknownWritesTo(h)
	for i := range h.Ops {
		o := &h.Ops[i]
		if o.Kind == KindSetData && o.Outcome == OutcomeError && o.Err == -103 && o.Version >= 0 && !unsure[o.Path] {
			o.Outcome, o.Err = OutcomeOK, 0
			return true
		}
	}
	return false
}

// TestGeneratedWithReplicaOracle: with the committed txns' headers (what the cluster
// harness feeds Replicas), every unknown write is resolved exactly, the checks pass, and
// the heavy-unknown runs need no search.
func TestGeneratedWithReplicaOracle(t *testing.T) {
	for ci, cfg := range genConfigs {
		for seed := uint64(1); seed <= 60; seed++ {
			h, _, reps := generateAll(seed, cfg)
			rep := Check(Input{History: h, Replicas: reps})
			if rep.Verdict != VerdictOK {
				t.Fatalf("config %d seed %d judged %s:\n%s", ci, seed, rep.Verdict, rep.String())
			}
			if cfg.unknownRate > 0 && rep.Stats.DroppedNoOps+rep.Stats.ResolvedUnknown == 0 {
				t.Fatalf("config %d seed %d: the oracle resolved nothing: %+v", ci, seed, rep.Stats)
			}
		}
	}
}

// mutateReadStat makes a getData answer the right value with a wrong version.
func mutateReadStat(h *History) bool {
	setAt := map[int64]bool{}
	for i := range h.Ops {
		if w := &h.Ops[i]; w.Kind == KindSetData && w.Outcome == OutcomeOK && w.Result.Stat != nil {
			setAt[w.Result.Stat.Mzxid] = true
		}
	}
	for i := range h.Ops {
		r := &h.Ops[i]
		if r.Kind == KindGetData && r.Outcome == OutcomeOK && r.Result.Stat != nil && setAt[r.Result.Stat.Mzxid] {
			st := *r.Result.Stat
			st.Version += 3
			r.Result.Stat = &st
			return true
		}
	}
	return false
}

// TestGeneratedTruthIsLinearizable: the history as an all-knowing observer saw it (every
// lost call that took effect with its real answer, the others left out) passes the write
// layer. Session checks are not asked: the clients never received those answers.
func TestGeneratedTruthIsLinearizable(t *testing.T) {
	for ci, cfg := range genConfigs {
		for seed := uint64(1); seed <= 50; seed++ {
			_, truth := generateWithOracle(seed, cfg)
			rep := Check(Input{History: truth})
			for _, inv := range []string{InvLinearizable, InvUniqueZxid, InvZxidRealTime, InvReadSnapshot, InvNoFutureReads} {
				if rep.Has(inv) {
					t.Fatalf("config %d seed %d: %s in the true history:\n%s", ci, seed, inv, rep.String())
				}
			}
			if rep.Stats.UnknownOps != 0 || len(rep.Inconclusive) != 0 {
				t.Fatalf("config %d seed %d: the true history has unknowns: %+v", ci, seed, rep.Stats)
			}
		}
	}
}
