package zab

// syncPlan is the leader's choice of how to synchronize one learner
// (LearnerHandler.syncFollower, reference §3 "Synchronization").
type syncPlan struct {
	mode   SyncMode
	opZxid int64      // zxid of the DIFF / TRUNC / SNAP packet
	send   []Proposal // committed proposals to send as PROPOSAL+COMMIT pairs
	// lastQueued is the highest zxid the learner will have after the plan; forwarding of
	// outstanding proposals starts after it (startForwarding).
	lastQueued int64
}

func isNewEpochZxid(z int64) bool { return counterOf(z) == 0 }

// planSync applies ZooKeeper's decision table. committed is the leader's committedLog (zxid
// order, at most 500). The on-disk txn-log rule (peer older than the committedLog) is not
// available from Recovered, so that case is a SNAP (docs/fidelity/zab.md).
func planSync(peerLast, lastProcessed int64, committed []Proposal) syncPlan {
	minC, maxC := lastProcessed, lastProcessed
	if len(committed) > 0 {
		minC, maxC = committed[0].Zxid, committed[len(committed)-1].Zxid
	}
	snap := syncPlan{mode: SyncSnap, opZxid: lastProcessed, lastQueued: lastProcessed}
	switch {
	case peerLast == lastProcessed:
		return syncPlan{mode: SyncDiff, opZxid: peerLast, lastQueued: peerLast}
	case peerLast > maxC && !isNewEpochZxid(peerLast):
		return syncPlan{mode: SyncTrunc, opZxid: maxC, lastQueued: maxC}
	case minC <= peerLast && peerLast <= maxC:
		if plan, ok := planFromCommittedLog(peerLast, maxC, committed); ok {
			return plan
		}
		return snap
	}
	return snap
}

// planFromCommittedLog is queueCommittedProposals over the committedLog: DIFF when the peer's
// zxid is in our history (or is a new-epoch zxid), TRUNC to the previous proposal when the
// peer has a txn we never had in the same epoch; ok=false means "fall back to SNAP".
func planFromCommittedLog(peerLast, maxC int64, committed []Proposal) (syncPlan, bool) {
	newEpochPeer := isNewEpochZxid(peerLast)
	plan := syncPlan{lastQueued: peerLast}
	decided := false
	prev := int64(-1)
	for _, p := range committed {
		if p.Zxid < peerLast {
			prev = p.Zxid
			continue
		}
		if !decided {
			switch {
			case p.Zxid == peerLast:
				plan.mode, plan.opZxid, decided = SyncDiff, maxC, true
				continue
			case newEpochPeer:
				plan.mode, plan.opZxid, decided = SyncDiff, maxC, true
			default: // p.Zxid > peerLast: the peer has a txn we never had
				if epochOf(p.Zxid) != epochOf(peerLast) {
					return syncPlan{}, false
				}
				plan.mode, plan.opZxid, decided = SyncTrunc, prev, true
			}
		}
		if p.Zxid <= plan.lastQueued {
			continue
		}
		plan.send = append(plan.send, p)
		plan.lastQueued = p.Zxid
	}
	if !decided && newEpochPeer {
		plan.mode, plan.opZxid, decided = SyncDiff, maxC, true
	}
	return plan, decided
}
