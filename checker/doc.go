// Package checker judges a run: linearizability of the writes, ZooKeeper's read and session
// guarantees, replica invariants and liveness. It is written independently of package
// datatree (it has its own small model of the tree), so a bug shared by both cannot pass.
//
// # What it checks, and against which model
//
// ZooKeeper 3.8 makes writes linearizable (the leader orders them by zxid) but serves
// reads from the local replica: reads are only sequentially consistent, monotonic per
// session, and sync+read is not linearizable (sync is not a quorum operation, ZK-1675).
// Each guarantee is checked with the model that matches it, because a checker that flags
// correct ZooKeeper behaviour is as wrong as one that misses a bug:
//
//   - Writes (create, delete, setData, check, multi) go to Porcupine, partitioned by the
//     state they touch (below). Reads never do.
//   - Reads, syncs and sessions go to a linear-time zxid layer:
//     W1 two acknowledged writes never share a zxid;
//     W2 a write that returned before another was invoked has the smaller zxid;
//     R1 per session, reply zxids never go backwards in receive order, across reconnects;
//     R2 a read or sync answers at or after every acknowledged write its session sent
//     before it (writes with unknown outcome are excluded: one in flight on a dead
//     connection may commit after later requests sent on a new connection), and its
//     acknowledged writes commit in the order they were sent (FIFO client order);
//     R3 a read is the committed state at its reply zxid: getData's value (and the Stat's
//     version, czxid, dataLength) is what the write at its mzxid produced, and no
//     acknowledged write to the path lies between its mzxid and the reply zxid; NoNode and getChildren agree with the acknowledged
//     creates and deletes at that zxid (unknown writes and session ends may explain
//     anything the acknowledged ones do not);
//     R4 no read shows a write invoked after the read returned, or a zxid above its own.
//     Follower reads may be arbitrarily stale and are never flagged for it.
//   - Replica invariants are checked online by Replicas, which the cluster harness feeds
//     as the run goes (see below).
//   - Lost writes: every acknowledged write must be in each final history
//     (Input.Final) whose zxid range covers it, and, with a Replicas that saw commits,
//     must have been committed by some server.
//   - Liveness: after the last fault heals, a leader is established, the servers converge
//     and pending calls complete, within LivenessBound (its derivation is on that func).
//
// # Recording a history
//
// The client library records one Op per call, in virtual nanoseconds: Session, Proc,
// Server, Kind, Path and arguments, Call and Return, Outcome, Err, Result and ReplyZxid
// (ReplyHeader.zxid: the txn's zxid for a write, the server's last processed zxid for a
// read; NoZxid or 0 when no server answered) and Xid (the request xid, which lets the
// replica oracle resolve unknown writes). Record every attempt as its own Op (no hidden
// retries).
//
// An outcome is Unknown whenever the client cannot know it: connection loss, a timeout,
// the client crashing, the session expiring with the call in flight, or the call still
// pending when the history ends (UnknownReason says which). Never guess it. After an
// unknown outcome the client continues as a new Proc (Jepsen's rule), so no Proc has two
// calls open at once. A definite error is OutcomeError with Err (NoNode, NodeExists,
// BadVersion, NotEmpty, ...). For a failed multi, Err is the first failing sub-op's code
// and Result.Multi (if kept) holds ZooKeeper's per-op codes. A sequential create must
// record the returned name in Result.CreatedPath; a setData or create2 its Stat.
// ConnectionLoss, OperationTimeout, RequestTimeout and SessionExpired recorded as errors
// on a write are treated as unknown. Errors the model does not predict and that leave the
// tree unchanged (SessionMoved, NoAuth, BadArguments, ...) are left out of Porcupine.
//
// The tree starts empty but for ReservedPaths ("/", "/zookeeper" and its quota and config
// children). A setup phase may be recorded as ops
// (best), or the persistent nodes it made listed in History.InitialPaths.
//
// # Partitions
//
// Porcupine's search is exponential in the worst case and its memory quadratic in a
// partition's length, so the history is split into independent partitions (Porcupine's
// P-compositionality), which is sound only if no two partitions share state. Every write
// is linked to the keys it reads or writes: its node's path (data, version, existence and
// children), its parent's sequential counter for a sequential create, and its parent's
// path for a create or delete (the child list, NotEmpty, NoNode, ephemeral parents). A
// multi links all its sub-ops' keys. Partitions are the connected components. A parent
// that is stable for the op — a persistent node created before the op was invoked and
// never the target of any delete — is cut: it is assumed to exist, and its numChildren is
// no longer compared (it is not partition-local). Workloads therefore keep partitions
// small by working under a few stable roots (/t/k1, /t/k2, ...) created first, rotating to
// fresh ones every few hundred ops; one busy path is one partition and can cost minutes.
//
// The model per partition (model.go) is a small immutable tree: data, version, ephemeral
// owner, and the highest sequential suffix seen per parent. Compared per write: the error
// code (with ZooKeeper's precedence), the created name, and the partition-local Stat
// fields version, dataLength, numChildren and ephemeralOwner (never czxid/mzxid/pzxid or
// times, which are global; the zxid layer checks those).
//
// Sequential names are checked loosely: the suffix must be 10 digits and above every
// suffix seen before under that parent in the linearization (ZooKeeper's exact suffix is
// the parent's count of child creations, which plain creates in other partitions also
// raise). A sequential create with unknown outcome adds a child whose name nobody learns
// (a "phantom"): it makes the parent's child count inexact, and ops on a name that no
// known create produced but that such a create might have are left out (ExcludedOps).
//
// Ephemerals: every session with an ephemeral create in a partition gets a session-end
// pseudo-op that deletes its ephemerals there. It comes after the session's last definite
// write (its closeSession txn has a higher zxid) and sits exactly at the close's zxid when
// an explicit close was acknowledged; otherwise it is open-ended (expiry happens at an
// unknown time, maybe after the history ends). Splitting one closeSession across
// partitions is a weakening: it could miss a non-atomic close, but never raises a false
// alarm.
//
// Order. ZooKeeper commits writes in zxid order and every definite write (OK, or an error
// txn) carries its zxid, so Porcupine is given positions in zxid order instead of
// real-time intervals (timeline.go): each definite write is a point at its zxid's rank,
// and an unknown write may be placed anywhere after every definite write that returned
// before it was invoked. This is exact — the true order is zxid order, and it is among the
// orders allowed — while W2 checks separately that zxid order agrees with real time. It
// leaves Porcupine only the unknown writes to place, instead of every interleaving of
// overlapping calls. A definite write recorded without a zxid keeps its real-time bounds.
//
// Unknown writes are open-ended and their answers are not compared: Porcupine may place
// them anywhere allowed, or last (never happened). They are resolved where it is sound:
//   - an unknown create or setData whose unique, non-empty value an OK getData returned is
//     placed at that read's mzxid (a replica serves only committed txns);
//   - with a Replicas that saw the txns' bodies (log-entry bodies starting with the
//     TxnHeader) and Op.Xid recorded, an unknown write whose (session, xid) committed is
//     placed exactly at its zxid; one that committed as an error txn, or that no server
//     ever logged, is dropped (it changed nothing; a txn takes effect only after a quorum
//     logged it); one only logged stays unknown. The read layer uses the same answers:
//     a committed unknown write is an effect at its zxid, a dropped one is nothing;
//   - an unknown write that needs a node nothing ever created fails wherever it is placed
//     and is dropped; so is one whose keys no definite write that could come after it
//     touches (Stats.DroppedNoOps). Both are exact: every definite answer is the same
//     whether it happened or not.
//
// # Replica invariants (Replicas)
//
// The harness creates one Replicas per run with NewReplicas and calls, as things happen:
// LeaderEstablished / LeaderLost, Logged (txn bytes made durable), Committed (a txn applied
// through the commit path, with the tree digest after it), Recovered (tree rebuilt from
// disk, or a SNAP), Truncated (TRUNC), Epoch (acceptedEpoch/currentEpoch written or read
// back), SessionClosed (a closeSession txn committed) and Ephemerals (a server's ephemeral
// nodes at a zxid). It checks at once: one established leader per epoch; the same txn
// bytes at a zxid on every server; commits increasing and skipping no zxid another server
// committed; the same digest at the same zxid; epochs never going down (and current ≤
// accepted); no ephemeral of a closed session. Pass it in Input.Replicas; its failures
// join the report.
//
// # Liveness
//
// With Input.Liveness (HealedAt, QuiescedAt, EndAt, Timing), the deadline is
// max(HealedAt, QuiescedAt) + LivenessBound(Timing) (or Liveness.Bound). The harness runs
// until at least the deadline; then an established leader that has not stepped down, all
// servers at the same zxid and digest, and no call pending for longer than the bound since
// it was invoked or faults healed are required. A run that ended before the deadline is
// reported inconclusive, not judged.
//
// # Verdict and knobs
//
// Check returns a Report: Verdict is crash > correctness failure > liveness failure >
// inconclusive > ok (a malformed history, InvHistoryWellFormed, counts as a crash: the
// recording is broken, not the system under test); Failures name the invariant (the Inv* constants) and the ops by
// index into History.Ops; Stats count what was covered (ops given to Porcupine, the
// largest partition, unknown writes resolved or dropped, reads checked). Options:
//   - PartitionBudget (default 10 s): Porcupine's wall-clock budget per partition;
//   - VisualizeDir: where each non-linearizable partition is written as Porcupine's HTML
//     visualisation, annotated with Input.Annotations (fault windows, leader reigns). The
//     horizontal axis is zxid order; an annotation's times are mapped to the slot after
//     the last write that returned before them;
//   - SkipLinearizability: the Porcupine layer off (the other checks still run).
//
// Check is deterministic: the same input gives the same report (partitions run in
// parallel, but results are collected by index), except for which partitions, if any,
// run out of the wall-clock budget.
//
// Typical use by a scenario:
//
//	reps := checker.NewReplicas()             // handed to the cluster harness
//	... run; the harness feeds reps, clients append to hist.Ops ...
//	rep := checker.Check(checker.Input{History: hist, Replicas: reps, Final: finals,
//		Liveness: &checker.Liveness{HealedAt: healed, EndAt: end, Timing: timing},
//		Annotations: faults, Options: checker.Options{VisualizeDir: dir}})
//	if rep.Verdict != checker.VerdictOK { fmt.Print(rep.String()) }
//
// Deviations from ZooKeeper's exact behaviour that the checker accepts are listed in
// docs/fidelity/checker.md.
package checker
