package cluster

import (
	"fmt"

	"github.com/zabsim/zabsim/checker"
)

// KnownTruncReloadsNewerSnapshot: after TRUNC to z a learner truncates its log and reloads
// the whole database from disk; the reload takes the newest valid snapshot even when it
// is named past z (e.g. the one the server took when it briefly led with txns nobody
// else has), so the truncated txns survive in its tree while it reports z. Reference §11,
// ZOOKEEPER-4837 (fix proposed, not in 3.8): its digest at later zxids differs.
const KnownTruncReloadsNewerSnapshot = "ZK-4837 (TRUNC reload picks a newer snapshot)"

// staleReload is one TRUNC reload whose tree came back beyond the truncation zxid.
type staleReload struct {
	atNs                int64
	truncZxid, treeZxid int64
}

// noteTruncReload records a TRUNC to truncZxid whose reloaded tree stands at treeZxid.
func (n *node) noteTruncReload(truncZxid, treeZxid int64, atNs int64) {
	if treeZxid <= truncZxid {
		return
	}
	n.staleReloads = append(n.staleReloads, staleReload{atNs: atNs, truncZxid: truncZxid, treeZxid: treeZxid})
	n.c.tracef("server %d: TRUNC to 0x%x reloaded a snapshot at 0x%x (ZK-4837)", n.sid, truncZxid, treeZxid)
}

// staleReloadBefore explains a digest divergence of this server seen after one of its
// TRUNC reloads kept txns past the truncation point.
func (n *node) staleReloadBefore(f checker.Failure) (Known, bool) {
	if n == nil || f.Invariant != checker.InvDigest {
		return Known{}, false
	}
	for _, r := range n.staleReloads {
		if f.At <= 0 || r.atNs <= f.At {
			return Known{ID: KnownTruncReloadsNewerSnapshot, Explanation: fmt.Sprintf(
				"server %d was told TRUNC to 0x%x but reloaded a snapshot at 0x%x, keeping the txns in between (ZooKeeper 3.8 does the same)",
				n.sid, r.truncZxid, r.treeZxid)}, true
		}
	}
	return Known{}, false
}

// nodeOf returns server sid's node, or nil for an id outside the ensemble.
func (c *Cluster) nodeOf(sid int) *node { return c.bySID[int64(sid)] }
