package cluster

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// ChaosOptions shape one randomized run: a workload under random crashes (power loss,
// at random times or armed to fall right after a chosen effect of a server's flow), kills,
// restarts, partitions, pauses, clogs and fsync errors drawn from the seed, then healing,
// a probe write and a liveness phase.
type ChaosOptions struct {
	Config  *zab.Config // nil: zab.DefaultConfig()
	Variant zab.Variant
	// FaultPhase is how long faults are injected (0: 15 s of virtual time).
	FaultPhase sim.Duration
	// Clients run the workload (0: 3), in groups of one.
	Clients int
	// SkipLinearizability turns off the Porcupine layer (the replica, read and liveness
	// checks still run).
	SkipLinearizability bool
	// Trace receives the run's event trace (nil: none).
	Trace io.Writer
	// Mix is the workload's op mix (zero: ChaosMix).
	Mix Mix
	// FsyncErrors adds injected fsync failures (EIO) to the fault mix. Off by default: a
	// server that exits on a failed fsync can leave a log file whose header never reached
	// the disk, which recovery then refuses (see docs/fidelity/client.md).
	FsyncErrors bool
}

// ChaosMix is DefaultMix plus sequential and ephemeral creates.
var ChaosMix = Mix{Create: 3, SetData: 4, Delete: 2, GetData: 3, Exists: 1, Children: 1, Multi: 1, Sync: 1,
	Sequential: 2, Ephemeral: 2}

// ChaosResult is one randomized run's outcome.
type ChaosResult struct {
	Seed      uint64
	Converged bool // every server converged within the liveness bound after healing
	// HealedAt and EndAt are virtual times (ns).
	HealedAt, EndAt int64
	Faults          []string
	Report          checker.Report
	Errors          []string // harness errors and client-observed protocol violations
	Ops             int
	Steps           uint64
	TraceHash       uint64
	// Known, when set, is the real ZooKeeper 3.8 weakness that explains every failure and
	// error of the run (Cluster.ExplainRun).
	Known *Known
}

// Failed reports whether the run broke any property.
func (r *ChaosResult) Failed() bool {
	return !r.Converged || r.Report.Failed() || len(r.Errors) > 0
}

func (r *ChaosResult) String() string {
	return fmt.Sprintf("seed %d: converged=%v ops=%d steps=%d healed=%v end=%v errors=%v\nfaults: %v\n%s",
		r.Seed, r.Converged, r.Ops, r.Steps, sim.Time(r.HealedAt), sim.Time(r.EndAt), r.Errors, r.Faults, r.Report.String())
}

// Chaos runs one randomized run. The seed decides everything: the same seed gives the
// same run and the same TraceHash.
func Chaos(seed uint64, o ChaosOptions) (ChaosResult, error) {
	if o.FaultPhase <= 0 {
		o.FaultPhase = 15 * sim.Second
	}
	if o.Clients <= 0 {
		o.Clients = 3
	}
	if o.Mix.total() == 0 {
		o.Mix = ChaosMix
	}
	res := ChaosResult{Seed: seed}
	c, err := New(Options{Seed: seed, Config: o.Config, Variant: o.Variant, RestartAfterExit: time.Second, Trace: o.Trace})
	if err != nil {
		return res, err
	}
	d, err := c.StartWorkload(Workload{Clients: o.Clients, Mix: o.Mix, Think: sim.Latency{Min: 5 * sim.Millisecond, Mean: 150 * sim.Millisecond, Jitter: 100 * sim.Millisecond}})
	if err != nil {
		return res, err
	}
	f := &faulter{c: c, rnd: c.w.Rand("cluster/chaos"), end: c.Now().Add(o.FaultPhase), fsyncErrors: o.FsyncErrors}
	c.afterEffect = f.afterEffect
	f.schedule()
	if err := c.RunUntil(f.end); err != nil {
		return res, fmt.Errorf("cluster: chaos seed %d: %w", seed, err)
	}
	f.healAll()
	d.Stop()
	// Half the clients end their sessions: their closeSession txns must take their
	// ephemerals with them (checked at the end).
	for i, cl := range d.Clients() {
		if i%2 == 1 {
			cl.Do(func(now int64, lib *client.Client) { lib.Close(now, nil) })
		}
	}
	res.HealedAt = int64(c.Now())
	timing := c.timing()
	bound := checker.LivenessBound(timing)
	res.Converged, err = c.settle(bound)
	if err != nil {
		return res, fmt.Errorf("cluster: chaos seed %d: %w", seed, err)
	}
	// Run to the liveness deadline, so the checker can judge progress (idle virtual time
	// costs only the pings).
	if err := c.RunUntil(sim.Time(res.HealedAt).Add(bound)); err != nil {
		return res, fmt.Errorf("cluster: chaos seed %d: %w", seed, err)
	}
	res.EndAt = int64(c.Now())
	c.CheckEphemerals()
	h := c.History()
	res.Ops = len(h.Ops)
	res.Report = checker.Check(checker.Input{History: h, Replicas: c.replicas, Final: c.FinalHistories(),
		Liveness: &checker.Liveness{HealedAt: res.HealedAt, EndAt: res.EndAt, Timing: timing},
		Options:  checker.Options{SkipLinearizability: o.SkipLinearizability}})
	res.Faults, res.Errors = f.log, c.Errors()
	res.Steps, res.TraceHash = c.Steps(), c.TraceHash()
	if k, ok := c.ExplainRun(res.Report); ok {
		res.Known = &k
	}
	return res, nil
}

