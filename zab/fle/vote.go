package fle

import (
	"fmt"
	"math"
)

// Vote is a proposal for leader: the candidate, its last zxid and epoch, and the election
// round (logicalclock) in which it was cast.
type Vote struct {
	Leader        int64
	Zxid          int64
	ElectionEpoch int64
	PeerEpoch     int64
}

func (v Vote) String() string {
	return fmt.Sprintf("(leader %d, zxid 0x%x, round %d, peerEpoch %d)", v.Leader, v.Zxid, v.ElectionEpoch, v.PeerEpoch)
}

// noVote is what non-participants propose (Long.MIN_VALUE for id, zxid and epoch).
const noVote = math.MinInt64

// Predicate is the vote order FLE uses to decide whether a received vote beats the current
// proposal (totalOrderPredicate).
type Predicate int

const (
	// TotalOrder is ZooKeeper's order since ZK-1419 (3.4.4): higher peerEpoch wins; on
	// equal epoch higher zxid; on equal epoch and zxid higher sid.
	TotalOrder Predicate = iota
	// PreZK1419 is the order of ZooKeeper ≤ 3.4.3, whose sid clause ignored the epoch:
	// new wins iff newEpoch > curEpoch, or (equal epoch and newZxid > curZxid), or
	// (newZxid == curZxid and newId > curId). Not a total order: with equal zxids, a
	// higher-epoch vote beats a higher-sid vote and vice versa, so votes can cycle.
	PreZK1419
)

func (p Predicate) String() string {
	if p == PreZK1419 {
		return "pre-ZK-1419"
	}
	return "total-order"
}

// Beats reports whether candidate (newID, newZxid, newEpoch) beats the current proposal
// (curID, curZxid, curEpoch) under p. In a majority quorum every server has weight 1, so
// ZooKeeper's "weight 0 never wins" clause never applies.
func (p Predicate) Beats(newID, newZxid, newEpoch, curID, curZxid, curEpoch int64) bool {
	if p == PreZK1419 {
		return newEpoch > curEpoch ||
			(newEpoch == curEpoch && newZxid > curZxid) ||
			(newZxid == curZxid && newID > curID)
	}
	if newEpoch != curEpoch {
		return newEpoch > curEpoch
	}
	if newZxid != curZxid {
		return newZxid > curZxid
	}
	return newID > curID
}

// beatsVote is Beats on two votes.
func (p Predicate) beatsVote(n, cur Vote) bool {
	return p.Beats(n.Leader, n.Zxid, n.PeerEpoch, cur.Leader, cur.Zxid, cur.PeerEpoch)
}

// tallied is a vote as FLE stores it in recvset/outofelection, with the sender's state and
// the notification version, which decide how it compares (Vote.equals).
type tallied struct {
	vote    Vote
	state   State
	version int32
}

// sameVote is Vote.equals: if either side is LOOKING, all of leader, zxid, electionEpoch
// and peerEpoch must match; otherwise (out-of-election votes, ZK-1732/1805) only the
// leader and peerEpoch, or only the leader when exactly one side has version 0.
func sameVote(a, b tallied) bool {
	if a.state == Looking || b.state == Looking {
		return a.vote == b.vote
	}
	if (a.version > 0) != (b.version > 0) {
		return a.vote.Leader == b.vote.Leader
	}
	return a.vote.Leader == b.vote.Leader && a.vote.PeerEpoch == b.vote.PeerEpoch
}
