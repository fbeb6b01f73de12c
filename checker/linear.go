package checker

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/zabsim/zabsim/zab/clientproto"
)

// linOp is one Porcupine operation: a recorded write, or a session-end pseudo-op.
type linOp struct {
	idx     int // index in History.Ops; -1 for a session end
	op      *Op
	unknown bool  // outcome unknown (or made unknown by normalisation)
	session int64 // the session (for a session end: the one that ended)
	end     bool  // a session-end pseudo-op
	call    int64 // real (virtual-clock) interval, used to partition and prune
	ret     int64
	// pcall and pret are the interval Porcupine sees: positions in zxid order (see
	// timeline).
	pcall, pret int64
	clampZxid   int64 // an unknown write observed by a read answering at this zxid (0: none)
	clampExact  bool  // clampZxid is the write's own zxid
}

// partition is one Porcupine partition and its environment.
type partition struct {
	tl   *timeline
	ops  []*linOp
	env  *env
	init *zstate
	name string // a few of its paths, for messages
}

// linClass decides how a recorded op enters the Porcupine layer.
type linClass uint8

const (
	linSkip    linClass = iota // not a write, or an error with no effect on the tree
	linDefined                 // a write with a definite answer the model predicts
	linUnknown                 // a write that may or may not have happened
)

func classify(o *Op) linClass {
	if !o.Kind.IsWrite() || o.Kind == KindCloseSession {
		return linSkip
	}
	switch o.Outcome {
	case OutcomeOK:
		return linDefined
	case OutcomeUnknown:
		return linUnknown
	}
	switch o.Err {
	case clientproto.ErrNoNode, clientproto.ErrNodeExists, clientproto.ErrBadVersion,
		clientproto.ErrNotEmpty, clientproto.ErrNoChildrenForEphemerals:
		return linDefined
	case clientproto.ErrConnectionLoss, clientproto.ErrOperationTimeout, clientproto.ErrRequestTimeout,
		clientproto.ErrSessionExpired:
		// In flight when the connection or session went: it may have committed.
		return linUnknown
	}
	// SessionMoved, NoAuth, BadArguments, ...: rejected, the tree is unchanged.
	return linSkip
}

// checkLinearizable runs the Porcupine layer and adds its failures and inconclusive
// partitions to rep.
func checkLinearizable(h *History, in *Input, or *oracle, rep *Report) {
	parts, st := buildPartitions(h, or, in.Options)
	rep.Stats.LinOps, rep.Stats.Partitions = st.linOps, len(parts)
	rep.Stats.ResolvedUnknown, rep.Stats.ExcludedOps, rep.Stats.SkippedParts = st.resolved, st.excluded, st.skipped
	rep.Stats.DroppedNoOps = st.dropped
	if st.skipped > 0 {
		rep.Inconclusive = append(rep.Inconclusive, fmt.Sprintf(
			"%s: %d partition(s) with container or TTL nodes not checked (not modelled)", InvLinearizable, st.skipped))
	}
	for _, p := range parts {
		rep.Stats.LargestPart = max(rep.Stats.LargestPart, len(p.ops))
	}
	budget := in.Options.PartitionBudget
	if budget <= 0 {
		budget = 10 * time.Second
	}
	results := runPartitions(parts, budget)
	for i, p := range parts {
		switch results[i] {
		case porcupine.Illegal:
			f, path := explainIllegal(p, in, budget, i)
			rep.Failures = append(rep.Failures, f)
			if path != "" {
				rep.Visualizations = append(rep.Visualizations, path)
			}
		case porcupine.Unknown:
			rep.Inconclusive = append(rep.Inconclusive, fmt.Sprintf(
				"%s: partition %s (%d ops) did not finish within %s", InvLinearizable, p.name, len(p.ops), budget))
		}
	}
}