// settle waits, within bound, for a leader, then makes one probe write through a fresh
// client (a real quorum write moves every server to the same txn zxid, and proves the
// ensemble serves writes again), then waits for every server to converge.
func (c *Cluster) settle(bound sim.Duration) (bool, error) {
	deadline := c.Now().Add(bound)
	if ok, err := c.RunUntilCond(bound, func() bool { _, ok := c.Leader(); return ok }); !ok || err != nil {
		return false, err
	}
	probe, err := c.AddClient(ClientOptions{})
	if err != nil {
		return false, err
	}
	// Retry until one probe is acknowledged: a call made while the client is still
	// connecting fails with the attempt. Each probe is a new sequential node.
	written := false
	var try func(now int64, lib *client.Client)
	try = func(now int64, lib *client.Client) {
		lib.Create(now, "/probe", []byte(fmt.Sprintf("probe@%d", now)), cp.FlagPersistentSequential, func(r client.Result) {
			written = r.Err == cp.ErrOK
			if !written && probe.lib.State() != client.StateExpired {
				c.w.AfterHost(probe.host, 100*sim.Millisecond, func() { probe.Do(try) })
			}
		})
	}
	probe.Do(try)
	if ok, err := c.RunUntilCond(deadline.Sub(c.Now()), func() bool { return written }); !ok || err != nil {
		return false, err
	}
	return c.RunUntilCond(deadline.Sub(c.Now()), c.Converged)
}

func (c *Cluster) timing() checker.Timing {
	return checker.Timing{TickTimeMs: int64(c.cfg.TickTimeMs), InitLimit: int64(c.cfg.InitLimit), SyncLimit: int64(c.cfg.SyncLimit)}
}

// pendingCalls counts client calls accepted and not yet completed.
func (c *Cluster) pendingCalls() int {
	n := 0
	for _, cl := range c.clients {
		n += cl.lib.Pending()
	}
	return n
}

// CheckEphemerals hands every running server's ephemeral nodes to the replica checker,
// which flags any owned by a session whose closeSession already committed.
func (c *Cluster) CheckEphemerals() {
	at := int64(c.w.Now())
	for _, n := range c.nodes {
		if n.srv == nil {
			continue
		}
		tree := n.srv.Tree()
		var nodes []checker.EphemeralNode
		for _, sess := range tree.Sessions() {
			for _, p := range tree.GetEphemerals(sess) {
				nodes = append(nodes, checker.EphemeralNode{Path: p, Owner: sess})
			}
		}
		c.replicas.Ephemerals(int(n.sid), n.applied, nodes, at)
	}
}

// FinalHistories lists each server's final history as its files hold it (the newest
// snapshot's zxid and the logged zxids after it), for the lost-write check. A server
// whose files cannot be read is reported in Errors and left out.
func (c *Cluster) FinalHistories() []checker.FinalServer {
	out := make([]checker.FinalServer, 0, len(c.nodes))
	for _, n := range c.nodes {
		snap, zxids, err := n.store.finalHistory()
		if err != nil {
			c.harnessError(fmt.Sprintf("server %d: reading its final history: %v", n.sid, err))
			continue
		}
		out = append(out, checker.FinalServer{Server: int(n.sid), SnapshotZxid: snap, Zxids: zxids})
	}
	return out
}

// faulter injects random faults until end.
type faulter struct {
	arms        []armedCrash
	fsyncErrors bool
	c           *Cluster
	rnd         *rand.Rand
	end         sim.Time
	log         []string
}

func (f *faulter) uniform(lo, hi sim.Duration) sim.Duration {
	return lo + sim.Duration(f.rnd.Int64N(int64(hi-lo)))
}

func (f *faulter) note(format string, args ...any) {
	f.log = append(f.log, fmt.Sprintf("%v ", f.c.Now())+fmt.Sprintf(format, args...))
}

// schedule draws the next fault time; each fault schedules its own repair.
func (f *faulter) schedule() {
	at := f.c.Now().Add(f.uniform(300*sim.Millisecond, 3*sim.Second))
	if at >= f.end {
		return
	}
	f.c.w.At(at, func() {
		f.inject()
		f.schedule()
	})
}

