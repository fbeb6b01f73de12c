package checker

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
)

// Replicas is the online replica-invariant checker. The cluster harness calls its event
// methods as the run goes (white box: it sees every server's durable and applied state);
// each call checks what it can at once and records failures, so a violation is reported
// at the virtual time it happened. It is not safe for concurrent use (the simulation is
// single-threaded).
//
// Zxids are ZooKeeper's: epoch<<32 | counter. Times are virtual nanoseconds.
type Replicas struct {
	leaderOfEpoch map[int64]int         // epoch -> server established as its leader
	txnAt         map[int64]txnSighting // zxid -> fingerprint of its txn bytes, first sighting
	digestAt      map[int64]digestSighting
	committed     []int64 // every zxid committed through the normal path, sorted
	servers       map[int]*serverTrack
	closedAt      map[int64]int64            // session -> zxid of its committed closeSession txn
	requests      map[requestID]committedTxn // (session, cxid) of a committed txn -> where and what
	logged        map[requestID]bool         // (session, cxid) of every txn made durable anywhere
	failures      []Failure
	lastLeaderAt  int64 // time of the latest LeaderEstablished
	leaderUp      bool  // a leader is established and has not stepped down
	currentLeader int
}

type txnSighting struct {
	fingerprint uint64
	size        int
	server      int
}

type digestSighting struct {
	digest uint64
	server int
}

// serverTrack is what the checker remembers of one server.
type serverTrack struct {
	base          int64   // zxids <= base came from recovery or sync; not checked for gaps
	applied       []int64 // zxids committed since base, increasing
	lastZxid      int64   // last zxid in the server's tree
	lastDigest    uint64
	hasDigest     bool
	lastChangeAt  int64 // virtual time lastZxid last changed
	acceptedEpoch int64
	currentEpoch  int64
}

// NewReplicas returns an empty replica checker.
func NewReplicas() *Replicas {
	return &Replicas{
		leaderOfEpoch: map[int64]int{},
		txnAt:         map[int64]txnSighting{},
		digestAt:      map[int64]digestSighting{},
		servers:       map[int]*serverTrack{},
		closedAt:      map[int64]int64{},
		requests:      map[requestID]committedTxn{},
		logged:        map[requestID]bool{},
	}
}

// EpochOf returns the epoch part of a zxid.
func EpochOf(zxid int64) int64 { return int64(uint64(zxid) >> 32) }

func (r *Replicas) server(id int) *serverTrack {
	s := r.servers[id]
	if s == nil {
		s = &serverTrack{}
		r.servers[id] = s
	}
	return s
}

func (r *Replicas) fail(f Failure) { r.failures = append(r.failures, f) }

// Failures returns the violations found so far, in the order they were seen.
func (r *Replicas) Failures() []Failure { return slices.Clone(r.failures) }

// LeaderEstablished records that server became the established leader of epoch (a quorum
// acknowledged its NEWLEADER). A second server established in the same epoch is a
// violation of InvOneLeaderPerEpoch.
func (r *Replicas) LeaderEstablished(server int, epoch int64, at int64) {
	if prev, ok := r.leaderOfEpoch[epoch]; ok && prev != server {
		r.fail(Failure{Invariant: InvOneLeaderPerEpoch, At: at, Servers: []int{prev, server},
			Explanation: fmt.Sprintf("servers %d and %d were both established leader of epoch %d (second at t=%d)",
				prev, server, epoch, at)})
	} else if ok {
		// The same server established twice in one epoch: every Leader.lead() proposes
		// max(acceptedEpoch)+1 over a quorum including itself, so a second establishment
		// in an epoch means an epoch was reused, which is how two histories get one zxid.
		// Servers names the first and the second establishment, as for two servers.
		r.fail(Failure{Invariant: InvOneLeaderPerEpoch, At: at, Servers: []int{server, server},
			Explanation: fmt.Sprintf("server %d was established leader of epoch %d twice (second at t=%d)",
				server, epoch, at)})
	}
	r.leaderOfEpoch[epoch] = server
	r.lastLeaderAt = at
	r.leaderUp = true
	r.currentLeader = server
}

// LeaderLost records that server stopped leading (it went back to looking or crashed).
func (r *Replicas) LeaderLost(server int, at int64) {
	if r.leaderUp && r.currentLeader == server {
		r.leaderUp = false
	}
}

