package cluster

import (
	"github.com/zabsim/zabsim/sim"
)

// Crash kills server sid's process (power-loss semantics for its disk, drawn from the
// disk's stream). Crashing a down server does nothing.
func (c *Cluster) Crash(sid int64) {
	c.tracef("fault: crash server %d", sid)
	c.powerLoss(sid, sim.CrashDrawn)
}

// CrashWith is Crash with the disk's crash mode forced.
func (c *Cluster) CrashWith(sid int64, mode sim.CrashMode) {
	c.tracef("fault: crash server %d mode %d", sid, mode)
	c.powerLoss(sid, mode)
}

// powerLoss crashes sid's host and traces what the crash undid on its disk.
func (c *Cluster) powerLoss(sid int64, mode sim.CrashMode) {
	disk := c.w.Disk(c.node(sid).host)
	before := len(disk.CrashReports())
	c.w.CrashWith(c.node(sid).host, mode)
	reps := disk.CrashReports()
	if len(reps) == before {
		return // the host was already down
	}
	rep := reps[len(reps)-1]
	for _, u := range rep.UndoneNames {
		c.tracef("disk of server %d: the crash undid %s %s %s", sid, u.Op, u.Path, u.NewPath)
	}
	for _, sc := range rep.SizeChanges {
		c.tracef("disk of server %d: the crash changed the size of %s from %d to %d", sid, sc.Path, sc.Before, sc.After)
	}
}

// CrashReports lists what each power loss of server sid's host undid on its disk (name
// changes and sizes that were not yet durable, files torn), oldest first: the facts that
// tell a known ZooKeeper weakness (an epoch rename never made durable, an unsynced log
// truncation, a torn log) from a simulator bug.
func (c *Cluster) CrashReports(sid int64) []sim.CrashReport {
	return c.w.Disk(c.node(sid).host).CrashReports()
}

// Restart brings a down server back: the host restarts and the server recovers from its
// disk and starts. Restarting a running server does nothing. A recovery failure (a disk
// ZooKeeper could not start from) is recorded in Errors and leaves the host up with no
// server, as a ZooKeeper that exits at startup.
func (c *Cluster) Restart(sid int64) {
	n := c.node(sid)
	if c.w.IsUp(n.host) && n.srv != nil {
		return
	}
	c.tracef("fault: restart server %d", sid)
	c.w.Restart(n.host)
	if err := n.boot(); err != nil {
		c.refusals = append(c.refusals, Refusal{Server: sid, AtNs: int64(c.w.Now()), Err: err.Error(),
			crashes: len(c.CrashReports(sid)), since: n.crashesAtBoot, files: c.w.Disk(n.host).Files()})
		c.harnessError(err.Error())
		c.w.Crash(n.host)
	}
}

// Pause stalls server sid for d (a long GC pause): nothing it would do happens until the
// pause ends, then everything at once.
func (c *Cluster) Pause(sid int64, d sim.Duration) {
	c.tracef("fault: pause server %d for %v", sid, d)
	c.w.Pause(c.node(sid).host, d)
}

func (c *Cluster) hostsOf(sids []int64) []sim.HostID {
	hs := make([]sim.HostID, len(sids))
	for i, s := range sids {
		hs[i] = c.node(s).host
	}
	return hs
}

// Partition cuts every link between a server of a and a server of b, both ways.
func (c *Cluster) Partition(a, b []int64) {
	c.tracef("fault: partition %v | %v", a, b)
	c.w.Network().Partition(c.hostsOf(a), c.hostsOf(b))
}

// PartitionOneWay cuts the links from the servers of from to those of to only.
func (c *Cluster) PartitionOneWay(from, to []int64) {
	c.tracef("fault: partition one way %v -> %v", from, to)
	c.w.Network().PartitionOneWay(c.hostsOf(from), c.hostsOf(to))
}

// Isolate cuts server sid off from every other host, clients included.
func (c *Cluster) Isolate(sid int64) {
	c.tracef("fault: isolate server %d", sid)
	c.w.Network().Isolate(c.node(sid).host)
}

// Heal removes every partition (clogs end on their own).
func (c *Cluster) Heal() {
	c.tracef("fault: heal")
	c.w.Network().Heal()
}

// Clog stalls the link from server a to server b for d; data flows again, in order, after.
func (c *Cluster) Clog(a, b int64, d sim.Duration) {
	c.tracef("fault: clog %d -> %d for %v", a, b, d)
	c.w.Network().Clog(c.node(a).host, c.node(b).host, d)
}

// Drift makes server sid's clock run fast or slow by ppm parts per million.
func (c *Cluster) Drift(sid int64, ppm int64) {
	c.tracef("fault: drift server %d %d ppm", sid, ppm)
	c.w.SetClockDrift(c.node(sid).host, ppm)
}

// Kill ends server sid's process the way `kill -9` does on a live machine: the host and
// its operating system stay up, so the server's sockets are closed (peers get a FIN a
// latency later instead of waiting for a timeout), its ports refuse connections at once,
// and its page cache survives (written-but-unsynced data is kept). Compare Crash, a power
// loss. Restart starts the process again.
func (c *Cluster) Kill(sid int64) {
	n := c.node(sid)
	if n.srv == nil {
		return
	}
	c.tracef("fault: kill server %d", sid)
	c.stopProcess(n)
}

// stopProcess ends n's process on a host that stays up: the OS closes its sockets (peers
// get a FIN) and its ports, and keeps the page cache.
func (c *Cluster) stopProcess(n *node) {
	for _, id := range n.connIDs() {
		_ = n.conns[id].conn.Close()
	}
	net := c.w.Network()
	for _, port := range []int{n.addr.QuorumPort, n.addr.ElectionPort, n.clientPort()} {
		net.Unlisten(n.host, port)
	}
	n.down()
}
