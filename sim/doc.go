// Package sim is zabsim's deterministic world: virtual time, the event scheduler, seeded
// random streams, hosts that crash, restart, pause and drift, a TCP-like network, a disk
// per host with crash semantics and injectable faults, and the trace.
//
// Everything in a World follows from one uint64 seed. Nothing in it reads the wall
// clock, starts a goroutine or depends on map order, so the same seed gives the same run,
// byte for byte, on any machine and at any GOMAXPROCS. Independent worlds may run in
// parallel goroutines; one world must be driven by one goroutine.
//
// # Time and the scheduler
//
// Time is virtual nanoseconds since the world started (Duration is time.Duration). The
// scheduler is the only loop: callbacks fire one at a time in (time, sequence) order,
// where the sequence number is the order they were scheduled in, so two events due at
// the same instant fire first-scheduled first. Idle time costs nothing: the clock jumps
// to the next event.
//
//	w := sim.NewWorld(seed)
//	t := w.After(50*sim.Millisecond, func() { ... }) // a world event
//	t.Cancel()                                       // Timer handles are cancellable
//	err := w.RunFor(10 * sim.Second)                 // or RunUntil(t), RunWhile(cond), Step()
//
// A run is bounded by a step budget (WithMaxSteps, default 500M events) and a
// virtual-time budget (WithMaxTime, default 7 days). Exceeding either stops the run with
// a *BudgetError wrapping ErrBudget: a runaway loop of zero-delay events is reported,
// never a hang. RunWhile returns an error wrapping ErrIdle when its condition still
// holds but nothing is scheduled — the world can never change again, which a liveness
// check wants to hear about.
//
// # Random streams
//
// World.Rand(name) returns a math/rand/v2 stream that depends only on (seed, name).
// Each component owns its stream ("server/2", "client/7", "faults"), so one that draws
// more never reshuffles another's choices. The same name returns the same stream. The
// world's own streams are named "sim/net", "sim/disk/<host>" and "sim/buggify/<site>".
//
// # Hosts
//
// AddHost creates a host (HostID 1, 2, ...), each with its own disk. Events scheduled
// with AtHost / AfterHost / AfterLocal belong to a host:
//
//   - Crash(h) kills its process as a power loss does: its scheduled events are dropped
//     (they carry the incarnation they were scheduled in), the OnCrash hooks run (the
//     harness throws its server away), its listeners vanish, its connections break
//     (each peer learns at its own time), and its disk applies crash semantics, drawn
//     from the disk's stream or forced with CrashWith. Restart(h) brings it back and
//     runs the OnRestart hooks, where the harness recovers a new server from the disk.
//     Kill(h) is kill -9 on a machine that stays up: the same for events and hooks, but
//     its connections close gracefully (FIN), its ports refuse dials at once, and its
//     disk keeps unsynced data.
//   - Pause(h, d) stalls it like a long GC pause: events that come due are held and fire
//     in their original order when the pause ends (or at Resume). Nothing is lost.
//   - Each host has a clock: LocalNow(h) is true time plus an offset (JumpClock) and a
//     drift in parts per million (SetClockDrift). Servers should see time only through
//     it; AfterLocal(h, d, fn) waits d of the host's own time. Scheduling itself is
//     always in true time.
//
// World events (At, After) are not gated by any host: the fault injector and the
// harness use them.
//
// # Network
//
// World.Network() models TCP connections, not datagrams. Listen(h, port, accept)
// registers an acceptor; Dial(from, to, port, handlers, done) reports to the dialer,
// on its host, either a *Conn after a round trip or an error: ErrRefused after a round
// trip when nobody listens, ErrConnectTimeout after NetOptions.ConnectTimeout when the
// target is down or unreachable. Conn.Send(payload, sizeBytes) carries any Go value; the
// size only feeds statistics and the trace. Handlers (OnMessage, OnClose) run as events
// on the receiving host, so pauses hold them and crashes drop them.
//
//   - Delivery is FIFO per connection direction, with a latency drawn from a Latency
//     model (Mean ± Jitter, floored at Min, plus a rare exponential tail) per message;
//     a message never overtakes the previous one. SetLatency overrides one link.
//   - Partition(a, b) cuts every link between two host sets both ways,
//     PartitionOneWay(from, to) one way, Isolate(h) one host; Heal() removes them all.
//     Data sent across a cut is held, as TCP keeps retransmitting it, and flows in order
//     after Heal unless its connection breaks first. A partition never breaks a
//     connection by itself: the application's own timeouts do (see docs/fidelity/sim.md).
//   - Clog(from, to, d) stalls one direction of a link for d, then flushes in order;
//     ClogHost(h, d) clogs all of a host's links; Swizzle(hosts, d) runs FoundationDB's
//     swizzle clogging (about half the hosts clogged and unclogged in scrambled order).
//   - Break(c) breaks a connection as a network failure would: in-flight data both ways is
//     lost; each end learns (ErrReset) after its own drawn delay, or — with probability
//     NetOptions.HalfOpenProb — not until it next sends (a half-open connection).
//   - Conn.Close closes like close(2): data already sent still arrives, then the FIN
//     tells the peer (ErrPeerClosed); data towards the closed end is discarded.
//
// Stats counts messages and bytes sent, delivered and dropped.
//
// # Disk
//
// World.Disk(h) is the host's disk. It outlives crashes. Its methods are exactly those
// of wal.FS and wal.File (internal/simfs adapts it): MkdirAll, Create, Open, ReadDir,
// Remove, Rename, SyncDir, and on a *File ReadAt, WriteAt, Size, Truncate, Sync, Close.
// Paths are slash-separated and relative ("data/version-2/log.1").
//
//   - Data lives in 4 KiB pages; a page never written reads as zeros and costs nothing,
//     so a 64 MiB preallocated log costs a few KiB.
//   - Each file has a volatile state (what reads show) and a durable state (what a crash
//     falls back to). File.Sync makes the data durable and returns; the time it takes is
//     drawn separately with Disk.FsyncLatency, which the harness uses to delay the
//     completion it reports to the server.
//   - Creates, removes and renames go to a journal of name changes. What makes them,
//     and file sizes, durable depends on DiskOptions.Model:
//     DiskOrdered (the default) is Linux ext4 with data=ordered, the filesystem
//     ZooKeeper operators run. Name changes and sizes are committed together, in
//     order, by a journal commit, which any fsync (File.Sync of any file, or SyncDir)
//     performs and which also happens JournalCommitInterval (5 s) after the running
//     transaction opened. Data written past a file's committed size reaches the disk
//     with the commit that makes the new size durable, so a crash never leaves a
//     committed size over bytes that were never written (a new log's header is there
//     whenever its size is). Overwrites inside the committed size stay unsynced until
//     the file's own Sync; a crash writes a prefix of them back in file order.
//     DiskStrict is bare POSIX: a name change survives only SyncDir of its directory
//     (a crash keeps a drawn prefix of the journal), a size only the file's own Sync.
//     DiskReordered is the harshest data model (ZOOKEEPER-2560): File.Sync commits the
//     whole name journal, but unsynced sectors reach the disk in any order and the size
//     is the synced or the current one, so a record's end can persist without its
//     middle, and a size can cover bytes never written.
//   - A crash keeps all unsynced data and names (CrashKeep), drops them (CrashDrop), or
//     tears them (CrashTear): on an ordered disk the running transaction commits or not
//     (all of it: names and sizes), then a prefix of each file's unsynced overwrites
//     survives; on the other models each unsynced 512-byte sector survives or not, a
//     file's size is either the synced or the current one, and a prefix of the name
//     journal survives, so a rename is atomic. The mode is drawn per crash with the
//     chances in DiskOptions, or forced with World.CrashWith. Open handles die with the
//     crash. DiskOptions.WritebackInterval, when set, makes everything unsynced durable
//     periodically, like kernel writeback.
//   - Disk.CrashReports says what each crash undid: the name changes it reverted, the
//     files whose size it changed (a truncation that was not durable brings data back),
//     the files it tore and those holding data a failed fsync had lost. Harnesses use
//     these facts to tell a known weakness of the software under test (an epoch file
//     renamed without a directory fsync, an unsynced truncation) from a simulator bug.
//   - Faults are rules injected with Disk.Inject: a predicate over (operation, path,
//     offset, length) and a kind: FaultEIO (fail with ErrIO; on Sync the unsynced pages
//     stay visible but can never become durable, as Linux leaves them after a failed
//     fsync), FaultNoSpace (ErrNoSpace), FaultLatentSector (the sector becomes
//     unreadable until rewritten), FaultBitFlip (flip a bit of durable data, recorded in
//     Disk.Corruptions). DiskOptions.CapacityBytes makes the disk fill up. Callers never
//     test for faults: they see errors.
//
// Disk errors are *DiskError values naming the host, operation, path and offset; they
// wrap fs.ErrNotExist, fs.ErrExist, fs.ErrClosed, fs.ErrInvalid, ErrIO or ErrNoSpace.
//
// # Buggify
//
// With WithBuggify, World.Buggify(site) lets simulated code misbehave on purpose at
// places where it legally may (FoundationDB's BUGGIFY): each site is active for a run
// with probability 1/4 and then fires on a quarter of its calls, drawn from a stream of
// its own.
//
// # Trace
//
// Every fired event and every network, disk and process action is folded into a running
// 64-bit hash, World.TraceHash, which is always on and cheap. WithTrace(w) also writes
// one line per action ("T+1.5ms net.deliver conn=3 side=0 bytes=120"); WithSchedulerTrace adds a line
// per fired event. Components add their own lines with World.Tracef (which formats even
// without a writer, since the hash covers the text). Two runs of a seed must end with
// equal hashes; the package's determinism test checks 1,000 seeds that way.
//
// # Knobs
//
//	NewWorld options   WithMaxSteps, WithMaxTime, WithTrace, WithSchedulerTrace, WithBuggify,
//	                   WithNetwork(NetOptions), WithDisks(DiskOptions). CheckOptions
//	                   validates options that come from users; a world built with a
//	                   bad one refuses to run and returns the error (World.Err).
//	NetOptions         Latency, ConnectTimeout, HalfOpenProb, BreakNoticeMax
//	DiskOptions        FsyncLatency, CapacityBytes, Model (DiskOrdered, DiskStrict,
//	                   DiskReordered; ParseDiskModel), JournalCommitInterval,
//	                   StrictDirSync (= DiskStrict), CrashKeepProb, CrashDropProb,
//	                   WritebackInterval
//	at run time        Partition, PartitionOneWay, Isolate, Heal, Clog, ClogHost,
//	                   Swizzle, Break,
//	                   SetLatency; Crash, CrashWith, Kill, Restart, Pause, Resume, JumpClock,
//	                   SetClockDrift; Disk.Inject, RemoveFault, ClearFaults;
//	                   Disk.CrashReports
package sim
