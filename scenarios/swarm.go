package scenarios

import (
	"math/rand/v2"
	"slices"
	"time"
)

const swarmDoc = "The swarm (TigerBeetle's VOPR idea): the seed first draws the options themselves — ensemble size 3/5/7, clients, op mix, which fault kinds are on and how often they fire, latencies, zoo.cfg limits, server variant — then a safety phase runs with those faults and a liveness phase with every fault healed. Each seed is a different test."

// SwarmVariants lists the server variants the swarm draws from ("" is the default,
// most-fixed behaviour). The command line sets it to the variants zab offers; a variant
// with a known bug belongs here only when hunting for that bug.
var SwarmVariants = []string{""}

// swarmOps is the swarm's workload size, the figure the throughput target is quoted for.
const swarmOps = 500

// maxSwarmFaults bounds the faults one swarm run draws.
const maxSwarmFaults = 40

// FaultMix is which fault kinds a swarm run turns on and how often faults fire.
type FaultMix struct {
	Kinds   []Kind        // fault kinds that may fire (restarts and heals follow crashes and partitions)
	MeanGap time.Duration // mean virtual time between fault events
	// LeaderPct is the share of host-targeted faults aimed at the current leader.
	LeaderPct int
	// AsymmetricPct is the share of partitions that are one-way.
	AsymmetricPct int
	// TornPct is the share of crashes that tear the log's unsynced tail.
	TornPct int
}

// SwarmOptions draws a swarm run's options from the seed.
func SwarmOptions(seed uint64) *Options { return swarmOptions("swarm", seed, 0) }

// Swarm3Options is the swarm with three servers: everything else is drawn as in
// SwarmOptions. It is the shape the throughput figure is quoted for.
func Swarm3Options(seed uint64) *Options { return swarmOptions("swarm3", seed, 3) }

// swarmOptions draws a swarm run; servers > 0 fixes the ensemble size.
func swarmOptions(name string, seed uint64, servers int) *Options {
	r := newRand(seed, streamSwarm)
	o := &Options{Scenario: name, Seed: seed}
	o.Config = drawConfig(r)
	if servers > 0 {
		o.Config.Servers = servers
	}
	o.Workload = drawWorkload(r, o.Config.Servers)
	o.Network = Network{
		LatencyMin:  time.Duration(100+r.IntN(1900)) * time.Microsecond,
		LatencyMean: time.Duration(500+r.IntN(9500)) * time.Microsecond,
		TailPct:     r.IntN(6),
	}
	o.Variant = SwarmVariants[r.IntN(len(SwarmVariants))]
	o.Disk = drawDisk(newRand(seed, streamSwarmDisk))
	o.SafetyFor = 20 * time.Second
	o.DrainFor = 40 * time.Second
	// The liveness bound covers a follower's initLimit-tick sync and a few election
	// rounds (FLE's backoff grows to 60 s only after many failed rounds).
	o.LivenessFor = 30*time.Second + 2*time.Duration(o.Config.InitLimit*o.Config.TickTimeMs)*time.Millisecond
	mix := drawFaultMix(r)
	o.Schedule = DrawSchedule(newRand(seed, streamSwarmSchedule), mix, o.Config.Servers, o.SafetyFor)
	return o
}

// drawDisk draws the fsync latency: half the runs keep the default SSD, the others get
// a slower disk with hiccups (from its own stream, so older seeds draw the same rest).
func drawDisk(r *rand.Rand) Disk {
	if r.IntN(2) == 0 {
		return Disk{}
	}
	return Disk{FsyncMean: time.Duration(1+r.IntN(10)) * time.Millisecond, SlowPct: 1 + r.IntN(10),
		SlowMean: time.Duration(50+r.IntN(950)) * time.Millisecond}
}

func drawConfig(r *rand.Rand) Config {
	c := DefaultConfig()
	c.Servers = []int{3, 3, 3, 3, 5, 5, 5, 7}[r.IntN(8)]
	c.TickTimeMs = []int{500, 1000, 2000, 2000}[r.IntN(4)]
	c.InitLimit = 5 + r.IntN(6)
	c.SyncLimit = 2 + r.IntN(4)
	c.SnapCount = []int{20, 100, 1000, 100000}[r.IntN(4)]
	return c
}

func drawWorkload(r *rand.Rand, servers int) Workload {
	mix := OpMix{Create: r.IntN(40), Set: 1 + r.IntN(40), Get: r.IntN(40), Exists: r.IntN(10), Delete: r.IntN(20),
		Children: r.IntN(10), Multi: r.IntN(10), Sync: r.IntN(5)}
	return Workload{
		Clients:          1 + r.IntN(2*servers),
		Ops:              swarmOps,
		Keys:             1 + r.IntN(10),
		Mix:              mix,
		EphemeralPct:     []int{0, 0, 10, 50}[r.IntN(4)],
		SessionTimeoutMs: []int{4000, 10000, 30000}[r.IntN(3)],
		ThinkTime:        time.Duration(5+r.IntN(60)) * time.Millisecond,
	}
}