// runPartitions checks every partition with a small worker pool; results are by index so
// the report does not depend on scheduling.
func runPartitions(parts []*partition, budget time.Duration) []porcupine.CheckResult {
	results := make([]porcupine.CheckResult, len(parts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = porcupine.CheckOperationsTimeout(parts[i].model(), parts[i].operations(), budget)
			}
		}()
	}
	for i := range parts {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func (p *partition) operations() []porcupine.Operation {
	ops := make([]porcupine.Operation, len(p.ops))
	for i, lo := range p.ops {
		client := -1 - int(lo.session&0xffff)
		if lo.op != nil {
			client = lo.op.Proc
		}
		ops[i] = porcupine.Operation{ClientId: client, Input: lo, Call: lo.pcall, Return: lo.pret}
	}
	return ops
}

func (p *partition) model() porcupine.Model {
	e, init := p.env, p.init
	return porcupine.Model{
		Init:  func() any { return init },
		Step:  func(state, input, _ any) (bool, any) { return step(e, state.(*zstate), input.(*linOp)) },
		Equal: func(a, b any) bool { return a.(*zstate).key == b.(*zstate).key },
		Hash:  func(s any) uint64 { return s.(*zstate).hash() },
		DescribeOperation: func(input, _ any) string {
			lo := input.(*linOp)
			if lo.end {
				return fmt.Sprintf("session 0x%x ends", lo.session)
			}
			return fmt.Sprintf("#%d %s", lo.idx, lo.op.Describe())
		},
		DescribeState: describeState,
	}
}

func describeState(s any) string {
	st := s.(*zstate)
	var b strings.Builder
	for _, n := range st.nodes {
		fmt.Fprintf(&b, "%s=%q v%d", n.path, n.data, n.version)
		if n.owner != 0 {
			fmt.Fprintf(&b, " eph:0x%x", n.owner)
		}
		if n.phantoms > 0 {
			fmt.Fprintf(&b, " +%d?", n.phantoms)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// step is the Porcupine step function: apply lo to s; for a definite op, the model's answer
// must equal the recorded one.
func step(e *env, s *zstate, lo *linOp) (bool, *zstate) {
	if lo.end {
		d := s.edit()
		d.endSession(lo.session)
		return true, d.done()
	}
	o := lo.op
	subs := o.subOps()
	if closedEphemeral(s, subs, lo.session) {
		// The server rejects a closed session's requests: an acknowledged one cannot come
		// after the session's end, an unknown one had no effect.
		return lo.unknown, s
	}
	d := s.edit()
	outs := make([]outcome, 0, len(subs))
	failAt, anyOK := -1, false
	for i, sub := range subs {
		rec := ""
		if !lo.unknown && o.Outcome == OutcomeOK {
			rec = o.createdPath(i)
		} else if !isSequential(sub.Flags) {
			rec = sub.Path
		}
		out := d.applySub(e, sub, lo.session, rec)
		outs = append(outs, out)
		anyOK = anyOK || out.anyOK
		if out.err != clientproto.ErrOK {
			failAt = i
			break
		}
	}
	applied := d.done()
	if failAt >= 0 {
		applied = s
	}
	if lo.unknown {
		return true, applied
	}
	if anyOK {
		if o.Outcome == OutcomeOK {
			return true, applied
		}
		return true, s
	}
	return matches(o, outs, failAt), applied
}

func closedEphemeral(s *zstate, subs []SubOp, session int64) bool {
	if len(s.closed) == 0 {
		return false
	}
	for _, sub := range subs {
		if sub.Kind == KindCreate && isEphemeral(sub.Flags) && s.isClosed(session) {
			return true
		}
	}
	return false
}

// matches compares the model's answers with the recorded ones.
func matches(o *Op, outs []outcome, failAt int) bool {
	if failAt >= 0 {
		want := outs[failAt].err
		if o.Outcome != OutcomeError || o.Err != want {
			return false
		}
		return multiCodesMatch(o, failAt, want)
	}
	if o.Outcome != OutcomeOK {
		return false
	}
	if o.Kind != KindMulti {
		return resultMatches(outs[0], o.Result.CreatedPath, o.Result.Stat, o.Kind)
	}
	for i, out := range outs {
		if i < len(o.Result.Multi) {
			r := o.Result.Multi[i]
			if r.Err != clientproto.ErrOK || !resultMatches(out, r.CreatedPath, r.Stat, o.SubOps[i].Kind) {
				return false
			}
		}
	}
	return true
}

// multiCodesMatch checks a failed multi's per-op codes when the client recorded them.
func multiCodesMatch(o *Op, failAt int, want clientproto.ErrCode) bool {
	if o.Kind != KindMulti || len(o.Result.Multi) == 0 {
		return true
	}
	for i, r := range o.Result.Multi {
		exp := clientproto.ErrOK
		switch {
		case i == failAt:
			exp = want
		case i > failAt:
			exp = clientproto.ErrRuntimeInconsistency
		}
		if r.Err != exp {
			return false
		}
	}
	return true
}

// resultMatches compares one write's returned name and Stat with the model's. Only
// partition-local Stat fields are compared: version, dataLength, numChildren (when the
// children are all in the partition and none is a phantom), ephemeralOwner.
func resultMatches(out outcome, created string, st *Stat, kind Kind) bool {
	if kind == KindCreate && created != "" && created != out.created {
		return false
	}
	if st == nil || out.stat == nil {
		return true
	}
	if st.Version != out.stat.Version || st.DataLength != out.stat.DataLength || st.EphemeralOwner != out.stat.EphemeralOwner {
		return false
	}
	return !out.kidsOK || st.NumChildren == out.stat.NumChildren
}

// explainIllegal turns a non-linearizable partition into a Failure, writing the annotated
// visualisation when asked.
func explainIllegal(p *partition, in *Input, budget time.Duration, n int) (Failure, string) {
	_, info := porcupine.CheckOperationsVerbose(p.model(), p.operations(), budget)
	stuck := stuckOps(p, info)
	var idxs []int
	var lines []string
	for _, lo := range stuck {
		if lo.idx >= 0 {
			idxs = append(idxs, lo.idx)
			if len(lines) < 3 {
				lines = append(lines, fmt.Sprintf("#%d %s", lo.idx, lo.op.Describe()))
			}
		}
	}
	f := Failure{Invariant: InvLinearizable, Ops: idxs, Explanation: fmt.Sprintf(
		"writes on %s (%d ops) are not linearizable; no order places: %s",
		p.name, len(p.ops), strings.Join(lines, " | "))}
	if len(stuck) > 0 {
		f.Explanation += expectation(p, info, stuck[0])
	}
	if in.Options.VisualizeDir == "" {
		return f, ""
	}
	info.AddAnnotations(toPorcupineAnnotations(in.Annotations, p.tl))
	path := filepath.Join(in.Options.VisualizeDir, fmt.Sprintf("linearizability-%03d.html", n))
	if err := porcupine.VisualizePath(p.model(), info, path); err != nil {
		f.Explanation += fmt.Sprintf(" (visualisation not written: %v)", err)
		return f, ""
	}
	return f, path
}

// expectation says what the model answers for op lo after the longest linearizable prefix
// Porcupine found (its first one, replayed), so the reader sees what was expected.
func expectation(p *partition, info porcupine.LinearizationInfo, lo *linOp) string {
	var prefix []porcupine.Operation
	for _, lin := range info.PartialLinearizationsOperations() {
		for _, l := range lin {
			if len(l) > len(prefix) {
				prefix = l
			}
		}
	}
	state := p.init
	for _, op := range prefix {
		ok, next := step(p.env, state, op.Input.(*linOp))
		if !ok {
			return ""
		}
		state = next
	}
	return fmt.Sprintf("; after the longest legal prefix (%d ops) the model answers #%d with %s",
		len(prefix), lo.idx, modelAnswer(p.env, state, lo))
}

// modelAnswer renders what the model answers for a write in state s.
func modelAnswer(e *env, s *zstate, lo *linOp) string {
	d := s.edit()
	for i, sub := range lo.op.subOps() {
		rec := sub.Path
		if isSequential(sub.Flags) {
			rec = lo.op.createdPath(i)
		}
		out := d.applySub(e, sub, lo.session, rec)
		switch {
		case out.err != clientproto.ErrOK:
			return fmt.Sprintf("%s (sub-op %d, %s %s)", out.err.String(), i, sub.Kind, sub.Path)
		case out.created != "" && strings.HasPrefix(out.created, "\x00"):
			return fmt.Sprintf("a sequential name above the last one under %s", parentOfSub(sub))
		case out.stat != nil && sub.Kind == KindSetData:
			return fmt.Sprintf("ok, version %d", out.stat.Version)
		}
	}
	return "ok"
}

// stuckOps returns the definite ops no longest partial linearization includes, earliest
// call first: among them is the op no legal order can place.
func stuckOps(p *partition, info porcupine.LinearizationInfo) []*linOp {
	placed := map[*linOp]bool{}
	longest := 0
	for _, lin := range info.PartialLinearizationsOperations() {
		for _, l := range lin {
			longest = max(longest, len(l))
		}
	}
	for _, lin := range info.PartialLinearizationsOperations() {
		for _, l := range lin {
			if len(l) != longest {
				continue
			}
			for _, op := range l {
				placed[op.Input.(*linOp)] = true
			}
		}
	}
	var out []*linOp
	for _, lo := range p.ops {
		if !placed[lo] && !lo.unknown && !lo.end {
			out = append(out, lo)
		}
	}
	slices.SortStableFunc(out, func(a, b *linOp) int { return compareInt64(a.pcall, b.pcall) })
	return out
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// toPorcupineAnnotations maps annotation times onto the zxid-order positions the
// visualisation is drawn in: a time becomes the slot after the last write that returned
// before it.
func toPorcupineAnnotations(as []Annotation, tl *timeline) []porcupine.Annotation {
	out := make([]porcupine.Annotation, 0, len(as))
	for _, a := range as {
		end := tl.after(a.End)
		if a.End < a.Start {
			end = a.End
		}
		out = append(out, porcupine.Annotation{Tag: a.Tag, Start: tl.after(a.Start), End: end,
			Description: a.Description, Details: a.Details})
	}
	return out
}
