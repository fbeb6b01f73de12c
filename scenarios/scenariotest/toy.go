package scenariotest

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/zabsim/zabsim/scenarios"
)

// BugVariant is the variant name that turns the planted bug on.
const BugVariant = "toy-stale-leader"

// staleCheckEvery is how often the buggy leader checks that it still has a quorum.
const staleCheckEvery = 2 * time.Second

// electionDelay is how long a leaderless toy ensemble takes to elect.
const electionDelay = 200 * time.Millisecond

// stepSize is the toy's time resolution.
const stepSize = 10 * time.Millisecond

type toyServer struct {
	up          bool
	pausedUntil time.Duration
	durable     int // writes held
	epoch       int64
	mode        scenarios.Mode
	diskBadTill time.Duration // fsync errors or a full disk until then (-1: until cleared)
}

func (s *toyServer) length() int { return s.durable }

// Toy is the test double. Build one with NewToy (a scenarios.Backend).
type Toy struct {
	o          *scenarios.Options
	trace      io.Writer
	now        time.Duration
	srv        []*toyServer // index = id-1
	cut        map[[2]int]time.Duration
	leader     int
	electAt    time.Duration // when a pending election completes; -1 when none pending
	epoch      int64
	nextOpAt   time.Duration
	opsLeft    int
	ackedMax   int
	workingOps bool
	violation  string
	hash       uint64 // of the trace lines so far
	// quorumCheckedAt is when the leader last saw its quorum.
	quorumCheckedAt time.Duration
}

// NewToy builds a toy ensemble for the options. It matches scenarios.Backend.
func NewToy(o *scenarios.Options, trace io.Writer) (scenarios.Cluster, error) {
	if o.Variant != "" && o.Variant != BugVariant {
		return nil, fmt.Errorf("scenariotest: unknown variant %q (the toy knows %q)", o.Variant, BugVariant)
	}
	t := &Toy{o: o, trace: trace, hash: 14695981039346656037, cut: map[[2]int]time.Duration{}, electAt: electionDelay,
		opsLeft: o.Workload.Ops, nextOpAt: o.Workload.ThinkTime, workingOps: true}
	for range o.Config.Servers {
		t.srv = append(t.srv, &toyServer{up: true, mode: scenarios.Looking})
	}
	return t, nil
}

func (t *Toy) logf(format string, args ...any) {
	line := fmt.Sprintf("%d %s\n", t.now, fmt.Sprintf(format, args...))
	for i := 0; i < len(line); i++ { // FNV-1a
		t.hash = (t.hash ^ uint64(line[i])) * 1099511628211
	}
	if t.trace != nil {
		io.WriteString(t.trace, line)
	}
}

// TraceHash implements scenarios.Cluster: an FNV-1a hash of the toy's trace lines.
func (t *Toy) TraceHash() uint64 { return t.hash }

// Now implements scenarios.Cluster.
func (t *Toy) Now() time.Duration { return t.now }

// RunUntil implements scenarios.Cluster.
func (t *Toy) RunUntil(end time.Duration) error {
	for t.now < end {
		t.now = min(t.now+stepSize, end)
		t.tick()
	}
	return nil
}

func (t *Toy) tick() {
	t.checkLeader()
	if t.leader == 0 && t.electAt >= 0 && t.now >= t.electAt {
		t.elect()
	}
	t.joinFollowers()
	for t.workingOps && t.opsLeft > 0 && t.now >= t.nextOpAt {
		t.write()
		t.opsLeft--
		t.nextOpAt += max(t.o.Workload.ThinkTime, time.Millisecond)
	}
}

func (t *Toy) active(id int) bool {
	s := t.srv[id-1]
	return s.up && t.now >= s.pausedUntil
}

func (t *Toy) linked(a, b int) bool {
	until1, cut1 := t.cut[[2]int{a, b}]
	until2, cut2 := t.cut[[2]int{b, a}]
	return !(cut1 && (until1 < 0 || t.now < until1)) && !(cut2 && (until2 < 0 || t.now < until2))
}

