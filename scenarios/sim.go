package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/internal/cluster"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// SimBackend runs scenarios on the simulated ZooKeeper ensemble (internal/cluster) and
// judges them with the checker. visualizeDir, if not empty, receives Porcupine's HTML
// for every failing linearizability partition.
func SimBackend(visualizeDir string) Backend {
	return func(o *Options, trace io.Writer) (Cluster, error) {
		return newSimCluster(o, trace, visualizeDir)
	}
}

// maxSimSteps bounds the events of one run. A swarm run of 500 ops takes about 10,000
// (13,000 for seven servers); a run that needs forty times more is spinning (an
// event storm, a timer that re-arms at the same instant) and is reported as a liveness
// failure instead of hanging a sweep.
const maxSimSteps = 500_000

// simCluster adapts cluster.Cluster (plus the checker) to the Cluster seam.
type simCluster struct {
	o            *Options
	c            *cluster.Cluster
	drv          *cluster.Driver
	visualizeDir string
	runErr       error // the first error the world returned (a budget, a trace failure)
	// ephemeral are the session-owning clients that create ephemeral znodes and, at
	// Workload.AbandonAt, vanish (their hosts crash); abandoned marks those gone.
	ephemeral   []*ephClient
	abandoned   bool
	annotations []checker.Annotation
}

func newSimCluster(o *Options, trace io.Writer, visualizeDir string) (*simCluster, error) {
	cfg, err := zab.ParseConfig(strings.NewReader(o.Config.ZooCfg()), "zoo.cfg")
	if err != nil {
		return nil, err
	}
	variant, err := zab.ParseVariant(o.Variant)
	if err != nil {
		return nil, err
	}
	net := sim.DefaultNetOptions()
	net.Latency = sim.Latency{Min: o.Network.LatencyMin, Mean: o.Network.LatencyMean,
		Jitter: o.Network.LatencyMean / 2, TailProb: float64(o.Network.TailPct) / 100, TailMean: 10 * o.Network.LatencyMean}
	copts := cluster.Options{Seed: o.Seed, Config: cfg, Variant: variant, Net: &net, Trace: trace, MaxSteps: maxSimSteps}
	if copts.Disk, err = simDisk(o.Disk); err != nil {
		return nil, err
	}
	c, err := cluster.New(copts)
	if err != nil {
		return nil, err
	}
	s := &simCluster{o: o, c: c, visualizeDir: visualizeDir}
	if o.Workload.Ops > 0 {
		s.drv, err = c.StartWorkload(simWorkload(o.Workload))
		if err != nil {
			return nil, err
		}
	}
	if err := s.startEphemeralClients(); err != nil {
		return nil, err
	}
	return s, nil
}

// ephemeralsPerClient is how many ephemeral znodes each ephemeral-owning client creates.
const ephemeralsPerClient = 3

// ephemeralRetry is how often an ephemeral-owning client checks whether it can create
// its next znode (it waits for its session, and retries a create that was never sent).
const ephemeralRetry = 100 * time.Millisecond

// ephClient is a client that owns ephemeral znodes; next is the next one to create.
type ephClient struct {
	cl   *cluster.Client
	host sim.HostID
	next int
}

// startEphemeralClients adds the clients that own ephemeral znodes: one for every
// EphemeralPct percent of the workload's clients (at least one when EphemeralPct > 0),
// each creating ephemeralsPerClient znodes /eph-<client>-<i> once its session is up.
// With AbandonAt set, every one of them vanishes then (its host crashes: no close, no
// pings), so its session must expire and its ephemerals must be deleted by the leader.
// The harness's workload driver has no ephemeral or abandon knobs; this is that part of
// the workload, done through the harness's client API.
func (s *simCluster) startEphemeralClients() error {
	w := s.o.Workload
	if w.EphemeralPct == 0 {
		return nil
	}
	for range max(1, w.Clients*w.EphemeralPct/100) {
		before := s.c.World().Hosts()
		cl, err := s.c.AddClient(cluster.ClientOptions{SessionTimeoutMs: int32(w.SessionTimeoutMs)})
		if err != nil {
			return err
		}
		e := &ephClient{cl: cl}
		for _, h := range s.c.World().Hosts() {
			if !slices.Contains(before, h) {
				e.host = h
			}
		}
		s.ephemeral = append(s.ephemeral, e)
		s.c.World().After(ephemeralRetry, func() { s.createEphemerals(e) })
	}
	if w.AbandonAt > 0 {
		s.c.World().At(sim.Time(w.AbandonAt), func() {
			s.abandoned = true
			for _, e := range s.ephemeral {
				s.c.World().Crash(e.host)
			}
		})
	}
	return nil
}

