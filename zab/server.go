package zab

import (
	"math/rand/v2"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/zab/fle"
)

// ConnID names one connection (peer or client) of this server. The harness assigns ids;
// they must be unique per server for the life of the process.
type ConnID int64

// TimerID names one of the server's timers. Setting a timer that is already pending
// replaces it (the old deadline is forgotten).
type TimerID int

// OpID names one disk effect; the harness reports its completion with OnDiskDone (or
// OnReloaded for Truncate). Disk effects must be executed, and completed, in the order the
// server emitted them.
type OpID int64

// Channel is which of ZooKeeper's two peer connections a connection is.
type Channel int

const (
	// Election is the leader-election connection (QuorumCnxManager, electionPort).
	Election Channel = iota + 1
	// Quorum is the learner↔leader connection (quorumPort).
	Quorum
)

func (c Channel) String() string {
	switch c {
	case Election:
		return "election"
	case Quorum:
		return "quorum"
	}
	return "channel?"
}

// Variant selects a ZooKeeper version's behaviour where versions differ. The zero value is
// the most-fixed behaviour (3.9.3).
type Variant int

const (
	// V3_9_3: at NEWLEADER the learner applies and persists only the txns already committed,
	// keeps the outstanding proposals pending, then writes currentEpoch, then ACKs (ZK-4394).
	V3_9_3 Variant = iota
	// V3_8_0 (3.8.0–3.8.4): at NEWLEADER the learner writes currentEpoch, hands the
	// not-yet-committed proposals to the asynchronous logger and ACKs at once
	// (ZK-4643/4646/4685/4394 reachable).
	V3_8_0
	// V3_8_5 (3.8.5/3.8.6, ZK-4785): append the proposals synchronously and fsync, then write
	// currentEpoch, then ACK NEWLEADER; per-proposal ACKs leave only after UPTODATE.
	V3_8_5

	// BugAckBeforeFsync is deliberately broken (a mutant, never drawn by default): a
	// follower ACKs a proposal, and the leader counts its own ACK, as soon as the txn is
	// handed to the log, before the fsync that makes it durable. A crash that loses the
	// unsynced tail then loses txns a quorum acknowledged. It exists to show the checker
	// catches it.
	BugAckBeforeFsync
	// BugSkipTrunc is deliberately broken (a mutant, never drawn by default): a learner
	// told TRUNC ignores it, keeps its log and tree, and carries on as after an empty DIFF,
	// so it keeps txns the ensemble never committed (ZK-1154's outcome).
	BugSkipTrunc
	// PreZK1419 is 3.9.3 with the election's vote order of ZooKeeper 3.4.0–3.4.3: the id
	// tie-break ignores the epoch, so two votes can each beat the other and an election
	// may never settle (ZK-1419). Like the mutants it is never drawn by default; it
	// isolates that one historical bug.
	PreZK1419
	// BugNoEpochCheck is deliberately broken (a mutant, never drawn by default): a new
	// leader reuses the highest acceptedEpoch of its quorum instead of a new one, and counts
	// learners already in that epoch (ACKEPOCH -1) towards its quorum, so two leaders are
	// established, and propose the same zxids, in one epoch (what ZAB 1.0's epochs prevent).
	BugNoEpochCheck
)

// IsBug reports whether v is a deliberately broken variant (a mutant, or PreZK1419's
// historical bug).
func (v Variant) IsBug() bool {
	return v == BugAckBeforeFsync || v == BugSkipTrunc || v == PreZK1419 || v == BugNoEpochCheck
}

// votePredicate is the election's vote order under v.
func (v Variant) votePredicate() fle.Predicate {
	if v == PreZK1419 {
		return fle.PreZK1419
	}
	return fle.TotalOrder
}

// release is the ZooKeeper release whose rules v follows outside its deliberate bug.
func (v Variant) release() Variant {
	if v.IsBug() {
		return V3_9_3
	}
	return v
}

func (v Variant) String() string {
	switch v {
	case V3_9_3:
		return "3.9.3"
	case V3_8_0:
		return "3.8.0"
	case V3_8_5:
		return "3.8.5"
	case BugAckBeforeFsync:
		return "bug-ack-before-fsync"
	case BugSkipTrunc:
		return "bug-skip-trunc"
	case PreZK1419:
		return "pre-zk-1419"
	case BugNoEpochCheck:
		return "bug-no-epoch-check"
	}
	return "variant?"
}