// Logged records that server made txn (its serialized bytes, header included) durable at
// zxid. Bytes are fingerprinted, not kept. A different txn at a zxid seen before, on any
// server, violates InvSameTxnAtZxid: a zxid is proposed once, by its epoch's one leader.
func (r *Replicas) Logged(server int, zxid int64, txn []byte, at int64) {
	r.sawTxn(server, zxid, txn, at)
	if id, ok := requestOf(zxid, txn); ok {
		r.logged[id] = true
	}
}

func (r *Replicas) sawTxn(server int, zxid int64, txn []byte, at int64) {
	if txn == nil {
		return
	}
	h := fnv.New64a()
	h.Write(txn)
	fp := h.Sum64()
	prev, ok := r.txnAt[zxid]
	if !ok {
		r.txnAt[zxid] = txnSighting{fingerprint: fp, size: len(txn), server: server}
		return
	}
	if prev.fingerprint != fp || prev.size != len(txn) {
		r.fail(Failure{Invariant: InvSameTxnAtZxid, Zxid: zxid, At: at, Servers: []int{prev.server, server},
			Explanation: fmt.Sprintf("zxid 0x%x: server %d has a %d-byte txn, server %d a different %d-byte txn",
				zxid, prev.server, prev.size, server, len(txn))})
	}
}

// Committed records that server applied the txn at zxid to its data tree through the normal
// commit path (a COMMIT, the leader's own commit, or a txn delivered by DIFF and applied),
// with the tree digest after it (hasDigest false if digests are off). txn may be nil if the
// harness only logs bytes through Logged.
//
// Checked: InvSameTxnAtZxid, InvDigest (same zxid ⇒ same digest on every server), and
// InvCommittedPrefix: the server's zxids increase and skip no zxid that any server
// committed in between.
func (r *Replicas) Committed(server int, zxid int64, txn []byte, digest uint64, hasDigest bool, at int64) {
	r.sawTxn(server, zxid, txn, at)
	r.noteRequest(zxid, txn)
	s := r.server(server)
	if last := s.lastApplied(); zxid <= last {
		r.fail(Failure{Invariant: InvCommittedPrefix, Zxid: zxid, At: at, Servers: []int{server},
			Explanation: fmt.Sprintf("server %d committed zxid 0x%x after 0x%x: commits must increase", server, zxid, last)})
		return
	}
	r.checkNoSkipped(server, s, zxid, at)
	s.applied = append(s.applied, zxid)
	r.addCommitted(server, zxid, at)
	r.setLast(server, s, zxid, digest, hasDigest, at)
}

func (s *serverTrack) lastApplied() int64 {
	if n := len(s.applied); n > 0 {
		return s.applied[n-1]
	}
	return s.base
}

// checkNoSkipped fails if a globally committed zxid lies strictly between the server's
// previous commit and zxid.
func (r *Replicas) checkNoSkipped(server int, s *serverTrack, zxid int64, at int64) {
	last := s.lastApplied()
	i, _ := slices.BinarySearch(r.committed, last+1)
	if i < len(r.committed) && r.committed[i] < zxid {
		r.fail(Failure{Invariant: InvCommittedPrefix, Zxid: r.committed[i], At: at, Servers: []int{server},
			Explanation: fmt.Sprintf("server %d committed 0x%x after 0x%x, skipping 0x%x that another server committed",
				server, zxid, last, r.committed[i])})
	}
}

// addCommitted adds zxid to the global committed set; a zxid new to the set must not fall
// inside the committed span of a server that does not have it.
func (r *Replicas) addCommitted(server int, zxid int64, at int64) {
	i, found := slices.BinarySearch(r.committed, zxid)
	if found {
		return
	}
	r.committed = slices.Insert(r.committed, i, zxid)
	for _, id := range sortedServerIDs(r.servers) {
		o := r.servers[id]
		if id == server || len(o.applied) == 0 || zxid <= o.base || zxid >= o.applied[len(o.applied)-1] {
			continue
		}
		if _, has := slices.BinarySearch(o.applied, zxid); !has {
			r.fail(Failure{Invariant: InvCommittedPrefix, Zxid: zxid, At: at, Servers: []int{id, server},
				Explanation: fmt.Sprintf("server %d committed 0x%x, which server %d skipped (it committed 0x%x..0x%x without it)",
					server, zxid, id, o.applied[0], o.applied[len(o.applied)-1])})
		}
	}
}

