package scenarios

import (
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// pollEvery is how often (virtual time) the runner looks at the servers' roles to build
// the timeline and to test convergence. Idle virtual time costs nothing, so this only
// bounds how late a role change is noticed.
const pollEvery = 50 * time.Millisecond

// Result is what a run produced.
type Result struct {
	Options *Options
	Judgement
	Timeline []Line
	End      time.Duration // virtual time when the run stopped
	// Elections lists how long each leaderless interval lasted, in order.
	Elections []time.Duration
	// Converged says whether the liveness phase saw the ensemble serving again.
	Converged bool
	// TraceHash is the cluster's event-trace hash at the end of the run.
	TraceHash uint64
	// FaultsFired counts schedule events applied; FaultsSkipped those with nothing to act
	// on (crash leader while there is none, restart all while every host is up).
	FaultsFired, FaultsSkipped int
}

// Line is one timeline entry.
type Line struct {
	At   time.Duration
	Text string
}

func (l Line) String() string { return fmt.Sprintf("%9s  %s", formatClock(l.At), l.Text) }

// formatClock prints virtual time as seconds with millisecond precision, for timelines.
func formatClock(d time.Duration) string {
	return fmt.Sprintf("%d.%03ds", d/time.Second, (d%time.Second)/time.Millisecond)
}

// TimelineString is the timeline, one line each.
func (r *Result) TimelineString() string {
	var b strings.Builder
	for _, l := range r.Timeline {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Run runs one scenario instance: the safety phase with the schedule's faults, then the
// liveness phase with every fault healed, then the checks. trace (may be nil) receives the
// cluster's full event trace. An error means the run could not start (bad options, a
// backend that refused them); everything that happens in the run is in the Result,
// including a panic inside the cluster, which becomes the crash verdict.
func Run(o *Options, backend Backend, trace io.Writer) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c, err := backend(o, trace)
	if err != nil {
		return nil, fmt.Errorf("scenarios: building the cluster: %w", err)
	}
	r := &runner{c: c, res: &Result{Options: o}, drifted: map[int]bool{}}
	r.runGuarded(o)
	r.res.End = c.Now()
	r.res.TraceHash = c.TraceHash()
	return r.res, nil
}

// runner holds the state of one run.
type runner struct {
	c       Cluster
	res     *Result
	last    []ServerStatus
	leader  int           // established leader seen at the last poll, 0 if none
	epoch   int64         // its epoch
	lostAt  time.Duration // when the ensemble last lost its leader
	hadLead bool
	drifted map[int]bool
	stopped bool // the world could not advance (Check says why)
}

// runGuarded runs the phases and turns a panic into the crash verdict: a panic in a
// server or the harness is a broken internal invariant, which is a finding, not a tool
// failure.
func (r *runner) runGuarded(o *Options) {
	defer func() {
		if p := recover(); p != nil {
			r.res.Judgement = Judgement{Verdict: CrashVerdict, Check: "panic", Failed: []string{"panic"},
				Explanation: fmt.Sprintf("panic: %v\n%s", p, firstFrames(debug.Stack(), 12))}
		}
	}()
	r.poll()
	r.safetyPhase(o)
	r.livenessPhase(o)
	r.judge()
}

func (r *runner) safetyPhase(o *Options) {
	for _, ev := range o.Schedule {
		if r.advance(ev.At); r.stopped {
			return
		}
		r.apply(ev)
	}
	r.advance(o.SafetyFor)
	r.drain(o)
}

// drain keeps the safety phase going, faults in place, until the workload is done or
// DrainFor has passed.
func (r *runner) drain(o *Options) {
	deadline := r.c.Now() + o.DrainFor
	for !r.stopped && !r.c.WorkloadDone() && r.c.Now() < deadline {
		r.step(min(r.c.Now()+pollEvery, deadline))
	}
	if r.stopped {
		return
	}
	if r.c.WorkloadDone() {
		r.note("safety phase over, workload done")
	} else {
		r.note(fmt.Sprintf("safety phase over, workload unfinished after %s more", formatDuration(o.DrainFor)))
	}
}

// livenessPhase heals every fault (TigerBeetle's liveness mode, FoundationDB's quiet
// database) and waits for the ensemble to serve again.
func (r *runner) livenessPhase(o *Options) {
	if r.stopped {
		return
	}
	r.note("liveness phase: heal network, clear disk faults, restart crashed servers, stop clients")
	r.c.StartLiveness()
	r.c.Heal()
	r.c.ClearDiskFaults()
	for _, id := range sortedKeys(r.drifted) {
		r.c.Drift(id, 0)
	}
	for _, s := range r.c.Servers() {
		if s.Mode == Down {
			r.c.Restart(s.ID)
		}
	}
	deadline := r.c.Now() + o.LivenessFor
	for r.c.Now() < deadline && !r.stopped {
		r.step(min(r.c.Now()+pollEvery, deadline))
		if r.c.Converged() {
			r.res.Converged = true
			r.note("converged")
			return
		}
	}
}

// judge asks the checker, then applies the liveness outcome: a safety violation
// outranks a liveness failure.
func (r *runner) judge() {
	j := r.c.Check()
	if j.Verdict == OK && r.stopped {
		j.Verdict, j.Check = CrashVerdict, "world-stopped"
		j.Explanation = "the world stopped advancing and the cluster's check did not say why"
	}
	if j.Verdict == OK && !r.res.Converged {
		j.Verdict, j.Check = Liveness, "converge-after-heal"
		j.Explanation = fmt.Sprintf("after every fault healed the ensemble did not converge within %s: %s",
			formatDuration(r.res.Options.LivenessFor), statusLine(r.c.Servers()))
		if k, ok := explainNoConvergence(r.c); ok {
			j.Known = k
		}
	}
	if j.Check != "" && !slices.Contains(j.Failed, j.Check) {
		j.Failed = append([]string{j.Check}, j.Failed...)
	}
	r.res.Judgement = j
}

// advance runs the world to t, polling roles on the way, unless it stops.
func (r *runner) advance(t time.Duration) {
	for r.c.Now() < t && !r.stopped {
		r.step(min(r.c.Now()+pollEvery, t))
	}
}

func (r *runner) step(t time.Duration) {
	if err := r.c.RunUntil(t); err != nil {
		r.stopped = true
		r.note(fmt.Sprintf("the world stopped: %v", err))
		return
	}
	r.poll()
}

// poll compares the servers' roles with the last poll and writes the changes, and
// leader establishments with the time the ensemble went without one, to the timeline.
func (r *runner) poll() {
	now := r.c.Now()
	cur := r.c.Servers()
	for _, s := range cur {
		i := slices.IndexFunc(r.last, func(p ServerStatus) bool { return p.ID == s.ID })
		if i >= 0 && r.last[i].Mode == s.Mode && r.last[i].Paused == s.Paused {
			continue
		}
		if i < 0 && s.Mode == Looking {
			continue
		}
		r.note(describeServer(s))
	}
	r.last = cur
	leader := r.c.Leader()
	epoch := int64(0)
	if i := slices.IndexFunc(cur, func(s ServerStatus) bool { return s.ID == leader }); i >= 0 {
		epoch = cur[i].Epoch
	}
	switch {
	case leader != 0 && (leader != r.leader || epoch != r.epoch):
		if r.leader != 0 {
			r.note(fmt.Sprintf("leader %d established in epoch %d, replacing %d", leader, epoch, r.leader))
		} else if r.hadLead {
			took := now - r.lostAt
			r.res.Elections = append(r.res.Elections, took)
			r.note(fmt.Sprintf("leader %d established in epoch %d after %dms without one", leader, epoch, took/time.Millisecond))
		} else {
			r.res.Elections = append(r.res.Elections, now)
			r.note(fmt.Sprintf("leader %d established in epoch %d (first election %dms)", leader, epoch, now/time.Millisecond))
		}
		r.hadLead = true
	case leader == 0 && r.leader != 0:
		r.lostAt = now
		r.note(fmt.Sprintf("no established leader (%d lost its quorum or its role)", r.leader))
	}
	r.leader, r.epoch = leader, epoch
}

func describeServer(s ServerStatus) string {
	text := fmt.Sprintf("server %d %s", s.ID, s.Mode)
	if s.Paused {
		text += " (paused)"
	}
	return text
}

func statusLine(ss []ServerStatus) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%d:%s/e%d/0x%x", s.ID, s.Mode, s.Epoch, s.Zxid)
		if s.Paused {
			parts[i] += "(paused)"
		}
	}
	return strings.Join(parts, " ")
}