// createEphemerals issues the client's next ephemeral create when its session is up and
// nothing is pending, and re-arms itself until all are done or the client is abandoned.
func (s *simCluster) createEphemerals(e *ephClient) {
	if s.abandoned || e.next >= ephemeralsPerClient {
		return
	}
	lib := e.cl.Lib()
	if lib.State() == client.StateConnected && lib.Pending() == 0 {
		i := e.next
		path := fmt.Sprintf("/eph-%d-%d", e.cl.ID(), i)
		e.cl.Do(func(now int64, lib *client.Client) {
			lib.Create(now, path, []byte(path), cp.FlagEphemeral, func(r client.Result) {
				if r.Err == cp.ErrOK || r.Err == cp.ErrNodeExists || r.Outcome == client.OutcomeUnknown {
					e.next = max(e.next, i+1)
				}
			})
		})
	}
	s.c.World().After(ephemeralRetry, func() { s.createEphemerals(e) })
}

// simDisk turns the scenario's disk into the simulator's options (nil: the default).
func simDisk(d Disk) (*sim.DiskOptions, error) {
	if d == (Disk{}) {
		return nil, nil
	}
	disk := sim.DefaultDiskOptions()
	if d.Model != "" {
		m, err := sim.ParseDiskModel(d.Model)
		if err != nil {
			return nil, fmt.Errorf("scenarios: disk: %w", err)
		}
		disk.Model = m
	}
	if d.FsyncMean > 0 {
		disk.FsyncLatency = sim.Latency{Min: d.FsyncMean / 4, Mean: d.FsyncMean, Jitter: d.FsyncMean / 2,
			TailProb: float64(d.SlowPct) / 100, TailMean: d.SlowMean}
	}
	return &disk, nil
}

func simWorkload(w Workload) cluster.Workload {
	think := sim.Latency{Min: w.ThinkTime / 4, Mean: w.ThinkTime, Jitter: w.ThinkTime / 2}
	return cluster.Workload{
		Clients:      w.Clients,
		KeysPerGroup: w.Keys,
		Think:        think,
		MaxOps:       w.Ops,
		Mix: cluster.Mix{Create: w.Mix.Create, SetData: w.Mix.Set, Delete: w.Mix.Delete, GetData: w.Mix.Get,
			Exists: w.Mix.Exists, Children: w.Mix.Children, Multi: w.Mix.Multi, Sync: w.Mix.Sync},
		SessionTimeoutMs: int32(w.SessionTimeoutMs),
	}
}

func (s *simCluster) Now() time.Duration { return time.Duration(s.c.Now()) }

// RunUntil advances the world; a world error (a step budget) is kept for Check.
func (s *simCluster) RunUntil(t time.Duration) error {
	if s.runErr == nil {
		s.runErr = s.c.RunUntil(sim.Time(t))
	}
	return s.runErr
}

var simModes = map[cluster.Mode]Mode{cluster.ModeDown: Down, cluster.ModeLooking: Looking,
	cluster.ModeFollowing: Following, cluster.ModeLeading: Leading}

func (s *simCluster) Servers() []ServerStatus {
	sts := s.c.Statuses()
	out := make([]ServerStatus, len(sts))
	for i, st := range sts {
		mode := simModes[st.Mode]
		if !st.Up {
			mode = Down
		}
		out[i] = ServerStatus{ID: int(st.ID), Mode: mode, Epoch: st.CurrentEpoch, Zxid: st.LastLoggedZxid,
			Paused: s.c.World().IsPaused(s.c.HostOf(st.ID))}
	}
	return out
}

func (s *simCluster) TraceHash() uint64 { return s.c.TraceHash() }

func (s *simCluster) Leader() int {
	if id, ok := s.c.Leader(); ok {
		return int(id)
	}
	return 0
}

// annotate records a fault for the Porcupine visualisation; d == 0 marks a point.
func (s *simCluster) annotate(d time.Duration, format string, args ...any) {
	now := int64(s.c.Now())
	end := now - 1
	if d > 0 {
		end = now + int64(d)
	}
	s.annotations = append(s.annotations, checker.Annotation{Tag: "faults", Start: now, End: end,
		Description: fmt.Sprintf(format, args...)})
}

