package scenarios

import (
	"fmt"
	"strings"
	"time"
)

// Config is the ensemble: how many voting servers and the zoo.cfg values they share.
type Config struct {
	Servers             int // voting servers, ids 1..Servers (3, 5 or 7)
	TickTimeMs          int
	InitLimit           int // ticks
	SyncLimit           int // ticks
	SnapCount           int
	MinSessionTimeoutMs int // 0: ZooKeeper's default, 2 ticks
	MaxSessionTimeoutMs int // 0: ZooKeeper's default, 20 ticks
}

// DefaultConfig is the operator's walkthrough ensemble: three servers, tickTime=2000,
// initLimit=10, syncLimit=5, and ZooKeeper's default snapCount.
func DefaultConfig() Config {
	return Config{Servers: 3, TickTimeMs: 2000, InitLimit: 10, SyncLimit: 5, SnapCount: 100000}
}

// ZooCfg renders the configuration as a zoo.cfg that zab.ParseConfig reads. Hosts are
// named zk1..zkN with ZooKeeper's usual ports; the simulated network only uses the ids.
func (c Config) ZooCfg() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=%d\ninitLimit=%d\nsyncLimit=%d\n", c.TickTimeMs, c.InitLimit, c.SyncLimit)
	b.WriteString("dataDir=/data\nclientPort=2181\n")
	fmt.Fprintf(&b, "snapCount=%d\n", c.SnapCount)
	if c.MinSessionTimeoutMs > 0 {
		fmt.Fprintf(&b, "minSessionTimeout=%d\n", c.MinSessionTimeoutMs)
	}
	if c.MaxSessionTimeoutMs > 0 {
		fmt.Fprintf(&b, "maxSessionTimeout=%d\n", c.MaxSessionTimeoutMs)
	}
	for id := 1; id <= c.Servers; id++ {
		fmt.Fprintf(&b, "server.%d=zk%d:2888:3888\n", id, id)
	}
	return b.String()
}

// OpMix weighs the kinds of client operation the workload issues. Weights are relative;
// a zero weight turns the kind off.
type OpMix struct {
	Create, Set, Get, Exists, Delete, Children, Multi, Sync int
}

func (m OpMix) String() string {
	return fmt.Sprintf("create=%d set=%d get=%d exists=%d delete=%d children=%d multi=%d sync=%d",
		m.Create, m.Set, m.Get, m.Exists, m.Delete, m.Children, m.Multi, m.Sync)
}

// total is the sum of the weights.
func (m OpMix) total() int {
	return m.Create + m.Set + m.Get + m.Exists + m.Delete + m.Children + m.Multi + m.Sync
}

// DefaultMix is a write-heavy mix over a few keys, good at finding lost or reordered writes.
var DefaultMix = OpMix{Create: 20, Set: 35, Get: 20, Exists: 5, Delete: 10, Children: 5, Multi: 3, Sync: 2}

// Workload is what the clients do during the run.
type Workload struct {
	Clients          int // concurrent client sessions
	Ops              int // client operations in all, across clients
	Keys             int // distinct znodes the operations touch
	Mix              OpMix
	EphemeralPct     int           // share of creates that are ephemeral, 0..100
	SessionTimeoutMs int           // requested session timeout
	ThinkTime        time.Duration // mean pause between one client's operations
	// AbandonAt, when positive, is the virtual time at which half of the clients stop
	// (no close, no pings), so their sessions must expire and their ephemerals vanish.
	AbandonAt time.Duration
}

// Disk is the simulated disks' fsync latency shape (a write without fsync takes a tenth).
// The zero value is the harness's default, a datacenter SSD.
type Disk struct {
	FsyncMean time.Duration
	// SlowPct is the percentage of fsyncs that stall for an extra exponentially
	// distributed time of mean SlowMean (a disk hiccup; the window in which an
	// acknowledgement sent before the fsync is dangerous).
	SlowPct  int
	SlowMean time.Duration
	// Model is the disks' durability model (sim.DiskModel's names): "ordered" (ext4
	// data=ordered, also the meaning of ""), "strict" (POSIX: names need a directory
	// fsync) or "reordered" (pages persist in any order, ZOOKEEPER-2560).
	Model string
}

// Network is the simulated network's latency shape.
type Network struct {
	LatencyMin  time.Duration // one-way latency floor
	LatencyMean time.Duration // mean one-way latency (exponential above the floor)
	// TailPct is the share of packets in the long tail (10× the mean).
	TailPct int
}

// Options is everything one run depends on besides the code: printing them and the
// seed is the reproduction recipe. A Scenario turns a seed into Options.
type Options struct {
	Scenario string
	Seed     uint64
	Config   Config
	Workload Workload
	Network  Network
	Disk     Disk
	Variant  string // server variant (zab's name); "" is the default, most-fixed behaviour
	Schedule Schedule
	// SafetyFor is the length of the safety phase: faults fire, clients run.
	SafetyFor time.Duration
	// DrainFor extends the safety phase, faults still in place, until the workload has
	// issued and finished all its operations, for at most this long (0: no extension).
	DrainFor time.Duration
	// LivenessFor bounds the liveness phase: after every fault is healed, the ensemble
	// must elect a leader and converge within this much virtual time.
	LivenessFor time.Duration
}