// side is every active server linked to id, id included.
func (t *Toy) side(id int) []int {
	var out []int
	for j := 1; j <= len(t.srv); j++ {
		if t.active(j) && (j == id || t.linked(id, j)) {
			out = append(out, j)
		}
	}
	return out
}

func (t *Toy) majority() int { return len(t.srv)/2 + 1 }

func (t *Toy) checkLeader() {
	if t.leader == 0 || (t.active(t.leader) && len(t.side(t.leader)) >= t.majority()) {
		t.quorumCheckedAt = t.now
		return
	}
	if t.o.Variant == BugVariant && t.active(t.leader) && t.now-t.quorumCheckedAt < staleCheckEvery {
		return // the bug: the quorum check is late
	}
	t.logf("leader %d lost its quorum", t.leader)
	if s := t.srv[t.leader-1]; s.up {
		s.mode = scenarios.Looking
	}
	t.leader = 0
	t.electAt = t.now + electionDelay
}

func (t *Toy) elect() {
	for id := 1; id <= len(t.srv); id++ {
		if !t.active(id) {
			continue
		}
		side := t.side(id)
		if len(side) < t.majority() {
			continue
		}
		best := side[0]
		for _, j := range side {
			if t.srv[j-1].length() > t.srv[best-1].length() || (t.srv[j-1].length() == t.srv[best-1].length() && j > best) {
				best = j
			}
		}
		t.epoch++
		t.leader = best
		t.electAt = -1
		l := t.srv[best-1]
		l.mode, l.epoch = scenarios.Leading, t.epoch
		t.logf("server %d leads epoch %d with %d writes", best, t.epoch, l.length())
		if l.length() < t.ackedMax && t.violation == "" {
			t.violation = fmt.Sprintf("server %d leads epoch %d with %d writes but %d were acknowledged", best, t.epoch, l.length(), t.ackedMax)
		}
		return
	}
	t.electAt = t.now + electionDelay
}

// joinFollowers syncs every active server on the leader's side to the leader's log.
func (t *Toy) joinFollowers() {
	if t.leader == 0 {
		return
	}
	l := t.srv[t.leader-1]
	for _, id := range t.side(t.leader) {
		s := t.srv[id-1]
		if id == t.leader || t.diskBad(s) || (s.mode == scenarios.Following && s.epoch == t.epoch) {
			continue
		}
		s.mode, s.epoch = scenarios.Following, t.epoch
		s.durable = l.length()
		t.logf("server %d follows %d at %d writes", id, t.leader, s.durable)
	}
	for id := 1; id <= len(t.srv); id++ {
		s := t.srv[id-1]
		if s.up && s.mode == scenarios.Following && !slices.Contains(t.side(t.leader), id) {
			s.mode = scenarios.Looking
		}
	}
}

func (t *Toy) diskBad(s *toyServer) bool {
	return s.diskBadTill < 0 || t.now < s.diskBadTill
}

// write appends one client write at the leader and acknowledges it on a majority. A
// follower that cannot store it drops out (ZooKeeper's server would exit).
func (t *Toy) write() {
	if t.leader == 0 || t.diskBad(t.srv[t.leader-1]) {
		return
	}
	side := t.side(t.leader)
	var holders []int
	for _, id := range side {
		if s := t.srv[id-1]; !t.diskBad(s) {
			holders = append(holders, id)
		} else if s.mode == scenarios.Following {
			s.mode = scenarios.Looking
		}
	}
	acks := len(holders)
	if t.o.Variant == BugVariant {
		acks = len(t.srv) // the bug: acknowledgements are assumed, not counted
	}
	if acks < t.majority() {
		return
	}
	n := t.srv[t.leader-1].length() + 1
	for _, id := range holders {
		t.srv[id-1].durable = n
	}
	t.ackedMax = n
	t.logf("write %d acknowledged", t.ackedMax)
}