// leaderAnnotations marks each leader establishment as a point on its own row of the
// Porcupine visualisation, so a reader sees which leader served which writes.
func (s *simCluster) leaderAnnotations() []checker.Annotation {
	var out []checker.Annotation
	for _, e := range s.c.Elections() {
		out = append(out, checker.Annotation{Tag: "leaders", Start: e.AtNs, End: e.AtNs - 1,
			Description: fmt.Sprintf("server %d leads epoch %d", e.Leader, e.Epoch)})
	}
	return out
}

func (s *simCluster) Crash(id int, torn bool) {
	if torn {
		s.annotate(0, "crash %d (torn)", id)
		s.c.CrashWith(int64(id), sim.CrashTear)
		return
	}
	s.annotate(0, "crash %d", id)
	s.c.Crash(int64(id))
}

func (s *simCluster) Restart(id int) {
	s.annotate(0, "restart %d", id)
	s.c.Restart(int64(id))
}

func (s *simCluster) Pause(id int, d time.Duration) {
	s.annotate(d, "pause %d", id)
	s.c.Pause(int64(id), d)
}

func sids(ids []int) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

func (s *simCluster) Partition(a, b []int, oneWay bool) {
	if oneWay {
		s.annotate(0, "partition %v -> %v", a, b)
		s.c.PartitionOneWay(sids(a), sids(b))
		return
	}
	s.annotate(0, "partition %v | %v", a, b)
	s.c.Partition(sids(a), sids(b))
}

// Clog stalls the link both ways (the harness clogs one direction at a time).
func (s *simCluster) Clog(a, b int, d time.Duration) {
	s.annotate(d, "clog %d-%d", a, b)
	s.c.Clog(int64(a), int64(b), d)
	s.c.Clog(int64(b), int64(a), d)
}

func (s *simCluster) Heal() {
	s.annotate(0, "heal")
	s.c.Heal()
}

// DiskFault injects a rule into the host's simulated disk: fsyncs fail with EIO
// (FsyncError) or writes, creates and truncates fail with ENOSPC (DiskFull); logOnly
// limits the rule to the transaction log files (log.<zxid>).
func (s *simCluster) DiskFault(id int, k Kind, logOnly bool, d time.Duration) {
	f := sim.Fault{Name: "fsync-error", Ops: []sim.FaultOp{sim.OpSync}, Kind: sim.FaultEIO}
	if k == DiskFull {
		f = sim.Fault{Name: "disk-full", Ops: []sim.FaultOp{sim.OpWrite, sim.OpCreate, sim.OpTruncate}, Kind: sim.FaultNoSpace}
	}
	where := ""
	if logOnly {
		f.Name += " (log)"
		f.Match = func(_ sim.FaultOp, path string, _, _ int64) bool {
			return strings.HasPrefix(filepath.Base(path), "log.")
		}
		where = " log"
	}
	s.annotate(d, "%s %d%s", k, id, where)
	disk := s.c.World().Disk(s.c.HostOf(int64(id)))
	fid := disk.Inject(f)
	if d > 0 {
		s.c.World().After(d, func() { disk.RemoveFault(fid) })
	}
}

func (s *simCluster) ClearDiskFaults() {
	for _, id := range s.c.ServerIDs() {
		s.c.World().Disk(s.c.HostOf(id)).ClearFaults()
	}
}

func (s *simCluster) Drift(id int, ppm int64) {
	s.annotate(0, "drift %d %+dppm", id, ppm)
	s.c.Drift(int64(id), ppm)
}

// WorkloadDone: every operation issued and none in flight. A client whose session
// expired issues nothing more, so a workload can end short of its count; DrainFor
// bounds the wait.
func (s *simCluster) WorkloadDone() bool {
	if s.drv == nil {
		return true
	}
	if s.drv.Issued() < s.o.Workload.Ops {
		return false
	}
	for _, cl := range s.drv.Clients() {
		if cl.Lib().Pending() > 0 {
			return false
		}
	}
	return true
}

func (s *simCluster) StartLiveness() {
	if s.drv != nil {
		s.drv.Stop()
	}
}

// Converged: the harness's convergence (every server up, synced to an established
// leader, same last zxid and digest) and no client call still in flight.
func (s *simCluster) Converged() bool {
	if !s.c.Converged() {
		return false
	}
	var clients []*cluster.Client
	if s.drv != nil {
		clients = s.drv.Clients()
	}
	for _, e := range s.ephemeral {
		if !s.abandoned {
			clients = append(clients, e.cl)
		}
	}
	for _, cl := range clients {
		if cl.Lib().Pending() > 0 {
			return false
		}
	}
	return true
}

