// Package fle is ZooKeeper 3.8's fast leader election (FastLeaderElection) together with
// its election-channel connection manager (QuorumCnxManager), as an I/O-free state
// machine. The embedding zab server feeds it inputs and executes the effects it returns;
// nothing here reads a clock, a socket or a random source, so one seed replays an election
// exactly.
//
// # Using it
//
// Create one Election per server process with New and keep it for the life of the
// process (logicalclock and the connections persist across rounds):
//
//	e, err := fle.New(fle.Config{MyID: 1, Voters: []int64{1, 2, 3}, ElectionAddr: "zk1:3888"})
//
// Every input takes now, the virtual time in ns on this host's clock, and returns the
// effects it caused, in order:
//
//   - Start(now, lastLoggedZxid, currentEpoch): begin a round (lookForLeader). Call it at
//     boot and every time the server goes back to LOOKING. lastLoggedZxid is the zxid of
//     the last txn replayed into memory (every logged txn, committed or not).
//   - OnConnected(now, conn, peer, dialed), OnDialFailed(now, peer), OnClosed(now, conn),
//     OnMessage(now, conn, payload): the election channel. For an accepted connection the
//     peer's id comes from its handshake, the first message on it.
//   - OnTimer(now, PollTimer | ConnectTimer).
//   - UpdateElectionVote(newEpoch): after syncing with (or becoming) the leader of a new
//     epoch, so the vote this server advertises carries the new epoch (ZK-1732).
//
// Effects: Send (a frame, or the raw handshake when Handshake is set; SizeBytes gives the
// wire size), Dial, Close, SetTimer/CancelTimer (two timers; setting one replaces it) and
// Decided{State, Vote, StartedAt}, the end of a round: LEADING if the vote names this
// server, else FOLLOWING (OBSERVING for an observer). After Decided the election keeps
// running in the background: it answers LOOKING peers with the decided vote until the
// next Start. Queries: State, LogicalClock, Proposal, CurrentVote.
//
// # The election (§2 of the reference)
//
// A vote is (leader, zxid, peerEpoch) cast in round electionEpoch. Start increments
// logicalclock, proposes this server's own vote and sends it to every voter, itself
// included (loopback). For each notification received while LOOKING:
//
//   - from a LOOKING sender: ignored if its zxid or ours is -1 (ZK-261). A later round
//     makes us jump to it (clear the round's votes; propose the better of its vote and our
//     own; broadcast); an earlier round is dropped; in our round a better vote is adopted
//     and broadcast. The vote is recorded; when the votes equal to our proposal are a
//     quorum (strictly more than half of the voters) we wait finalizeWait (200 ms) for
//     anything better: a better vote resumes the election, any other notification is
//     consumed and starts the 200 ms again, and silence decides.
//   - from a FOLLOWING/LEADING sender ("out of election"): if it is of our round and this
//     round's votes for its leader are a quorum, or if all out-of-election votes for its
//     (leader, peerEpoch) are a quorum, and checkLeader holds (the leader itself said
//     LEADING, or we are the leader and the round is ours), we join: this is how a
//     restarting server learns an established leader. Out-of-election votes compare only
//     (leader, peerEpoch), or only the leader across notification versions (ZK-1732/1818).
//   - nothing within the poll timeout: re-send our vote if any send queue is empty
//     (haveDelivered, which is true if *any* queue is empty), else reconnect everyone;
//     the timeout doubles from 200 ms to a 60 s cap.
//
// Independently of the round (WorkerReceiver), a LOOKING sender in an earlier round gets
// our proposal at once, a LOOKING sender gets our decided vote when we are not LOOKING,
// and a non-voter always gets our current vote.
//
// The vote order is Predicate: TotalOrder (peerEpoch, then zxid, then sid; ZooKeeper since
// ZK-1419) or PreZK1419, the order of ZooKeeper ≤ 3.4.3 whose sid clause ignored the
// epoch. With the old order five servers with equal zxids and mixed epochs cycle forever
// (see TestZK1419VariantDoesNotSettle); it exists so research can reproduce that.
//
// # The connection manager
//
// One connection per pair of servers: only a connection initiated by the larger sid
// survives. A dialer with the smaller sid sends its handshake and closes; an acceptor
// that reads a smaller sid's handshake closes and dials back. A newer connection from the
// same peer replaces the old one. Each peer has a send queue of capacity one (the newest
// message replaces an unsent older one); a new connection first re-sends the last message
// if the queue is empty (duplicates are harmless). The receive queue holds 100
// notifications and drops the oldest. As in 3.8 (since ZOOKEEPER-3756), dialing never
// blocks the sender: connectOne starts a dial and returns, dials to different peers run
// at once, and a connectOne for a peer already being dialed is skipped; a dial that gets
// no answer fails after the connect timeout (ConnectTimer, 5 s). A dial-back (or
// connectAll) that finds a dial in progress dials once more if that dial fails, standing
// in for the SYN retransmission the simulated network lacks.
//
// The election thread costs 50 µs per notification; more than 1 ms of queued work waits
// (PollTimer also wakes it). Normal elections never notice; it bounds the storm the
// PreZK1419 order causes.
//
// # Wire formats (§1)
//
// Notification.Marshal/ParseNotification: int state, long leader, long zxid, long
// electionEpoch, long peerEpoch, int version (2), int configLength, config bytes.
// Receivers accept the legacy 28-byte (no peerEpoch: derived from the zxid) and 40-byte
// (no version) forms and drop anything shorter than 28 bytes. Handshake: long protocol
// version (-65536), long sid, int length + "host:port". Frames over 512 KiB or empty close
// the connection.
//
// # Tests as documentation
//
// testdata/scripts/*.txt are interaction scripts: commands driving one Election (accept,
// dialed, start, recv, timer, ...) each followed by the effects it produced, one "> " line
// per effect (the command set is in golden_test.go). Add a scenario by writing the
// commands and running go test -run GoldenScripts -update, then read the transcript
// before committing it. The property tests run 3, 5 and 7 elections (and an observer)
// over an in-test network with delays, reordering, connection breaks, partitions and
// crash/restarts; BenchmarkElectionVirtualMs and BenchmarkReelectionVirtualMs report the
// median virtual time to elect.
//
// Deviations from ZooKeeper are listed in docs/fidelity/fle.md.
package fle