// ParseVariant accepts "3.9.3", "3.8.0" (also "3.8.0"–"3.8.4") and "3.8.5" ("3.8.6"), the
// deliberately broken "bug-ack-before-fsync", "bug-skip-trunc" and "bug-no-epoch-check",
// and "pre-zk-1419".
func ParseVariant(s string) (Variant, error) {
	switch s {
	case "", "3.9.3", "default":
		return V3_9_3, nil
	case "3.8.0", "3.8.1", "3.8.2", "3.8.3", "3.8.4":
		return V3_8_0, nil
	case "3.8.5", "3.8.6":
		return V3_8_5, nil
	case "bug-ack-before-fsync":
		return BugAckBeforeFsync, nil
	case "bug-skip-trunc":
		return BugSkipTrunc, nil
	case "pre-zk-1419":
		return PreZK1419, nil
	case "bug-no-epoch-check":
		return BugNoEpochCheck, nil
	}
	return 0, errorf("unknown variant %q (want 3.8.0, 3.8.5 or 3.9.3, a deliberately broken bug-ack-before-fsync, bug-skip-trunc or bug-no-epoch-check, or pre-zk-1419)", s)
}

// Options are the per-run knobs of a server beyond zoo.cfg.
type Options struct {
	Variant Variant
	// Rand is the server's own random stream (forked from the run seed by the harness). It
	// draws the snapshot trigger and session passwords. Must not be nil.
	Rand *rand.Rand
}

// Proposal is one logged txn: its zxid and the exact bytes of a txn-log entry body
// (TxnHeader + txn record + TxnDigest), as carried by PROPOSAL packets.
type Proposal struct {
	Zxid int64
	Body []byte
}

// Recovered is what the harness hands a server at start and after a reload (TRUNC): the
// state internal/zkdb rebuilt from disk.
type Recovered struct {
	// Tree is the data tree with every logged txn replayed (fuzzy snapshot + log).
	Tree *datatree.Tree
	// Sessions maps each live global session id to its timeout in ms.
	Sessions map[int64]int32
	// LastLoggedZxid is the zxid of the last txn in the log (or the snapshot's zxid).
	LastLoggedZxid int64
	// CommittedLog is the last ≤500 logged txns in zxid order (ZKDatabase.committedLog).
	CommittedLog []Proposal
	// AcceptedEpoch and CurrentEpoch are the epoch files' values.
	AcceptedEpoch, CurrentEpoch int64
}

// Effect is something the server asks its environment to do, or an observation it reports.
// Effects are returned in order; the harness executes them in that order and may crash the
// host between any two.
type Effect interface{ effect() }

// Send sends Msg on Conn. For peer connections Msg is a QuorumPacket (quorum channel) or
// whatever zab/fle emits (election channel); for client connections it is a clientproto
// message. SizeBytes is the message's wire size, for the network model.
type Send struct {
	Conn      ConnID
	Msg       any
	SizeBytes int
}

// Dial asks the harness to open a connection to Peer on Channel; on success it calls
// OnPeerConnected(…, dialed=true), on failure OnDialFailed.
type Dial struct {
	Peer    int64
	Channel Channel
}

// CloseConn closes a connection (peer or client). The harness does not call OnPeerClosed /
// OnClientClosed for a connection the server closed itself.
type CloseConn struct{ Conn ConnID }

// SetTimer asks for OnTimer(ID) at virtual time At (ns, this host's clock). Replaces a
// pending timer with the same ID.
type SetTimer struct {
	ID TimerID
	At int64
}

// CancelTimer forgets a pending timer (no-op if none).
type CancelTimer struct{ ID TimerID }

// AppendTxns appends Entries to the txn log (group commit) and, if Fsync, fsyncs the log.
// The harness calls OnDiskDone(Op, err) when done; ACKs for these txns leave only then.
type AppendTxns struct {
	Op      OpID
	Entries []Proposal
	Fsync   bool
}

// RollAndSnapshot rolls the txn log and writes a snapshot named Zxid of Tree and Sessions
// (serialize them when executing the effect). Sync asks for ZooKeeper's syncSnap (tmp +
// fsync + rename), used after a SNAP sync. Completion: OnDiskDone(Op, err).
type RollAndSnapshot struct {
	Op       OpID
	Zxid     int64
	Tree     *datatree.Tree
	Sessions map[int64]int32
	Sync     bool
}

// EpochFile is which epoch file a WriteEpoch writes.
type EpochFile int

const (
	AcceptedEpochFile EpochFile = iota + 1
	CurrentEpochFile
)

func (f EpochFile) String() string {
	if f == AcceptedEpochFile {
		return "acceptedEpoch"
	}
	return "currentEpoch"
}

// WriteEpoch writes an epoch file (tmp + fsync + rename). Completion: OnDiskDone(Op, err).
type WriteEpoch struct {
	Op    OpID
	Which EpochFile
	Value int64
}