func (r *runner) note(text string) {
	r.res.Timeline = append(r.res.Timeline, Line{At: r.c.Now(), Text: text})
}

// apply fires one schedule event, resolving symbolic hosts against the current roles.
func (r *runner) apply(ev Event) {
	ids, ok := r.resolve(ev)
	if !ok {
		r.res.FaultsSkipped++
		r.note(fmt.Sprintf("fault %s: skipped (no such host now)", ev.Kind))
		return
	}
	r.res.FaultsFired++
	r.note("fault " + r.describeApplied(ev, ids))
	switch ev.Kind {
	case Crash:
		r.c.Crash(ids.one, ev.Torn)
	case Restart:
		for _, id := range ids.many {
			r.c.Restart(id)
		}
	case Pause:
		r.c.Pause(ids.one, ev.For)
	case Partition:
		r.c.Partition(ids.a, ids.b, ev.Once)
	case Heal:
		r.c.Heal()
	case Clog:
		r.c.Clog(ids.a[0], ids.b[0], ev.For)
	case FsyncError, DiskFull:
		r.c.DiskFault(ids.one, ev.Kind, ev.Log, ev.For)
	case Drift:
		r.drifted[ids.one] = true
		r.c.Drift(ids.one, ev.PPM)
	}
}

// resolved holds an event's hosts as concrete ids.
type resolved struct {
	one  int
	many []int
	a, b []int
}