func (r *Replicas) setLast(server int, s *serverTrack, zxid int64, digest uint64, hasDigest bool, at int64) {
	if zxid != s.lastZxid || digest != s.lastDigest {
		s.lastChangeAt = at
	}
	s.lastZxid, s.lastDigest, s.hasDigest = zxid, digest, hasDigest
	if !hasDigest {
		return
	}
	prev, ok := r.digestAt[zxid]
	if !ok {
		r.digestAt[zxid] = digestSighting{digest: digest, server: server}
		return
	}
	if prev.digest != digest {
		r.fail(Failure{Invariant: InvDigest, Zxid: zxid, At: at, Servers: []int{prev.server, server},
			Explanation: fmt.Sprintf("at zxid 0x%x server %d has tree digest 0x%x, server %d has 0x%x",
				zxid, prev.server, prev.digest, server, digest)})
	}
}

// Recovered records that server rebuilt its tree from disk (restart) or took a snapshot
// from the leader (SNAP sync) and now stands at lastZxid with digest. Commits before it
// are not re-checked for gaps; the digest is compared with every other server's at the
// same zxid, which is how a replica that kept a txn it should have truncated is caught.
func (r *Replicas) Recovered(server int, lastZxid int64, digest uint64, hasDigest bool, at int64) {
	s := r.server(server)
	s.base, s.applied = lastZxid, nil
	r.setLast(server, s, lastZxid, digest, hasDigest, at)
}

// Truncated records that server truncated its log and tree back to zxid (a TRUNC from the
// leader).
func (r *Replicas) Truncated(server int, zxid int64, digest uint64, hasDigest bool, at int64) {
	r.Recovered(server, zxid, digest, hasDigest, at)
}

// EpochKind names the two durable epochs of a ZooKeeper server.
type EpochKind uint8

// The two epoch files.
const (
	AcceptedEpoch EpochKind = iota + 1
	CurrentEpoch
)

// Epoch records the value of server's acceptedEpoch or currentEpoch, whenever it is
// written or read back at restart. Either going down is an InvEpochMonotonic failure (for
// example an epoch file write that was not made durable before the server acted on it),
// and so is currentEpoch above acceptedEpoch.
func (r *Replicas) Epoch(server int, kind EpochKind, epoch int64, at int64) {
	s := r.server(server)
	prev, name := &s.acceptedEpoch, "acceptedEpoch"
	if kind == CurrentEpoch {
		prev, name = &s.currentEpoch, "currentEpoch"
	}
	if epoch < *prev {
		r.fail(Failure{Invariant: InvEpochMonotonic, At: at, Servers: []int{server},
			Explanation: fmt.Sprintf("server %d %s went from %d down to %d", server, name, *prev, epoch)})
	}
	*prev = epoch
	if s.currentEpoch > s.acceptedEpoch {
		r.fail(Failure{Invariant: InvEpochMonotonic, At: at, Servers: []int{server},
			Explanation: fmt.Sprintf("server %d currentEpoch %d is above acceptedEpoch %d", server, s.currentEpoch, s.acceptedEpoch)})
	}
}

// SessionClosed records that the closeSession txn of session (explicit close or expiry)
// committed at zxid.
func (r *Replicas) SessionClosed(session int64, zxid int64) {
	if z, ok := r.closedAt[session]; !ok || zxid < z {
		r.closedAt[session] = zxid
	}
}

// EphemeralNode is one ephemeral znode as a server's tree holds it.
type EphemeralNode struct {
	Path  string
	Owner int64 // session id
}

// Ephemerals checks server's ephemeral nodes when its tree stands at zxid: none may belong
// to a session whose closeSession txn committed at or before zxid (InvEphemeralOwner).
func (r *Replicas) Ephemerals(server int, zxid int64, nodes []EphemeralNode, at int64) {
	for _, n := range nodes {
		if z, ok := r.closedAt[n.Owner]; ok && z <= zxid {
			r.fail(Failure{Invariant: InvEphemeralOwner, Zxid: zxid, At: at, Servers: []int{server},
				Explanation: fmt.Sprintf("server %d at zxid 0x%x still has ephemeral %s of session 0x%x, closed at 0x%x",
					server, zxid, n.Path, n.Owner, z)})
		}
	}
}

