package scenarios

import (
	"github.com/zabsim/zabsim/zab"
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
	// rounds, after one full election back-off: a server cut off through the safety phase
	// (up to 60 s) has backed off to maxNotificationInterval; after the heal it is silent
	// until its poll times out, and peers deciding in finalizeWait drop its vote meanwhile
	// (ZooKeeper 3.8 does the same; swarm3 314, swarm 2604).
	backoff := time.Duration(zab.DefaultElectionMaxNotificationIntervalMs) * time.Millisecond // the swarm's zoo.cfg keeps the default
	o.LivenessFor = backoff + 5*time.Second + 2*time.Duration(o.Config.InitLimit*o.Config.TickTimeMs)*time.Millisecond
	mix := drawFaultMix(r)
	o.Schedule = DrawSchedule(newRand(seed, streamSwarmSchedule), mix, o.Config.Servers, o.SafetyFor)
	return o
}

// drawDisk draws the fsync latency: half the runs keep the default SSD, the others get
// a slower disk with hiccups (from its own stream, so older seeds draw the same rest);
// then the durability model: mostly ext4's ordered journal, what operators run, and one
// run in ten each on the harsher strict (POSIX) and reordered (ZOOKEEPER-2560) models.
func drawDisk(r *rand.Rand) Disk {
	var d Disk
	if r.IntN(2) != 0 {
		d = Disk{FsyncMean: time.Duration(1+r.IntN(10)) * time.Millisecond, SlowPct: 1 + r.IntN(10),
			SlowMean: time.Duration(50+r.IntN(950)) * time.Millisecond}
	}
	switch r.IntN(10) {
	case 0:
		d.Model = "strict"
	case 1:
		d.Model = "reordered"
	}
	return d
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
		s = append(s, g.next(t)...)
	}
	// Composite faults spread over a short window: keep the script in time order and
	// inside the safety phase.
	for i := range s {
		s[i].At = min(s[i].At, safetyFor)
	}
	slices.SortStableFunc(s, func(a, b Event) int { return int(a.At - b.At) })
	if len(s) > maxSwarmFaults {
		s = s[:maxSwarmFaults]
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

// next draws the fault(s) at time t: one event, several at once for the composite
// faults (a majorities ring, a swizzle of clogs), or none.
func (g *scheduleDrawer) next(t time.Duration) []Event {
	r := g.r
	if g.crashed > 0 && r.IntN(3) == 0 {
		g.crashed = 0
		return []Event{{At: t, Kind: Restart, Host: All}}
	}
	if g.partitioned && r.IntN(3) == 0 {
		g.partitioned = false
		return []Event{{At: t, Kind: Heal}}
	}
	k := g.mix.Kinds[r.IntN(len(g.mix.Kinds))]
	if g.servers < 2 && (k == Partition || k == Clog) {
		return nil // one server has no links to cut
	}
	ev := Event{At: t, Kind: k, Host: g.host()}
	switch k {
	case Crash:
		if g.crashed >= (g.servers-1)/2 {
			return nil
		}
		g.crashed++
		ev.Torn = r.IntN(100) < g.mix.TornPct
	case Pause, FsyncError, DiskFull:
		ev.For = g.faultFor()
	case Drift:
		ev.PPM = int64(r.IntN(200001) - 100000)
	case Partition:
		g.partitioned = true
		if g.servers >= 5 && r.IntN(4) == 0 {
			return g.majoritiesRing(t)
		}
		ev.A, ev.B = g.sides()
		ev.Once = r.IntN(100) < g.mix.AsymmetricPct
		ev.Host = 0
	case Clog:
		if g.servers >= 3 && r.IntN(3) == 0 {
			return g.swizzle(t)
		}
		a, b := g.link()
		ev.A, ev.B, ev.Host, ev.For = []Host{a}, []Host{b}, 0, g.faultFor()
	}
	return []Event{ev}
}

func (g *scheduleDrawer) faultFor() time.Duration {
	return time.Duration(100+g.r.IntN(15000)) * time.Millisecond
}

// majoritiesRing cuts the servers into a ring (Jepsen's majorities-ring): each server
// keeps links only to its nearest neighbours on both sides, enough to see a majority,
// but no two servers see the same majority.
func (g *scheduleDrawer) majoritiesRing(t time.Duration) []Event {
	n := g.servers
	reach := (n / 2) / 2 // neighbours kept on each side: itself + 2*reach >= n/2+1
	if 1+2*reach < n/2+1 {
		reach++
	}
	order := g.r.Perm(n)
	var evs []Event
	for i := 0; i < n; i++ {
		var far []Host
		for j := i + 1; j < n; j++ {
			if d := min(j-i, n-(j-i)); d > reach {
				far = append(far, Host(order[j]+1))
			}
		}
		if len(far) > 0 {
			slices.Sort(far)
			evs = append(evs, Event{At: t, Kind: Partition, A: []Host{Host(order[i] + 1)}, B: far})
		}
	}
	return evs
}

// swizzle is FoundationDB's swizzle-clogging: about half the servers get all their links
// clogged, each link starting within a short window and lasting its own time, so the
// links come back one by one in a random order.
func (g *scheduleDrawer) swizzle(t time.Duration) []Event {
	n := g.servers
	chosen := g.r.Perm(n)[:max(1, n/2)]
	slices.Sort(chosen)
	var evs []Event
	for _, x := range chosen {
		for y := 0; y < n; y++ {
			if y == x {
				continue
			}
			start := t + time.Duration(g.r.IntN(500))*time.Millisecond
			evs = append(evs, Event{At: start, Kind: Clog, A: []Host{Host(x + 1)}, B: []Host{Host(y + 1)}, For: g.faultFor()})
		}
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return int(a.At - b.At) })
	return evs
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