// Truncate truncates the txn log after Zxid, then fully reloads the database from disk;
// the harness calls OnReloaded(Op, rec, err) with the result.
type Truncate struct {
	Op   OpID
	Zxid int64
}

// Exit means the process exits as ZooKeeper's would (System.exit(Code)). The harness treats
// it as a crash of the host; no further input may be given to this Server.
type Exit struct {
	Code   int
	Reason string
}

// ZooKeeper's exit codes used by the server.
const (
	ExitUnexpected         = 1
	ExitSnapshotError      = 10
	ExitUnmatchedTxnCommit = 12
	ExitQuorumPacketError  = 13
)

// Mode is the QuorumPeer state.
type Mode int

const (
	Looking Mode = iota
	Following
	Leading
)

func (m Mode) String() string {
	switch m {
	case Looking:
		return "looking"
	case Following:
		return "follower"
	case Leading:
		return "leader"
	}
	return "mode?"
}

// ModeChanged is an observation: the server entered Mode (for Following/Leading, Leader
// is the elected leader's sid; Epoch is the server's currentEpoch at that moment). Reason
// says why, in ZooKeeper's words where it has them (e.g. "Not sufficient followers
// synced", "Read timed out").
type ModeChanged struct {
	Mode   Mode
	Leader int64
	Epoch  int64
	Reason string
}

// Established is an observation: a leader reached a quorum of NEWLEADER ACKs and starts
// serving epoch Epoch (emitted by the leader only). Checkers: one per epoch.
type Established struct {
	Epoch  int64
	Leader int64
}

// Synced is an observation: a follower finished sync (UPTODATE) with Leader in Epoch.
type Synced struct {
	Epoch  int64
	Leader int64
	Mode   SyncMode
}

// Committed is an observation: the server applied txn Zxid (Body is its log-entry body) to
// its in-memory tree; Digest is the tree digest right after.
//
// SyncEpoch and SyncLeader are set (non-zero) when a learner applied the txn while
// syncing with SyncLeader for epoch SyncEpoch, before UPTODATE: the txn is part of that
// leader's initial history, which is committed only once the leader is Established (a
// proposal the old leader never got acknowledged is shipped in a DIFF too). A checker must
// count such a txn as committed only when that leader's Established is seen.
//
// DigestMismatch reports that the digest the txn carries (the proposer's tree digest after
// it) differs from this server's tree digest after applying it (ZooKeeper counts and logs
// this as digest_mismatches_count): the replicas' trees have diverged.
type Committed struct {
	Zxid           int64
	Body           []byte
	Digest         int64
	SyncEpoch      int64
	SyncLeader     int64
	DigestMismatch bool
}

// FastForwarded is an observation: the server left its role and applied every txn it had
// handed to its log without a commit (fastForwardDataBase, ZK-2845), so its tree now
// stands at Zxid with Digest. Those txns may never have been committed anywhere: a
// checker must not count them as committed.
type FastForwarded struct {
	Zxid   int64
	Digest int64
}

// SnapInstalled is an observation: a learner replaced its whole database with the
// leader's SNAP; its tree now stands at Zxid with Digest. The txns the snapshot covers
// were not applied one by one.
type SnapInstalled struct {
	Zxid   int64
	Digest int64
}

// Logged is an observation: txns up to and including Zxid are durable in this server's log
// (the fsync covering them completed).
type Logged struct{ Zxid int64 }

func (FastForwarded) effect()   {}
func (SnapInstalled) effect()   {}
func (Send) effect()            {}
func (Dial) effect()            {}
func (CloseConn) effect()       {}
func (SetTimer) effect()        {}
func (CancelTimer) effect()     {}
func (AppendTxns) effect()      {}
func (RollAndSnapshot) effect() {}
func (WriteEpoch) effect()      {}
func (Truncate) effect()        {}
func (Exit) effect()            {}
func (ModeChanged) effect()     {}
func (Established) effect()     {}
func (Synced) effect()          {}
func (Committed) effect()       {}
func (Logged) effect()          {}

// SyncMode is how a learner was synchronized.
type SyncMode int

const (
	SyncNone SyncMode = iota
	SyncDiff
	SyncTrunc
	SyncSnap
)

func (m SyncMode) String() string {
	return [...]string{"NONE", "DIFF", "TRUNC", "SNAP"}[m]
}

// Reload asks the harness to clear the in-memory database and fully reload it from disk
// (newest valid snapshot + log replay), then call OnReloaded(Op, rec, err). Used when a
// learner that received a SNAP leaves the quorum before NEWLEADER (ZK-3642 rule).
type Reload struct{ Op OpID }

func (Reload) effect() {}
