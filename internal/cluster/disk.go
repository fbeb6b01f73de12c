package cluster

import (
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
)

// disk executes one disk effect. The bytes reach the store (the host's simulated disk,
// through zkdb) when the effect is executed; an fsync is performed when the completion
// fires, after the disk's latency, so a crash in between loses what was not synced —
// exactly the window ZooKeeper has between write() and fsync(). Effects complete in the
// order they were emitted.
func (n *node) disk(inc int, e zab.Effect) {
	switch e := e.(type) {
	case zab.AppendTxns:
		err := n.store.append(e.Entries)
		if err == nil && len(e.Entries) > 0 {
			n.unlogged = append(n.unlogged, e.Entries...)
			n.noteAheadWrite(n.srv, e.Entries[len(e.Entries)-1].Zxid, false)
		}
		n.completeAfter(inc, n.drawDisk(e.Fsync), func() error {
			if err != nil || !e.Fsync {
				return err
			}
			return n.store.syncLog()
		}, func(srv *zab.Server, err error) []zab.Effect { return srv.OnDiskDone(n.now(), e.Op, err) })
	case zab.RollAndSnapshot:
		// Serialize now: the tree is the server's live one and will move on.
		err := n.store.snapshot(e.Zxid, e.Tree, e.Sessions, e.Sync)
		if err == nil {
			n.noteAheadWrite(n.srv, e.Zxid, true)
		}
		n.completeAfter(inc, n.drawDisk(true), func() error { return err },
			func(srv *zab.Server, err error) []zab.Effect { return srv.OnDiskDone(n.now(), e.Op, err) })
	case zab.WriteEpoch:
		// The checker hears of the value when the server does (the completion): from then
		// on the server acts on it, so a power loss that brings the old value back is a
		// regression the server can show; a crash before it is not.
		err := n.store.writeEpoch(e.Which, e.Value)
		n.completeAfter(inc, n.drawDisk(true), func() error {
			if err == nil {
				n.noteEpoch(e.Which, e.Value)
			}
			return err
		},
			func(srv *zab.Server, err error) []zab.Effect { return srv.OnDiskDone(n.now(), e.Op, err) })
	case zab.Truncate:
		n.reload(inc, e.Op, func() (zab.Recovered, error) {
			if err := n.store.truncate(e.Zxid); err != nil {
				return zab.Recovered{}, err
			}
			return n.store.handOver()
		}, e.Zxid, true)
	case zab.Reload:
		n.reload(inc, e.Op, n.store.reload, 0, false)
	}
}

// reload truncates (if asked) and rebuilds the database from disk, then answers with
// OnReloaded.
func (n *node) reload(inc int, op zab.OpID, load func() (zab.Recovered, error), zxid int64, truncated bool) {
	rec, err := load()
	if err == nil {
		n.dropUnloggedAfter(rec.LastLoggedZxid)
		n.syncApplied = nil // the reloaded tree replaces whatever the sync had applied
		n.applied = rec.Tree.LastProcessedZxid()
		at := int64(n.c.w.Now())
		if truncated {
			n.noteTruncReload(zxid, rec.Tree.LastProcessedZxid(), at)
			n.c.replicas.Truncated(int(n.sid), zxid, uint64(rec.Tree.Digest()), true, at)
		} else {
			n.c.replicas.Recovered(int(n.sid), rec.Tree.LastProcessedZxid(), uint64(rec.Tree.Digest()), true, at)
		}
	}
	n.completeAfter(inc, n.drawDisk(true), func() error { return err },
		func(srv *zab.Server, err error) []zab.Effect { return srv.OnReloaded(n.now(), op, rec, err) })
}

func (n *node) dropUnloggedAfter(zxid int64) {
	k := 0
	for k < len(n.unlogged) && n.unlogged[k].Zxid <= zxid {
		k++
	}
	n.unlogged = n.unlogged[:k]
}

func (n *node) noteEpoch(which zab.EpochFile, v int64) {
	at := int64(n.c.w.Now())
	if which == zab.AcceptedEpochFile {
		n.acceptedWrites = append(n.acceptedWrites, epochWrite{value: v, atNs: at})
		n.c.replicas.Epoch(int(n.sid), checkerAccepted, v, at)
		return
	}
	n.c.replicas.Epoch(int(n.sid), checkerCurrent, v, at)
}

// completeAfter runs finish (the fsync) and then delivers the completion to the server
// latency after the previous disk effect completed. Both are host events: dropped if the
// host crashes first, held while it is paused.
func (n *node) completeAfter(inc int, latency sim.Duration, finish func() error, deliver func(*zab.Server, error) []zab.Effect) {
	at := max(n.c.w.Now(), n.diskFreeAt).Add(latency)
	n.diskFreeAt = at
	n.c.w.AtHost(n.host, at, func() {
		srv := n.alive(inc)
		if srv == nil {
			return
		}
		err := finish()
		n.apply(deliver(srv, err))
	})
}

// drawDisk draws a disk effect's latency from the host disk's model: an fsync, or a
// page-cache write (a tenth of it).
func (n *node) drawDisk(fsync bool) sim.Duration {
	d := n.c.w.Disk(n.host).FsyncLatency()
	if !fsync {
		d /= 10
	}
	return d
}