func (f *faulter) inject() {
	ids := f.c.ServerIDs()
	sid := ids[f.rnd.IntN(len(ids))]
	kinds := 8
	if f.fsyncErrors {
		kinds = 9
	}
	switch f.rnd.IntN(kinds) {
	case 7:
		t := triggers[f.rnd.IntN(len(triggers))]
		f.note("arm: crash %d right after %s", sid, t.what)
		f.arms = append(f.arms, armedCrash{sid: sid, trigger: t})
	case 0, 1:
		f.note("crash %d", sid)
		f.c.Crash(sid)
		f.c.w.After(f.uniform(200*sim.Millisecond, 6*sim.Second), func() { f.c.Restart(sid) })
	case 6:
		f.note("kill %d", sid)
		f.c.Kill(sid)
		f.c.w.After(f.uniform(200*sim.Millisecond, 6*sim.Second), func() { f.c.Restart(sid) })
	case 8:
		d := f.uniform(100*sim.Millisecond, 3*sim.Second)
		f.note("fsync errors on %d for %v", sid, d)
		disk := f.c.w.Disk(f.c.node(sid).host)
		id := disk.Inject(sim.Fault{Name: "chaos-fsync-eio", Ops: []sim.FaultOp{sim.OpSync}, Kind: sim.FaultEIO})
		f.c.w.After(d, func() { disk.RemoveFault(id) })
	case 2:
		side := slices.Clone(ids)
		f.rnd.Shuffle(len(side), func(i, j int) { side[i], side[j] = side[j], side[i] })
		k := 1 + f.rnd.IntN(len(side)-1)
		f.note("partition %v | %v", side[:k], side[k:])
		f.c.Partition(side[:k], side[k:])
		f.c.w.After(f.uniform(500*sim.Millisecond, 8*sim.Second), f.c.Heal)
	case 3:
		f.note("isolate %d", sid)
		f.c.Isolate(sid)
		f.c.w.After(f.uniform(500*sim.Millisecond, 8*sim.Second), f.c.Heal)
	case 4:
		d := f.uniform(100*sim.Millisecond, 5*sim.Second)
		f.note("pause %d for %v", sid, d)
		f.c.Pause(sid, d)
	default:
		other := ids[f.rnd.IntN(len(ids))]
		if other == sid {
			return
		}
		d := f.uniform(100*sim.Millisecond, 4*sim.Second)
		f.note("clog %d->%d for %v", sid, other, d)
		f.c.Clog(sid, other, d)
	}
}

// trigger names a point in a server's flow: right after it executes a matching effect.
type trigger struct {
	what  string
	match func(zab.Effect) bool
}

// armedCrash is a power loss waiting for server sid to reach trigger: the crash falls
// between two effects, where ordering bugs live (an ACK that left before its data was
// durable, an epoch file or a truncation not yet synced).
type armedCrash struct {
	sid     int64
	trigger trigger
}

func sentAck(newLeaderOnly bool) func(zab.Effect) bool {
	return func(e zab.Effect) bool {
		s, ok := e.(zab.Send)
		if !ok {
			return false
		}
		p, ok := s.Msg.(zab.QuorumPacket)
		return ok && p.Type == zab.PacketAck && (!newLeaderOnly || p.Zxid&(1<<32-1) == 0)
	}
}

func effectIs[T zab.Effect](e zab.Effect) bool {
	_, ok := e.(T)
	return ok
}

var triggers = []trigger{
	{"its NEWLEADER ACK", sentAck(true)},
	{"an ACK", sentAck(false)},
	{"a log append", effectIs[zab.AppendTxns]},
	{"an epoch write", effectIs[zab.WriteEpoch]},
	{"a truncation", effectIs[zab.Truncate]},
	{"a snapshot", effectIs[zab.RollAndSnapshot]},
}

// afterEffect fires the first armed crash whose server just executed a matching effect.
func (f *faulter) afterEffect(sid int64, e zab.Effect) {
	for i, a := range f.arms {
		if a.sid != sid || !a.trigger.match(e) {
			continue
		}
		f.arms = slices.Delete(f.arms, i, i+1)
		f.note("crash %d right after %s", sid, a.trigger.what)
		f.c.Crash(sid)
		f.c.w.After(f.uniform(200*sim.Millisecond, 6*sim.Second), func() { f.c.Restart(sid) })
		return
	}
}

// healAll ends every fault: partitions healed, paused servers resumed, down servers
// restarted.
func (f *faulter) healAll() {
	f.note("heal all")
	f.arms = nil
	f.c.Heal()
	for _, sid := range f.c.ServerIDs() {
		h := f.c.node(sid).host
		f.c.w.Disk(h).ClearFaults()
		f.c.w.Resume(h)
		f.c.Restart(sid)
	}
}