// Validate reports options a cluster cannot run: sizes out of range, a schedule that
// names a server the ensemble does not have, or events after the safety phase.
func (o *Options) Validate() error {
	c := o.Config
	if c.Servers < 1 || c.Servers > maxHostID {
		return fmt.Errorf("scenarios: %d servers: want 1..%d", c.Servers, maxHostID)
	}
	if c.TickTimeMs <= 0 || c.InitLimit <= 0 || c.SyncLimit <= 0 {
		return fmt.Errorf("scenarios: tickTime, initLimit and syncLimit must be positive (got %d, %d, %d)", c.TickTimeMs, c.InitLimit, c.SyncLimit)
	}
	w := o.Workload
	if w.Clients < 0 || w.Ops < 0 || w.Keys < 1 || w.EphemeralPct < 0 || w.EphemeralPct > 100 {
		return fmt.Errorf("scenarios: bad workload: clients=%d ops=%d keys=%d ephemeral=%d%%", w.Clients, w.Ops, w.Keys, w.EphemeralPct)
	}
	if w.Ops > 0 && (w.Clients == 0 || w.Mix.total() <= 0) {
		return fmt.Errorf("scenarios: bad workload: %d ops need at least one client and a non-zero op mix", w.Ops)
	}
	if o.SafetyFor <= 0 || o.LivenessFor <= 0 || o.DrainFor < 0 {
		return fmt.Errorf("scenarios: safety and liveness phases must be positive (got %s, %s)", o.SafetyFor, o.LivenessFor)
	}
	for i, ev := range o.Schedule {
		if err := checkEventFits(ev, c.Servers); err != nil {
			return fmt.Errorf("scenarios: schedule event %d (%s): %v", i+1, ev, err)
		}
		if ev.At > o.SafetyFor {
			return fmt.Errorf("scenarios: schedule event %d (%s) is after the safety phase (%s)", i+1, ev, formatDuration(o.SafetyFor))
		}
	}
	return nil
}

func checkEventFits(ev Event, servers int) error {
	hosts := append([]Host{ev.Host}, ev.A...)
	hosts = append(hosts, ev.B...)
	for _, h := range hosts {
		if int(h) > servers {
			return fmt.Errorf("server %d does not exist (the ensemble has %d)", h, servers)
		}
	}
	return nil
}

// Describe prints the options as the banner a run starts with: stable, one fact a line.
func (o *Options) Describe() string {
	var b strings.Builder
	c, w, n := o.Config, o.Workload, o.Network
	variant := o.Variant
	if variant == "" {
		variant = "default"
	}
	fmt.Fprintf(&b, "scenario   %s  seed %d\n", o.Scenario, o.Seed)
	fmt.Fprintf(&b, "ensemble   %d servers  tickTime=%d initLimit=%d syncLimit=%d snapCount=%d  variant %s\n",
		c.Servers, c.TickTimeMs, c.InitLimit, c.SyncLimit, c.SnapCount, variant)
	fmt.Fprintf(&b, "workload   %d clients  %d ops  %d keys  %s  ephemeral=%d%%  session=%dms  think=%s",
		w.Clients, w.Ops, w.Keys, w.Mix, w.EphemeralPct, w.SessionTimeoutMs, formatDuration(w.ThinkTime))
	if w.AbandonAt > 0 {
		fmt.Fprintf(&b, "  abandon-at=%s", formatDuration(w.AbandonAt))
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "network    latency min=%s mean=%s tail=%d%%\n", formatDuration(n.LatencyMin), formatDuration(n.LatencyMean), n.TailPct)
	if o.Disk.Model != "" {
		fmt.Fprintf(&b, "disk       model=%s\n", o.Disk.Model)
	}
	if latency := (Disk{FsyncMean: o.Disk.FsyncMean, SlowPct: o.Disk.SlowPct, SlowMean: o.Disk.SlowMean}); latency != (Disk{}) {
		fmt.Fprintf(&b, "disk       fsync mean=%s slow=%d%% (+%s)\n", formatDuration(o.Disk.FsyncMean), o.Disk.SlowPct, formatDuration(o.Disk.SlowMean))
	}
	fmt.Fprintf(&b, "phases     safety %s (+ up to %s for the workload to finish), liveness within %s\n",
		formatDuration(o.SafetyFor), formatDuration(o.DrainFor), formatDuration(o.LivenessFor))
	fmt.Fprintf(&b, "faults     %d events\n", len(o.Schedule))
	for _, ev := range o.Schedule {
		fmt.Fprintf(&b, "  %s\n", ev)
	}
	return b.String()
}
