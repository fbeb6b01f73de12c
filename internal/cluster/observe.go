package cluster

import "github.com/zabsim/zabsim/zab"

// committed feeds one Committed observation to the replica checker. A txn a learner
// applied while syncing belongs to its leader's initial history, which is committed only
// when that leader is established (a proposal the previous leader never got acknowledged
// travels in a DIFF too): until then it is held back, and it is dropped if the server
// moves on first (crash, fast-forward, SNAP, reload) — a weakening, never a false alarm.
func (n *node) committed(e zab.Committed, at int64) {
	n.applied = e.Zxid
	if e.DigestMismatch {
		n.c.tracef("server %d digest mismatch applying 0x%x", n.sid, e.Zxid)
	}
	if e.SyncEpoch != 0 && !n.c.isEstablished(e.SyncLeader, e.SyncEpoch) {
		n.syncApplied = append(n.syncApplied, e)
		return
	}
	n.reportCommitted(e, at)
}

func (n *node) reportCommitted(e zab.Committed, at int64) {
	n.c.replicas.Committed(int(n.sid), e.Zxid, e.Body, uint64(e.Digest), true, at)
	if sess, ok := closeSessionOf(e.Body); ok {
		n.c.replicas.SessionClosed(sess, e.Zxid)
	}
}

// movedWithoutCommits reports a tree that jumped to zxid without commits: a fast-forward
// on leaving a role (ZK-2845: every logged txn applied, committed or not) or a SNAP
// installed from the leader. The checker treats it like a recovery: the digest is
// compared at zxid, the skipped txns are not expected one by one.
func (n *node) movedWithoutCommits(zxid, digest int64, at int64) {
	n.syncApplied = nil
	n.applied = zxid
	n.c.replicas.Recovered(int(n.sid), zxid, uint64(digest), true, at)
}

// abandonSyncApplied: the server left the sync whose applies were held (its leader was
// not established meanwhile). Its tree still holds them, so the checker is told where it
// stands, as after a recovery, without counting them as commits.
func (n *node) abandonSyncApplied(at int64) {
	if len(n.syncApplied) == 0 {
		return
	}
	last := n.syncApplied[len(n.syncApplied)-1]
	n.movedWithoutCommits(last.Zxid, last.Digest, at)
}

// releaseSyncApplied reports, once leader e.Leader is established in e.Epoch, the txns
// its learners applied while syncing with it.
func (c *Cluster) releaseSyncApplied(e zab.Established, at int64) {
	for _, sid := range c.cfg.ServerIDs() {
		n := c.bySID[sid]
		held := n.syncApplied
		n.syncApplied = nil
		for _, ce := range held {
			if ce.SyncEpoch == e.Epoch && ce.SyncLeader == e.Leader {
				n.reportCommitted(ce, at)
			} else {
				n.syncApplied = append(n.syncApplied, ce) // another leader's sync: still pending
			}
		}
	}
}

// isEstablished reports whether leader was established in epoch.
func (c *Cluster) isEstablished(leader, epoch int64) bool {
	for _, el := range c.established {
		if el.Leader == leader && el.Epoch == epoch {
			return true
		}
	}
	return false
}