func (r *runner) resolve(ev Event) (resolved, bool) {
	var out resolved
	switch ev.Kind {
	case Heal:
		return out, true
	case Restart:
		out.many = r.restartTargets(ev.Host)
		return out, len(out.many) > 0
	case Partition, Clog:
		return r.resolveSides(ev)
	}
	// A crash of a down host still counts: a power loss of a machine whose server
	// exited (or crashed) takes the page cache with it.
	id := r.hostID(ev.Host)
	if id == 0 {
		return out, false
	}
	out.one = id
	return out, true
}

// restartTargets: "restart all" restarts every crashed host; "restart leader" makes no
// sense once the leader is down, so it is the crashed host that led last.
func (r *runner) restartTargets(h Host) []int {
	var ids []int
	for _, s := range r.last {
		if s.Mode == Down && (h == All || Host(s.ID) == h) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func (r *runner) resolveSides(ev Event) (resolved, bool) {
	var out resolved
	if len(ev.A) == 1 && ev.A[0] == Rest {
		out.b = r.resolveList(ev.B, nil)
		out.a = r.resolveList(ev.A, out.b)
	} else {
		out.a = r.resolveList(ev.A, nil)
		out.b = r.resolveList(ev.B, out.a)
	}
	return out, len(out.a) > 0 && len(out.b) > 0
}

// resolveList turns hosts into sorted ids, leaving out those on the other side; "rest"
// is every server not on the other side.
func (r *runner) resolveList(hs []Host, other []int) []int {
	var ids []int
	for _, h := range hs {
		if h == Rest {
			for _, s := range r.last {
				if !slices.Contains(other, s.ID) {
					ids = append(ids, s.ID)
				}
			}
			continue
		}
		if id := r.hostID(h); id != 0 && !slices.Contains(other, id) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// hostID resolves a host to an id; 0 means there is none (no leader right now).
func (r *runner) hostID(h Host) int {
	if h == Leader {
		return r.leader
	}
	if h > 0 {
		return int(h)
	}
	return 0
}

func (r *runner) modeOf(id int) Mode {
	for _, s := range r.last {
		if s.ID == id {
			return s.Mode
		}
	}
	return Down
}

// describeApplied prints the event with symbolic hosts replaced by the ids they hit.
func (r *runner) describeApplied(ev Event, ids resolved) string {
	conc := ev
	conc.At = 0
	switch ev.Kind {
	case Restart:
		hs := make([]string, len(ids.many))
		for i, id := range ids.many {
			hs[i] = fmt.Sprint(id)
		}
		return "restart " + strings.Join(hs, ",")
	case Partition, Clog:
		conc.A, conc.B = toHosts(ids.a), toHosts(ids.b)
	case Heal:
	default:
		conc.Host = Host(ids.one)
	}
	return strings.TrimPrefix(conc.String(), "at 0s ")
}

func toHosts(ids []int) []Host {
	hs := make([]Host, len(ids))
	for i, id := range ids {
		hs[i] = Host(id)
	}
	return hs
}

func sortedKeys(m map[int]bool) []int {
	keys := make([]int, 0, len(m))
	for k := range m { //det:unordered-ok sorted below
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// firstFrames keeps the first n lines of a stack trace: enough to locate a panic
// without burying the verdict.
func firstFrames(stack []byte, n int) string {
	lines := strings.SplitN(string(stack), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
