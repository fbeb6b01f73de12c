// Package cluster is the harness that runs a simulated ZooKeeper ensemble: zab servers and
// zab/client clients wired onto one sim.World, with every server's files on its host's
// simulated disk.
//
// # Model
//
// New builds one host per server.N line of a zoo.cfg (zab.Config) and boots every server:
// its files are a zkdb database (internal/zkdb) on the host's disk (internal/simfs); the
// recovered state becomes a zab.Recovered; a zab.Server starts from it. The harness then
// executes every effect the server returns, in order:
//
//   - Send / Dial / CloseConn on sim connections. Election and quorum traffic use separate
//     connections to the electionPort and quorumPort, as in ZooKeeper; the quorum port is
//     bound only while the server leads. A close delivers the data already written
//     first (TCP's FIN), then the peer learns of it.
//   - SetTimer / CancelTimer as host events on the host's own (possibly drifting) clock;
//     the server sees a timer fire at or after its deadline on that clock, never before.
//   - AppendTxns writes to the log at once (page cache) and fsyncs when the completion fires,
//     a disk latency later (sim.Disk.FsyncLatency); OnDiskDone follows. A crash in between
//     loses what was not synced, per the disk's crash model. Disk effects complete in the
//     order they were emitted. RollAndSnapshot rolls the log and serializes the server's
//     tree at once; WriteEpoch writes the epoch file; Truncate cuts the log and reloads
//     from disk, then OnReloaded.
//   - Exit ends the process as Kill does (the machine stays up: sockets closed, page cache
//     kept) and, with Options.RestartAfterExit, restarts it later.
//   - Observations (ModeChanged, Established, Committed, FastForwarded, SnapInstalled,
//     Logged) feed the checker's online replica checker (Replicas) as the run goes; the
//     quorum-port binding follows the mode. A txn a learner applied while syncing
//     (Committed with SyncEpoch set) is held back until that leader is Established, since
//     only then is the leader's initial history committed; a fast-forward or a SNAP is
//     reported like a recovery (the tree moved without commits).
//
// Clients (AddClient) run on hosts of their own and connect to the servers' client ports;
// each completed call is recorded and History converts the records to a checker.History
// (a client that saw an unknown outcome continues as a new Porcupine process).
//
// # Faults
//
// Crash (power loss: unsynced data per the disk's model, peers learn late or half-open),
// Kill (kill -9: the OS closes the sockets at once and keeps the page cache), Restart,
// Pause, Partition, PartitionOneWay, Isolate, Heal, Clog, Drift.
//
// # Known ZooKeeper weaknesses
//
// Some failures are real ZooKeeper 3.8 behaviour on the simulated disk, not bugs. Each
// power loss's sim.CrashReport (CrashReports: the name changes and sizes it undid, the
// files it tore, data a failed fsync lost) is traced and kept, and every restart whose
// recovery fails is kept as a Refusal. ExplainFailure (a checker failure, from the power
// losses of its servers since the start before the one that revealed it),
// ExplainRefusal (a server that will not start, from the power losses since its last
// successful start) and ExplainRun (a whole run: every failure and error accounted for)
// match them against the known weaknesses and return a
// Known (id and one-line explanation): KnownEpochRename (an epoch file's tmp + fsync +
// rename, never directory-fsynced, reverted), KnownSyncSnapshotBeforeEpoch (new-epoch
// data on disk before currentEpoch: "the current epoch is older than the last zxid",
// only for a zxid the harness saw the server write — a sync snapshot, or under 3.8.5+
// orders the sync's logged txns — while its currentEpoch was older, judged on the disk
// it refused), KnownTruncNotSynced (a TRUNC's unsynced cut or log removal reverted),
// KnownTornLog (reordered writes left a log record that fails its CRC),
// KnownFailedFsync (an fsync EIO lost the data the log's committed size covers, or txns
// a server read back from the page cache after exiting, leaving a hole in its log),
// KnownTruncReloadsNewerSnapshot (ZK-4837: a TRUNC reload picked a snapshot past the
// truncation point, so the server's tree keeps the truncated txns and its digest
// differs). A second leader established in one epoch is labelled KnownEpochRename only as
// ZooKeeper's discovery allows it: a quorum wrote that acceptedEpoch afresh for the
// second leader, one of them after a power loss undid its earlier write of it. Epochs
// reach the checker when the server learns the write completed, so a crash before that
// is no regression.
//
// # Status
//
// Status, Statuses, StatusLine and Srvr show each server as `zkServer.sh status` and the
// srvr command would (mode, epochs, zxids, digest); Leader finds the leader a quorum is
// serving with; Converged says whether every server is serving with it at the same state.
//
// # Workloads and runs
//
// StartWorkload drives N clients over per-group subtrees (/w1, /w2, ...) with a weighted
// op mix and unique payloads, one call outstanding per client. Walkthrough is the
// operator's failover walkthrough (also `zabsim walkthrough`). Chaos is one randomized run
// under power losses (at random times, or armed to fall right after a chosen effect of a
// server — its NEWLEADER ACK, an append, an epoch write, a truncation), kills, partitions,
// pauses and clogs drawn from a seed, then healing, a probe write, session closes and the
// liveness phase, judged by checker.Check. TestChaos runs 1000 seeds;
// ZABSIM_SOAK_SEEDS=N runs N, and ZABSIM_SEED=s ZABSIM_TRACE=file reruns one with its
// trace.
//
// Everything is deterministic: one seed gives the same run and the same TraceHash.
//
//	c, _ := cluster.New(cluster.Options{Seed: 7})
//	c.RunUntilCond(time.Minute, c.Converged)
//	cl, _ := c.AddClient(cluster.ClientOptions{})
//	cl.Do(func(now int64, lib *client.Client) {
//		lib.Create(now, "/app1", []byte("hello"), clientproto.FlagPersistent, func(r client.Result) {})
//	})
//	c.RunFor(time.Second)
//	fmt.Println(c.StatusLine(1))
package cluster