// swarmKinds are the fault kinds the swarm may turn on.
var swarmKinds = []Kind{Crash, Pause, Partition, Clog, FsyncError, DiskFull, Drift}

func drawFaultMix(r *rand.Rand) FaultMix {
	var m FaultMix
	for _, k := range swarmKinds {
		if r.IntN(2) == 0 {
			m.Kinds = append(m.Kinds, k)
		}
	}
	if len(m.Kinds) == 0 {
		m.Kinds = []Kind{swarmKinds[r.IntN(len(swarmKinds))]}
	}
	m.MeanGap = time.Duration(500+r.IntN(4500)) * time.Millisecond
	m.LeaderPct = r.IntN(60)
	m.AsymmetricPct = r.IntN(50)
	m.TornPct = r.IntN(60)
	return m
}

// DrawSchedule draws a fault schedule for servers hosts over [0, safetyFor): faults of
// the mix's kinds at exponentially distributed gaps, each crash or partition followed
// later by a restart or heal, and never more than a minority crashed at once (so the
// ensemble keeps making progress between faults; the liveness phase heals the rest).
func DrawSchedule(r *rand.Rand, mix FaultMix, servers int, safetyFor time.Duration) Schedule {
	g := &scheduleDrawer{r: r, mix: mix, servers: servers}
	var s Schedule
	t := time.Duration(0)
	for len(s) < maxSwarmFaults && len(mix.Kinds) > 0 {
		t += time.Duration(r.ExpFloat64() * float64(mix.MeanGap)).Truncate(time.Millisecond)
		if t >= safetyFor {
			break
		}
		if ev, ok := g.next(t); ok {
			s = append(s, ev)
		}
	}
	return s
}

type scheduleDrawer struct {
	r           *rand.Rand
	mix         FaultMix
	servers     int
	crashed     int // crashes not yet followed by "restart all"
	partitioned bool
}

func (g *scheduleDrawer) next(t time.Duration) (Event, bool) {
	r := g.r
	if g.crashed > 0 && r.IntN(3) == 0 {
		g.crashed = 0
		return Event{At: t, Kind: Restart, Host: All}, true
	}
	if g.partitioned && r.IntN(3) == 0 {
		g.partitioned = false
		return Event{At: t, Kind: Heal}, true
	}
	k := g.mix.Kinds[r.IntN(len(g.mix.Kinds))]
	if g.servers < 2 && (k == Partition || k == Clog) {
		return Event{}, false // one server has no links to cut
	}
	ev := Event{At: t, Kind: k, Host: g.host()}
	switch k {
	case Crash:
		if g.crashed >= (g.servers-1)/2 {
			return Event{}, false
		}
		g.crashed++
		ev.Torn = r.IntN(100) < g.mix.TornPct
	case Pause, Clog, FsyncError, DiskFull:
		ev.For = time.Duration(100+r.IntN(15000)) * time.Millisecond
	case Drift:
		ev.PPM = int64(r.IntN(200001) - 100000)
	case Partition:
		g.partitioned = true
		ev.A, ev.B = g.sides()
		ev.Once = r.IntN(100) < g.mix.AsymmetricPct
		ev.Host = 0
	}
	if k == Clog {
		a, b := g.link()
		ev.A, ev.B, ev.Host = []Host{a}, []Host{b}, 0
	}
	return ev, true
}

// host picks the target of a host fault: the leader, or a server id.
func (g *scheduleDrawer) host() Host {
	if g.r.IntN(100) < g.mix.LeaderPct {
		return Leader
	}
	return Host(1 + g.r.IntN(g.servers))
}

// sides draws a partition: the leader alone, one server alone, or a random minority,
// against the rest.
func (g *scheduleDrawer) sides() ([]Host, []Host) {
	switch g.r.IntN(3) {
	case 0:
		return []Host{Leader}, []Host{Rest}
	case 1:
		return []Host{Host(1 + g.r.IntN(g.servers))}, []Host{Rest}
	}
	size := 1 + g.r.IntN(max(1, (g.servers-1)/2))
	perm := g.r.Perm(g.servers)[:size]
	slices.Sort(perm)
	side := make([]Host, size)
	for i, p := range perm {
		side[i] = Host(p + 1)
	}
	return side, []Host{Rest}
}

func (g *scheduleDrawer) link() (Host, Host) {
	a := 1 + g.r.IntN(g.servers)
	b := 1 + g.r.IntN(g.servers-1)
	if b >= a {
		b++
	}
	return Host(a), Host(b)
}