// Check runs the checker over the history and the online replica invariants and
// reports the first failure. Liveness is the runner's: it waited for Converged (which
// includes no client call in flight) within the bound, so the checker's own liveness
// window, which needs the run to last to its deadline, is not used.
func (s *simCluster) Check() Judgement {
	leftover := s.checkAbandonedEphemerals()
	hist := s.c.History()
	in := checker.Input{
		History:     hist,
		Replicas:    s.c.Replicas(),
		Annotations: append(slices.Clone(s.annotations), s.leaderAnnotations()...),
		Options:     checker.Options{VisualizeDir: s.visualizeDir},
	}
	if s.runErr != nil && errors.Is(s.runErr, sim.ErrBudget) {
		return Judgement{Verdict: Liveness, Check: "step-budget",
			Explanation: fmt.Sprintf("the run stopped making progress in virtual time: %v", s.runErr)}
	}
	var crash []string
	if s.runErr != nil {
		crash = append(crash, "harness: "+s.runErr.Error())
	}
	crash = append(crash, s.c.Errors()...)
	in.Crash = strings.Join(crash, "\n")
	rep := checker.Check(in)
	// The report's first line repeats the verdict the runner prints; keep the details.
	_, details, _ := strings.Cut(rep.String(), "\n")
	j := Judgement{Verdict: fromCheckerVerdict(rep.Verdict), Explanation: strings.TrimSpace(details), Visualizations: rep.Visualizations}
	for _, f := range rep.Failures {
		if !slices.Contains(j.Failed, f.Invariant) {
			j.Failed = append(j.Failed, f.Invariant)
		}
	}
	if len(rep.Failures) > 0 {
		j.Check = rep.Failures[0].Invariant
	} else if j.Verdict == CrashVerdict {
		j.Check = "harness-error"
	}
	if j.Verdict == OK {
		j.Explanation = ""
		if leftover != "" {
			j.Verdict, j.Check, j.Explanation = Liveness, "abandoned-ephemerals-deleted", leftover
		}
	}
	if k, ok := s.c.ExplainRun(rep); ok && s.runErr == nil && j.Verdict != OK {
		j.Known = &KnownIssue{ID: k.ID, Explanation: k.Explanation}
	}
	if b, err := json.Marshal(hist); err == nil {
		j.HistoryJSON = b
	}
	return j
}

// checkAbandonedEphemerals, after the clients that own ephemerals were abandoned, lets
// the sessions' timeouts run out on the current leader (two timeouts and two ticks after
// the last leader establishment, enough for ZooKeeper's tick-rounded expiry) and then
// asks a fresh client whether any of their ephemeral znodes is still there. It returns
// what it found left over ("" if nothing, or if the world cannot run any more).
func (s *simCluster) checkAbandonedEphemerals() string {
	if !s.abandoned || s.runErr != nil {
		return ""
	}
	w, cfg := s.o.Workload, s.o.Config
	wait := 2*time.Duration(w.SessionTimeoutMs)*time.Millisecond + 2*time.Duration(cfg.TickTimeMs)*time.Millisecond
	if els := s.c.Elections(); len(els) > 0 {
		if until := time.Duration(els[len(els)-1].AtNs) + wait; until > s.Now() {
			if s.RunUntil(until) != nil {
				return ""
			}
		}
	}
	probe, err := s.c.AddClient(cluster.ClientOptions{})
	if err != nil {
		return ""
	}
	var left []string
	for _, e := range s.ephemeral {
		for i := range e.next {
			path := fmt.Sprintf("/eph-%d-%d", e.cl.ID(), i)
			var res *client.Result
			probe.Do(func(now int64, lib *client.Client) {
				lib.Exists(now, path, nil, func(r client.Result) { res = &r })
			})
			if ok, err := s.c.RunUntilCond(time.Minute, func() bool { return res != nil }); err != nil || !ok {
				return ""
			}
			if res.Err == cp.ErrOK {
				left = append(left, fmt.Sprintf("%s (owner 0x%x)", path, res.Stat.EphemeralOwner))
			}
		}
	}
	if len(left) == 0 {
		return ""
	}
	return fmt.Sprintf("clients abandoned at %s without closing; at %s, long after their sessions must have expired, their ephemerals remain: %s",
		formatDuration(w.AbandonAt), formatDuration(s.Now()), strings.Join(left, ", "))
}

func fromCheckerVerdict(v checker.Verdict) Verdict {
	switch v {
	case checker.VerdictOK:
		return OK
	case checker.VerdictInconclusive:
		return Inconclusive
	case checker.VerdictLiveness:
		return Liveness
	case checker.VerdictCorrectness:
		return Correctness
	}
	return CrashVerdict
}