// Servers implements scenarios.Cluster.
func (t *Toy) Servers() []scenarios.ServerStatus {
	out := make([]scenarios.ServerStatus, len(t.srv))
	for i, s := range t.srv {
		mode := s.mode
		if !s.up {
			mode = scenarios.Down
		}
		out[i] = scenarios.ServerStatus{ID: i + 1, Mode: mode, Epoch: s.epoch, Zxid: s.epoch<<32 | int64(s.length()), Paused: s.up && t.now < s.pausedUntil}
	}
	return out
}

// Leader implements scenarios.Cluster.
func (t *Toy) Leader() int { return t.leader }

// Crash implements scenarios.Cluster.
func (t *Toy) Crash(id int, torn bool) {
	s := t.srv[id-1]
	s.up, s.mode = false, scenarios.Down
	if id == t.leader {
		t.leader, t.electAt = 0, t.now+electionDelay
	}
	t.logf("crash %d torn=%v", id, torn)
}

// Restart implements scenarios.Cluster.
func (t *Toy) Restart(id int) {
	s := t.srv[id-1]
	if s.up {
		return
	}
	s.up, s.mode, s.pausedUntil = true, scenarios.Looking, 0
	t.logf("restart %d", id)
	if t.leader == 0 && t.electAt < 0 {
		t.electAt = t.now + electionDelay
	}
}

// Pause implements scenarios.Cluster.
func (t *Toy) Pause(id int, d time.Duration) {
	t.srv[id-1].pausedUntil = t.now + d
	t.logf("pause %d for %s", id, d)
}

// Partition implements scenarios.Cluster.
func (t *Toy) Partition(a, b []int, oneWay bool) {
	for _, x := range a {
		for _, y := range b {
			t.cut[[2]int{x, y}] = -1
			if !oneWay {
				t.cut[[2]int{y, x}] = -1
			}
		}
	}
	t.logf("partition %v %v oneWay=%v", a, b, oneWay)
}

// Clog implements scenarios.Cluster: the toy treats a clog as a timed cut.
func (t *Toy) Clog(a, b int, d time.Duration) {
	t.cut[[2]int{a, b}] = t.now + d
	t.logf("clog %d-%d for %s", a, b, d)
}

// Heal implements scenarios.Cluster.
func (t *Toy) Heal() {
	clear(t.cut)
	t.logf("heal")
}

// DiskFault implements scenarios.Cluster; the toy has no files, so logOnly changes nothing.
func (t *Toy) DiskFault(id int, k scenarios.Kind, logOnly bool, d time.Duration) {
	till := time.Duration(-1)
	if d > 0 {
		till = t.now + d
	}
	t.srv[id-1].diskBadTill = till
	t.logf("%s %d for %s", k, id, d)
}

// ClearDiskFaults implements scenarios.Cluster.
func (t *Toy) ClearDiskFaults() {
	for _, s := range t.srv {
		s.diskBadTill = 0
	}
}

// Drift implements scenarios.Cluster; the toy has no clocks to drift.
func (t *Toy) Drift(id int, ppm int64) { t.logf("drift %d %dppm", id, ppm) }

// WorkloadDone implements scenarios.Cluster.
func (t *Toy) WorkloadDone() bool { return t.opsLeft == 0 || !t.workingOps }

// StartLiveness implements scenarios.Cluster.
func (t *Toy) StartLiveness() { t.workingOps = false }

// Converged implements scenarios.Cluster.
func (t *Toy) Converged() bool {
	if t.leader == 0 {
		return false
	}
	n := t.srv[t.leader-1].length()
	for _, s := range t.srv {
		if !s.up || t.now < s.pausedUntil || s.length() != n || (s.mode != scenarios.Leading && s.mode != scenarios.Following) {
			return false
		}
	}
	return true
}

// Check implements scenarios.Cluster.
func (t *Toy) Check() scenarios.Judgement {
	if t.violation != "" {
		return scenarios.Judgement{Verdict: scenarios.Correctness, Check: "no-acked-write-lost", Explanation: t.violation}
	}
	return scenarios.Judgement{Verdict: scenarios.OK}
}
