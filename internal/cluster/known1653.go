package cluster

import (
	"fmt"
	"strings"

	"github.com/zabsim/zabsim/zab"
)

// aheadWrite is data a server wrote of an epoch newer than its currentEpoch at the time:
// ZooKeeper's window between a learner persisting its sync state at NEWLEADER and
// writing currentEpoch (reference §3, ZK-1653). A server that goes down inside it, by
// power loss or exit, leaves a disk whose last zxid is ahead of currentEpoch.
type aheadWrite struct {
	zxid     int64
	snapshot bool // a snapshot named zxid; else the last txn of a log append
	atNs     int64
}

// noteAheadWrite records a write whose last zxid is of an epoch past the server's
// currentEpoch. Log appends count only where the variant persists the sync's txns before
// currentEpoch (3.8.5 and later orders); 3.8.0 writes currentEpoch first, so an append
// ahead of it there is not the known window.
func (n *node) noteAheadWrite(srv *zab.Server, zxid int64, snapshot bool) {
	if !snapshot && n.c.opts.Variant == zab.V3_8_0 {
		return
	}
	if srv == nil || zxid>>32 <= srv.Status().CurrentEpoch {
		return
	}
	n.ahead = append(n.ahead, aheadWrite{zxid: zxid, snapshot: snapshot, atNs: int64(n.c.w.Now())})
}

// newEpochDataBehind explains an "is older than the last zxid" refusal when the zxid it
// names is one the server wrote ahead of its currentEpoch (noteAheadWrite) and that
// write is still on the disk it refused to start from (a snapshot by its name).
func (c *Cluster) newEpochDataBehind(r Refusal) (Known, bool) {
	_, after, ok := strings.Cut(r.Err, "is older than the last zxid, ")
	if !ok {
		return Known{}, false
	}
	var zxid int64
	if _, err := fmt.Sscanf(after, "%v", &zxid); err != nil {
		return Known{}, false
	}
	for _, w := range c.node(r.Server).ahead {
		if w.zxid != zxid || w.atNs > r.AtNs {
			continue
		}
		what := fmt.Sprintf("its log up to 0x%x", zxid)
		if w.snapshot {
			snap, ok := r.snapshotFile(zxid)
			if !ok {
				continue
			}
			what = "its sync snapshot " + snap
		}
		return Known{ID: KnownSyncSnapshotBeforeEpoch, Explanation: fmt.Sprintf(
			"server %d went down after writing %s (epoch %d) but before currentEpoch; ZooKeeper 3.8 refuses to start from that disk (%d power losses before)",
			r.Server, what, zxid>>32, r.crashes)}, true
	}
	return Known{}, false
}
