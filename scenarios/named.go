package scenarios

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Scenario is a named, documented recipe that turns a seed into run Options.
type Scenario struct {
	Name string
	Doc  string // one paragraph: what it does and what it is meant to find
	// Options draws the run's options from the seed. Named scenarios fix the shape and
	// let the seed jitter fault times; the swarm draws everything.
	Options func(seed uint64) *Options
}

// Stream tags: each draw of scenario options gets its own stream of the seed so that
// drawing more in one place does not reshuffle another (the simulator forks its own
// streams from the same seed).
const (
	streamJitter = 0x5ce4a1 + iota
	streamSwarm
	streamSwarmSchedule
	streamSwarmDisk
)

func newRand(seed uint64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// base is the common shape of named scenarios: the walkthrough ensemble, a modest
// write-heavy workload, a LAN-like network.
func base(name string, seed uint64) *Options {
	return &Options{
		Scenario: name,
		Seed:     seed,
		Config:   DefaultConfig(),
		Workload: Workload{Clients: 3, Ops: 500, Keys: 5, Mix: DefaultMix, SessionTimeoutMs: 10000,
			ThinkTime: 40 * time.Millisecond},
		Network:     Network{LatencyMin: 200 * time.Microsecond, LatencyMean: time.Millisecond, TailPct: 1},
		SafetyFor:   30 * time.Second,
		DrainFor:    30 * time.Second,
		LivenessFor: 60 * time.Second,
	}
}

// fixed builds a named scenario from a script and an optional tweak of the base options.
// The seed shifts each event by up to jitter (keeping their order), so different seeds
// hit different moments of the protocol.
func fixed(name, doc, script string, jitter time.Duration, tweak func(*Options)) *Scenario {
	sched, err := ParseSchedule(strings.NewReader(script), name)
	if err != nil {
		panic(fmt.Sprintf("scenarios: built-in scenario %s: %v", name, err))
	}
	return &Scenario{Name: name, Doc: doc, Options: func(seed uint64) *Options {
		o := base(name, seed)
		if tweak != nil {
			tweak(o)
		}
		o.Schedule = jitterSchedule(sched, newRand(seed, streamJitter), jitter)
		return o
	}}
}

// jitterSchedule delays each event by a random amount below jitter, then restores time
// order (a stable sort, so events drawn at the same instant keep their script order).
func jitterSchedule(s Schedule, r *rand.Rand, jitter time.Duration) Schedule {
	out := make(Schedule, len(s))
	for i, ev := range s {
		ev.A, ev.B = slices.Clone(ev.A), slices.Clone(ev.B)
		if jitter > 0 {
			ev.At += time.Duration(r.Int64N(int64(jitter)))
			ev.At = ev.At.Truncate(time.Millisecond)
		}
		out[i] = ev
	}
	slices.SortStableFunc(out, func(a, b Event) int { return int(a.At - b.At) })
	return out
}

var catalog = []*Scenario{
	fixed("three-node-failover",
		"The operator's walkthrough under load: three servers elect a leader, the leader crashes, the other two elect a new one and keep serving, the old leader restarts and catches up as a follower.",
		"at 5s crash leader\nat 12s restart all\n", time.Second, nil),
	fixed("leader-isolated",
		"A partition cuts the leader off from both followers. It must step down within syncLimit ticks; the majority elects a new leader; after the heal the old leader rejoins (and truncates anything it logged alone).",
		"at 5s partition leader | rest\nat 18s heal\n", time.Second, nil),
	fixed("minority-majority",
		"Five servers: a minority of two followers is cut off (the majority keeps serving), then healed; then the leader plus one follower are cut off from the other three, which must elect a new leader.",
		"at 4s partition 1,2 | rest\nat 10s heal\nat 12s partition leader,1 | rest\nat 22s heal\n", time.Second,
		func(o *Options) { o.Config.Servers = 5 }),
	fixed("asymmetric-partition",
		"One-way partitions: first the leader's packets to the others are lost while theirs reach it, then the reverse. TCP connections break on one side only; election and quorum channels disagree about who is reachable.",
		"at 5s partition leader -> rest\nat 14s heal\nat 16s partition rest -> leader\nat 26s heal\n", time.Second, nil),
	fixed("rolling-restarts",
		"Every server is restarted in turn, as an operator upgrading the ensemble would: each restart recovers from its log and snapshots and must rejoin without losing or reordering committed writes.",
		"at 3s crash 1\nat 6s restart 1\nat 9s crash 2\nat 12s restart 2\nat 15s crash 3\nat 18s restart 3\n", 500*time.Millisecond, nil),
	fixed("repeated-leader-crashes",
		"The leader crashes four times, each time shortly after a new one is elected, with restarts in between: epochs pile up and servers that were ahead must be truncated.",
		"at 4s crash leader\nat 7s restart all\nat 9s crash leader\nat 12s restart all\nat 14s crash leader\nat 17s restart all\nat 19s crash leader\nat 22s restart all\n",
		time.Second, nil),
	fixed("torn-log-tail",
		"Crashes that tear the unsynced tail of the transaction log (a partial last record, as after a power cut). Recovery must stop at the tear without losing fsynced, acknowledged transactions.",
		"at 4s crash leader torn\nat 7s restart all\nat 10s crash 2 torn\nat 10.5s crash 3 torn\nat 13s restart all\n", time.Second, nil),
	fixed("disk-full-leader",
		"The leader's disk fills up: its log appends fail. ZooKeeper's SyncRequestProcessor treats that as fatal and the server exits; the others must elect a new leader without losing acknowledged writes.",
		"at 5s disk-full leader for 6s\nat 14s restart all\n", time.Second, nil),
	fixed("fsync-errors",
		"fsync fails on a follower and then on the leader. A server must never acknowledge a proposal whose fsync failed; ZooKeeper exits on such an error, and the ensemble must carry on.",
		"at 4s fsync-error 2 for 3s\nat 9s restart all\nat 11s fsync-error leader for 3s\nat 16s restart all\n", time.Second, nil),
	fixed("snapshots-under-load",
		"snapCount=20 makes every server roll its log and take fuzzy snapshots constantly while writes flow and servers crash and restart, so recovery and SNAP syncs read snapshots that contain txns newer than their names.",
		"at 4s crash 1\nat 7s restart 1\nat 10s crash leader\nat 13s restart all\n", time.Second,
		func(o *Options) {
			o.Config.SnapCount = 20
			o.Workload.Ops = 800
			o.Workload.ThinkTime = 20 * time.Millisecond
		}),
	fixed("session-expiry-failover",
		"Clients create ephemeral nodes, half of them then vanish without closing their sessions, and the leader crashes: the new leader must give every session a fresh timeout and expire the abandoned ones, deleting their ephemerals, without touching live sessions.",
		"at 6s crash leader\nat 20s restart all\n", time.Second,
		func(o *Options) {
			o.Workload.Clients, o.Workload.EphemeralPct, o.Workload.AbandonAt = 4, 60, 3*time.Second
			o.Workload.SessionTimeoutMs = 6000
			o.SafetyFor = 40 * time.Second
		}),
	fixed("paused-leader",
		"The leader stalls (a long GC pause) for longer than syncLimit ticks: followers give up on it and elect a new leader; when the old one wakes it must learn it is no longer leading and rejoin.",
		"at 5s pause leader for 15s\n", time.Second, nil),
	fixed("clock-drift",
		"Two servers' clocks run 5% fast and 5% slow while the leader crashes: tick-based timeouts (initLimit, syncLimit, session expiry) fire early or late on those hosts, but safety must not depend on clocks.",
		"at 0s drift 1 +50000ppm\nat 0s drift 2 -50000ppm\nat 6s crash leader\nat 12s restart all\nat 15s crash leader\nat 20s restart all\n",
		500*time.Millisecond, nil),
	fixed("five-node",
		"Five servers lose two at once (the most a quorum of three survives), then the leader: elections over five voters, quorums of three, and syncs of several lagging followers at once.",
		"at 4s crash 1\nat 4.2s crash 2\nat 8s crash leader\nat 9s restart 1\nat 14s restart all\n", time.Second,
		func(o *Options) { o.Config.Servers = 5; o.Workload.Clients = 5 }),
	fixed("log-fsync-error-in-sync",
		"Both followers go down; one restarts while its transaction log's fsyncs fail (a failing dataLogDir device) and syncs with the leader that was left alone, so the txns it receives cannot be made durable: it must not count toward a new epoch (ZooKeeper exits on the failed fsync). It then loses power, and the two followers elect without the old leader: no committed write may be lost. ZK-4646's shape, with an fsync error in place of a slow disk.",
		"at 3s crash 1\nat 6s crash 2\nat 10s fsync-error 1 log for 8s\nat 10s restart 1\nat 18s crash 1\nat 20s restart 1\nat 20s restart 2\n",
		0, nil),
	{Name: "swarm", Doc: swarmDoc, Options: SwarmOptions},
	{Name: "swarm3", Doc: "The swarm with the ensemble fixed at three servers (the shape the throughput figure is quoted for: 500 ops, faults, full checking).", Options: Swarm3Options},
}

// Catalog lists every named scenario, the swarms last.
func Catalog() []*Scenario { return slices.Clone(catalog) }

// Lookup finds a scenario by name.
func Lookup(name string) (*Scenario, error) {
	for _, s := range catalog {
		if s.Name == name {
			return s, nil
		}
	}
	names := make([]string, len(catalog))
	for i, s := range catalog {
		names[i] = s.Name
	}
	return nil, fmt.Errorf("scenarios: unknown scenario %q (known: %s)", name, strings.Join(names, ", "))
}
