package cluster

import (
	"fmt"

	"github.com/zabsim/zabsim/zab"
)

// Mode is a server's role as `zkServer.sh status` reports it, plus Down for a crashed host.
type Mode int

// Server modes.
const (
	ModeDown Mode = iota
	ModeLooking
	ModeFollowing
	ModeLeading
)

func (m Mode) String() string {
	return [...]string{"down", "looking", "follower", "leader"}[m]
}

func modeOf(m zab.Mode) Mode {
	switch m {
	case zab.Following:
		return ModeFollowing
	case zab.Leading:
		return ModeLeading
	}
	return ModeLooking
}

// Status is one server's state: the server's own zab.Status (mode, epochs, zxids,
// digest) while it runs, plus what the harness knows about the host.
type Status struct {
	zab.Status
	// AppliedZxid is the last txn applied to the tree (a new leader's LastProcessedZxid
	// is its epoch's first zxid before any txn).
	AppliedZxid int64
	Up          bool
	Mode        Mode // ModeDown while the host is down (zab.Status is then the last one seen)
	Exits       int  // times the process exited (zab.Exit)
}

// Status returns server sid's status.
func (c *Cluster) Status(sid int64) Status {
	n := c.node(sid)
	if n.srv == nil {
		return Status{Status: n.last, AppliedZxid: n.applied, Mode: ModeDown, Exits: n.exits}
	}
	n.last = n.srv.Status()
	return Status{Status: n.last, AppliedZxid: n.applied, Up: true, Mode: modeOf(n.last.Mode), Exits: n.exits}
}

// Statuses returns every server's status, by id.
func (c *Cluster) Statuses() []Status {
	out := make([]Status, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = c.Status(n.sid)
	}
	return out
}

// Leader returns the serving leader that a quorum of voters (itself included) is serving
// with in its epoch.
func (c *Cluster) Leader() (int64, bool) {
	sts := c.Statuses()
	for _, s := range sts {
		if s.Mode != ModeLeading || !s.Serving {
			continue
		}
		support := 0
		for _, o := range sts {
			if o.Up && o.Serving && o.Leader == s.ID && o.CurrentEpoch == s.CurrentEpoch {
				support++
			}
		}
		if support > len(c.cfg.Voters())/2 {
			return s.ID, true
		}
	}
	return 0, false
}

// Converged reports whether every server is up and serving with the one leader, at the
// leader's last processed zxid and digest, with nothing outstanding.
func (c *Cluster) Converged() bool { return c.convergedAmong(false) }

// convergedAmong is Converged, optionally ignoring servers that are down.
func (c *Cluster) convergedAmong(upOnly bool) bool {
	leader, ok := c.Leader()
	if !ok {
		return false
	}
	ls := c.Status(leader)
	for _, s := range c.Statuses() {
		if upOnly && !s.Up {
			continue
		}
		if !s.Up || !s.Serving || s.Leader != leader || !sameState(s, ls) || s.Outstanding != 0 {
			return false
		}
	}
	return true
}

// sameState reports whether two servers' trees are at the same point: equal digests and
// equal applied zxids — except that a zxid with counter 0 (a new epoch's start, which a
// SNAP sync installs before the epoch's first txn) matches any zxid before it.
func sameState(a, b Status) bool {
	if a.Digest != b.Digest {
		return false
	}
	const counterMask = 1<<32 - 1
	switch {
	case a.AppliedZxid == b.AppliedZxid:
		return true
	case a.AppliedZxid&counterMask == 0:
		return b.AppliedZxid < a.AppliedZxid
	case b.AppliedZxid&counterMask == 0:
		return a.AppliedZxid < b.AppliedZxid
	}
	return false
}

// Srvr renders server sid's status like ZooKeeper's `srvr` four-letter command.
func (c *Cluster) Srvr(sid int64) string {
	s := c.Status(sid)
	if !s.Up {
		return fmt.Sprintf("Server id: %d\nnot running\n", sid)
	}
	return s.Status.String()
}

// StatusLine renders one server's line of `zkServer.sh status` with its epochs, zxid and
// digest.
func (c *Cluster) StatusLine(sid int64) string {
	s := c.Status(sid)
	if !s.Up {
		return fmt.Sprintf("server.%d: down", sid)
	}
	return fmt.Sprintf("server.%d: Mode: %-8s epoch %d/%d zxid 0x%x applied 0x%x digest 0x%x", sid, s.Mode,
		s.AcceptedEpoch, s.CurrentEpoch, s.LastProcessedZxid, s.AppliedZxid, uint64(s.Digest))
}