// requestID names a client request: its session and xid (the txn header's cxid).
type requestID struct {
	session int64
	xid     int32
}

// txnHeaderSize is the size of ZooKeeper's TxnHeader: clientId long, cxid int, zxid long,
// time long, type int.
const txnHeaderSize = 32

// committedTxn is where a request's txn committed, and whether it was an error txn (a
// write the server rejected: it changed nothing).
type committedTxn struct {
	zxid   int64
	failed bool
}

// txnTypeError is TxnHeader.type of an error txn (OpCode.error).
const txnTypeError = -1

// txnFailed reads whether a log-entry body is an error txn.
func txnFailed(txn []byte) bool {
	return int32(binary.BigEndian.Uint32(txn[28:32])) == txnTypeError
}

// requestOf reads the TxnHeader at the start of a log-entry body: which request the txn
// came from. A body too short, or whose header zxid is not zxid, is not trusted.
func requestOf(zxid int64, txn []byte) (requestID, bool) {
	if len(txn) < txnHeaderSize || int64(binary.BigEndian.Uint64(txn[12:20])) != zxid {
		return requestID{}, false
	}
	return requestID{session: int64(binary.BigEndian.Uint64(txn[0:8])), xid: int32(binary.BigEndian.Uint32(txn[8:12]))}, true
}

// noteRequest records which request a committed txn came from.
func (r *Replicas) noteRequest(zxid int64, txn []byte) {
	id, ok := requestOf(zxid, txn)
	if !ok {
		return
	}
	r.logged[id] = true
	if _, seen := r.requests[id]; !seen {
		r.requests[id] = committedTxn{zxid: zxid, failed: txnFailed(txn)}
	}
}

// RequestFate is what the replicas say became of a client request.
type RequestFate uint8

// Request fates.
const (
	FateUnknown   RequestFate = iota // the checker cannot tell (no txn bodies seen, or no xid)
	FateCommitted                    // a server committed its txn (at the returned zxid)
	FateFailed                       // it committed as an error txn: it changed nothing
	FateLogged                       // some server logged it but none committed it (yet)
	FateNever                        // no server ever logged it: it never took effect
)

// CommittedRequest reports what became of the request (session, xid): committed at zxid
// (as a change, or as an error txn that changed nothing), only logged, never logged, or
// unknown. A txn takes effect only after a quorum logged it,
// so FateNever is certain; FateLogged may still have committed through a path the harness
// reports as Recovered (a new leader replaying its log) and is treated as unknown.
func (r *Replicas) CommittedRequest(session int64, xid int32) (zxid int64, fate RequestFate) {
	if r == nil || len(r.requests) == 0 || xid == 0 {
		return 0, FateUnknown
	}
	id := requestID{session, xid}
	if c, ok := r.requests[id]; ok {
		if c.failed {
			return c.zxid, FateFailed
		}
		return c.zxid, FateCommitted
	}
	if r.logged[id] {
		return 0, FateLogged
	}
	return 0, FateNever
}

// IsCommitted reports whether any server committed zxid through the normal path.
func (r *Replicas) IsCommitted(zxid int64) bool {
	_, ok := slices.BinarySearch(r.committed, zxid)
	return ok
}

// ServerState is one server's last applied zxid and digest as the checker saw it.
type ServerState struct {
	Server       int
	LastZxid     int64
	Digest       uint64
	HasDigest    bool
	LastChangeAt int64
}

// States returns every server's last known state, sorted by server id.
func (r *Replicas) States() []ServerState {
	var out []ServerState
	for _, id := range sortedServerIDs(r.servers) {
		s := r.servers[id]
		out = append(out, ServerState{Server: id, LastZxid: s.lastZxid, Digest: s.lastDigest,
			HasDigest: s.hasDigest, LastChangeAt: s.lastChangeAt})
	}
	return out
}

func sortedServerIDs(m map[int]*serverTrack) []int {
	ids := make([]int, 0, len(m))
	for id := range m { //det:unordered-ok sorted right after
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}
