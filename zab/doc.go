// Package zab is one ZooKeeper 3.8 server as an I/O-free state machine: leader election
// (zab/fle), ZAB discovery, synchronization and broadcast, sessions and the client request
// pipeline. The zoo.cfg parser lives here too (ParseConfig); the client library is
// zab/client and the client protocol messages zab/clientproto.
//
// # The model
//
// A Server never touches time, network or disk. The harness (internal/cluster, or the
// in-test world of this package's tests) calls one input method at a time, each taking
// now (virtual ns on this host's clock) and returning the effects it caused, in order:
//
//	s, err := zab.NewServer(cfg, myID, recovered, zab.Options{Variant: zab.V3_9_3, Rand: rnd})
//	effs := s.Start(now)                      // LOOKING: an election round starts
//	effs = s.OnPeerConnected(now, conn, sid, zab.Election, dialed)
//	effs = s.OnPeerMessage(now, conn, msg)    // []byte on the election channel, QuorumPacket on the quorum channel
//	effs = s.OnTimer(now, id)
//	effs = s.OnDiskDone(now, op, err)         // AppendTxns / RollAndSnapshot / WriteEpoch finished
//	effs = s.OnReloaded(now, op, rec, err)    // Truncate / Reload finished
//	effs = s.OnClientConnected(now, conn); s.OnClientMessage(now, conn, *clientproto.ConnectRequest or *clientproto.Request)
//
// Effects: Send, Dial (answer with OnPeerConnected(dialed=true) or OnDialFailed),
// CloseConn, SetTimer (replaces a pending timer with the same id; OnTimer must come at or
// after At on the clock the server is given — an early call is taken as stale), CancelTimer,
// AppendTxns, RollAndSnapshot, WriteEpoch, Truncate, Reload, Exit (the process exits as
// ZooKeeper's would: treat it as a crash). Disk effects must be executed and completed in
// emission order. Observations for checkers: ModeChanged (with ZooKeeper's reason),
// Established (a leader got a NEWLEADER quorum: one per epoch), Synced (a follower got
// UPTODATE), Committed (a txn was applied in memory, with the tree digest after it),
// FastForwarded and SnapInstalled (the tree moved without commits) and Logged (txns up
// to a zxid are durable).
//
// Contract details for a harness:
//   - ConnIDs are chosen by the harness, unique per server over its lifetime, shared by
//     peer and client connections. A connection the server closed (CloseConn) gets no
//     OnPeerClosed/OnClientClosed; a connection that breaks does, on each side.
//   - Election-channel messages are []byte (zab/fle frames, the dialer's first message is
//     its handshake); quorum-channel messages are QuorumPacket values (or their Encode
//     bytes); client messages are *clientproto.ConnectRequest (first) and
//     *clientproto.Request in, *clientproto.ConnectResponse and *clientproto.Reply out.
//   - A quorum connection accepted by a server that is not leading is closed at once;
//     the dialing follower treats a close before the leader's first packet as a refused
//     connect and retries (5 tries, 100 ms apart, within initLimit ticks).
//   - RollAndSnapshot carries the live tree and a copy of the session map: serialize
//     them when the effect is executed (ZooKeeper's snapshots are fuzzy too).
//   - Truncate and Reload are answered with OnReloaded and a fresh Recovered (its
//     CommittedLog: the txns replayed after the snapshot, as ZKDatabase.loadDataBase).
//   - Epochs in memory change when their WriteEpoch completes, never before.
//
// # Durability rules kept explicit
//
// Every ACK of a proposal is sent from the OnDiskDone of the AppendTxns (Fsync=true) that
// covered it: never before. Group commit: txns that arrive while a batch is in flight form
// the next batch (at most 1000). Epoch files are written (WriteEpoch) and waited for
// before the message that depends on them: a learner's ACKEPOCH after acceptedEpoch, the
// leader's LEADERINFO after acceptedEpoch, the NEWLEADER ACK per Variant:
//
//	V3_8_0 (3.8.0–3.8.4): snapshot if needed → currentEpoch → proposals to the async log → ACK
//	V3_8_5 (3.8.5/3.8.6): snapshot if needed → append+fsync proposals → currentEpoch → ACK;
//	                      the proposals' ACKs follow the UPTODATE ACK
//	V3_9_3 (default):     snapshot if needed → apply+persist only committed txns → currentEpoch → ACK
//
// While such a synchronous step runs, packets from the leader are buffered, as the
// QuorumPeer thread would not read them.
//
// # Deliberately broken variants (mutants)
//
// Four variants break a rule on purpose, so that tests and `zabsim explore --variant`
// can show the checker misses nothing; Variant.IsBug reports them and the swarm never
// draws them. Outside their bug they follow 3.9.3.
//
//	BugAckBeforeFsync ("bug-ack-before-fsync"): a follower ACKs a proposal, and the leader
//	                  counts its own ACK, when the txn is handed to the log, before its fsync
//	BugSkipTrunc      ("bug-skip-trunc"): a learner told TRUNC keeps its log and tree and
//	                  carries on as after an empty DIFF
//	PreZK1419         ("pre-zk-1419"): the election uses ZooKeeper 3.4.0–3.4.3's vote
//	                  order (fle.PreZK1419), whose sid tie-break ignores the epoch, so an
//	                  election can keep changing its mind (ZK-1419, a liveness bug)
//	BugNoEpochCheck   ("bug-no-epoch-check"): a new leader reuses the highest accepted
//	                  epoch and counts learners already in it, so two leaders are
//	                  established in one epoch
//
// The election's knobs come from zoo.cfg: fastleader.minNotificationInterval and
// fastleader.maxNotificationInterval (the poll back-off) and cnxTimeout (the connect
// timeout of an election dial) are handed to zab/fle.
//
// # Observations and the commit point
//
// Committed is emitted for every txn applied through a commit. A learner also applies
// txns while it syncs (the leader's initial history, shipped as DIFF with COMMITs or
// applied at NEWLEADER): those Committed carry SyncEpoch and SyncLeader, because that
// history is committed only when the leader is Established — a proposal the old leader
// never got acknowledged is shipped too. Leaving a role applies every logged txn without
// a commit (FastForwarded), and a SNAP replaces the tree (SnapInstalled): checkers treat
// both like a recovery. Txns are applied with datatree's ProcessEntry, so the digest each
// txn carries is compared with the tree's (Committed.DigestMismatch).
//
// # What the server does
//
// LOOKING runs zab/fle. LEADING: snapshot at start, epoch = max(acceptedEpoch)+1 over a
// quorum of FOLLOWERINFO, ACKEPOCH quorum, currentEpoch, per-learner sync chosen by
// ZooKeeper's table (empty DIFF, TRUNC, DIFF from the committedLog of 500, TRUNC to the
// previous proposal only within the peer's epoch, otherwise SNAP of the live tree),
// forwarding of outstanding proposals, NEWLEADER queued after the sync stream, a NEWLEADER
// ACK quorum within initLimit ticks, then UPTODATE. Broadcast: PROPOSAL to forwarding
// learners, COMMIT in zxid order on a quorum of ACKs (the leader's own ACK after its own
// fsync, not required). The leader wakes every tickTime/2, pings, and once per tick steps
// down when synced learners plus itself are not a quorum; a learner whose oldest
// un-ACKed proposal is older than syncLimit ticks is dropped. A zxid counter reaching
// 0xffffffff makes the leader step down. FOLLOWING: connect (5 tries, 100 ms apart),
// FOLLOWERINFO, ACKEPOCH, sync, NEWLEADER, UPTODATE; read timeout initLimit ticks before
// NEWLEADER and syncLimit ticks after; COMMIT not matching the head pending txn exits with
// code 12. Leaving a role fast-forwards memory to everything logged, except after an
// unconfirmed SNAP, where the database is reloaded from disk (ZK-3642).
//
// Clients: a connect whose lastZxidSeen is beyond our lastProcessedZxid is refused
// (connection closed). New sessions get ZooKeeper's ids (sid<<56 | ms clock<<16 |
// counter), java.util.Random passwords and a timeout clamped into [min, max] session
// timeout; a createSession txn is committed before the ConnectResponse. Reconnects are
// revalidated by the leader (REVALIDATE). Writes and syncs go to the leader (REQUEST); a
// session's reads wait for its earlier writes (per-session FIFO) and run on the local
// tree. Sessions expire only on the leader, in tick-rounded buckets; every session gets a
// fresh timeout when a leader is established; followers report touches in PING replies.
//
// Status() gives a `srvr`-like view (mode, leader, epochs, zxids, digest).
//
// Deviations from ZooKeeper 3.8 are listed in docs/fidelity/zab.md.
package zab
