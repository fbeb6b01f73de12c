package cluster

import (
	"fmt"
	"io"
	"slices"

	"github.com/zabsim/zabsim/checker"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
)

const (
	checkerAccepted = checker.AcceptedEpoch
	checkerCurrent  = checker.CurrentEpoch
)

// Options configure a cluster. The zero value (plus a Seed) is the walkthrough's
// three-server ensemble from zab.DefaultConfigText.
type Options struct {
	Seed uint64
	// Config is the parsed zoo.cfg; nil means zab.DefaultConfig(). Each server.N line's
	// host becomes one simulated host.
	Config *zab.Config
	// Variant selects the NEWLEADER behaviour of every server (zero: 3.9.3).
	Variant zab.Variant
	// Net is the network model; nil means sim.DefaultNetOptions().
	Net *sim.NetOptions
	// Disk is the disk model of every host (crash semantics, faults); nil means the
	// default.
	Disk *sim.DiskOptions
	// RestartAfterExit, if positive, restarts a server that exited (zab.Exit) after this
	// long, as a process supervisor would. Zero leaves it down.
	RestartAfterExit sim.Duration
	// Trace receives one line per traced event (nil: hash only).
	Trace io.Writer
	// MaxSteps bounds the number of events (0: sim's default).
	MaxSteps uint64
}

// Cluster is one simulated ZooKeeper ensemble with its clients on one sim.World.
type Cluster struct {
	w    *sim.World
	cfg  *zab.Config
	opts Options

	nodes     []*node // in server id order
	bySID     map[int64]*node
	byName    map[string]*node
	sidOfHost map[sim.HostID]int64

	clients  []*Client
	records  []recordAt
	replicas *checker.Replicas

	established []Election
	// afterEffect, if set (by tests), runs after each server effect is executed: a hook
	// to inject a fault at an exact point of a server's flow.
	afterEffect func(sid int64, e zab.Effect)
	errors      []string // harness errors and client-observed protocol violations
	refusals    []Refusal
}

// Election records a leader becoming established.
type Election struct {
	AtNs   int64 // true virtual time
	Leader int64
	Epoch  int64
}

// New builds the ensemble and boots every server at virtual time 0.
func New(opts Options) (*Cluster, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = zab.DefaultConfig()
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("cluster: the config has no server.N lines")
	}
	w := sim.NewWorld(opts.Seed, worldOptions(opts)...)
	c := &Cluster{w: w, cfg: cfg, opts: opts, bySID: map[int64]*node{},
		byName: map[string]*node{}, sidOfHost: map[sim.HostID]int64{}, replicas: checker.NewReplicas()}
	for _, addr := range cfg.Servers {
		if _, dup := c.byName[addr.Host]; dup {
			return nil, fmt.Errorf("cluster: servers share host %q; each server needs its own host", addr.Host)
		}
		n := &node{c: c, sid: addr.ID, host: w.AddHost(), addr: addr}
		n.store = newStore(c, n)
		c.nodes = append(c.nodes, n)
		c.bySID[n.sid], c.byName[addr.Host], c.sidOfHost[n.host] = n, n, n.sid
		w.OnCrash(n.host, n.down)
	}
	slices.SortFunc(c.nodes, func(a, b *node) int { return int(a.sid - b.sid) })
	for _, n := range c.nodes {
		if err := n.boot(); err != nil {
			return nil, err
		}
		if err := n.store.provision(); err != nil {
			return nil, fmt.Errorf("cluster: server %d: provisioning its data dir: %w", n.sid, err)
		}
	}
	return c, nil
}

func worldOptions(opts Options) []sim.Option {
	var wo []sim.Option
	if opts.Net != nil {
		wo = append(wo, sim.WithNetwork(*opts.Net))
	}
	if opts.Disk != nil {
		wo = append(wo, sim.WithDisks(*opts.Disk))
	}
	if opts.Trace != nil {
		wo = append(wo, sim.WithTrace(opts.Trace))
	}
	if opts.MaxSteps > 0 {
		wo = append(wo, sim.WithMaxSteps(opts.MaxSteps))
	}
	return wo
}

// World returns the simulated world (for scenario drivers that schedule their own events).
func (c *Cluster) World() *sim.World { return c.w }

// Config returns the ensemble's configuration.
func (c *Cluster) Config() *zab.Config { return c.cfg }

// Now is the current true virtual time.
func (c *Cluster) Now() sim.Time { return c.w.Now() }

// RunFor advances the world by d.
func (c *Cluster) RunFor(d sim.Duration) error { return c.w.RunFor(d) }

// RunUntil advances the world to virtual time t.
func (c *Cluster) RunUntil(t sim.Time) error { return c.w.RunUntil(t) }

// RunUntilCond runs until cond holds, checking after every event, for at most limit of
// virtual time. It reports whether cond held.
func (c *Cluster) RunUntilCond(limit sim.Duration, cond func() bool) (bool, error) {
	deadline := c.w.Now().Add(limit)
	for !cond() {
		if c.w.Now() >= deadline {
			return false, nil
		}
		progressed, err := c.w.Step()
		if err != nil {
			return false, err
		}
		if !progressed || c.w.Now() > deadline {
			return cond(), nil
		}
	}
	return true, nil
}

// TraceHash is the running hash of the world's trace: equal seeds give equal hashes.
func (c *Cluster) TraceHash() uint64 { return c.w.TraceHash() }

// Steps is the number of events fired so far.
func (c *Cluster) Steps() uint64 { return c.w.Steps() }

// Replicas is the online replica-invariant checker the harness feeds.
func (c *Cluster) Replicas() *checker.Replicas { return c.replicas }

// Elections lists every leader establishment, in order.
func (c *Cluster) Elections() []Election { return slices.Clone(c.established) }

// Errors lists harness errors and protocol violations the clients saw (a server reply
// out of order, a body that does not fit its request). Any entry is a bug.
func (c *Cluster) Errors() []string { return slices.Clone(c.errors) }

func (c *Cluster) harnessError(msg string) {
	c.errors = append(c.errors, fmt.Sprintf("%v: %s", c.w.Now(), msg))
	c.tracef("ERROR %s", msg)
}

func (c *Cluster) tracef(format string, args ...any) { c.w.Tracef(format, args...) }

func (c *Cluster) onEstablished(n *node, e zab.Established) {
	c.established = append(c.established, Election{AtNs: int64(c.w.Now()), Leader: n.sid, Epoch: e.Epoch})
	c.tracef("server %d established as leader of epoch %d", n.sid, e.Epoch)
}

// node returns server sid or panics: callers pass ids from the config.
func (c *Cluster) node(sid int64) *node {
	n := c.bySID[sid]
	if n == nil {
		panic(fmt.Sprintf("cluster: no server %d", sid))
	}
	return n
}

// ServerIDs returns the servers' ids, sorted.
func (c *Cluster) ServerIDs() []int64 { return c.cfg.ServerIDs() }

// HostOf returns the simulated host of server sid.
func (c *Cluster) HostOf(sid int64) sim.HostID { return c.node(sid).host }
