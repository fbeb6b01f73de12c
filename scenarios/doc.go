// Package scenarios declares what a zabsim run does — the ensemble, the workload, the
// fault schedule and the checks — as data, runs it from a seed, and makes failing runs
// small.
//
// # The model
//
// A run is described by Options: the ensemble (Config: servers and zoo.cfg values), the
// Workload (clients, operation count and mix, keys, ephemerals, session timeouts), the
// Network latency shape, the server Variant, a fault Schedule, and two phases. The
// safety phase (SafetyFor) runs the workload while the schedule's faults fire; the
// liveness phase then heals everything — network, disks, clocks, crashed servers — stops
// the clients, and requires the ensemble to converge within LivenessFor. Finally the
// cluster's checker judges the run. Options plus the code are the whole reproduction
// recipe, and Describe prints them as the banner of every run.
//
// A Scenario is a named recipe from seed to Options. Catalog lists them: the failover
// walkthrough, leader isolation, minority/majority and asymmetric partitions, rolling
// restarts, repeated leader crashes, torn log tails, a full disk on the leader, fsync
// errors, snapshots under load, session expiry across failover, a paused leader, clock
// drift, five servers, the swarm and swarm3 (the swarm on three servers). Named
// scenarios fix their fault script and let the seed jitter the fault times; the swarm
// (SwarmOptions) lets the seed draw everything — ensemble size 3/5/7, clients, op mix,
// which fault kinds fire and how often, latencies, zoo.cfg limits, variant, disk
// latency and durability model (Disk.Model: ext4's ordered journal in eight runs of ten,
// else strict POSIX or reordered pages; see package sim) — as TigerBeetle's VOPR does. Its partitions include Jepsen's majorities ring
// and its clogs FoundationDB's swizzle. Each draw uses its own random stream of the
// seed, so changing one draw does not reshuffle the others.
//
// # Fault scripts
//
// A Schedule prints as, and ParseSchedule reads, a script with one event a line ('#'
// starts a comment; times are virtual, from the start of the run, in time order):
//
//	at 1.5s crash 3                 crash server 3 (unsynced disk data is lost)
//	at 2s crash leader torn         crash whoever leads then, tearing the log's tail
//	at 4s restart all               restart every crashed server ("restart 3": one)
//	at 3s pause leader for 2s       stall a server (a GC pause), then resume it
//	at 5s partition 1,2 | 3         cut every link between the two sides
//	at 5s partition leader | rest   "rest" is every server not on the other side
//	at 5s partition 1 -> 2,3        one way: 1's packets to 2 and 3 are lost
//	at 6s heal                      remove every partition and clog
//	at 7s clog 1-2 for 500ms        stall the link 1–2, then flush it
//	at 8s fsync-error 2 for 1s      fsyncs fail on server 2 (no "for": until healed)
//	at 8s fsync-error 2 log         only its transaction log's fsyncs fail (disk-full too)
//	at 9s disk-full leader          writes fail with "no space" on the leader
//	at 0s drift 2 +20000ppm         server 2's clock runs 2% fast
//
// "leader" is resolved when the event fires (the established leader then; the event is
// skipped, and the timeline says so, if there is none). A crash of a server that is
// already down still cuts the machine's power: whatever its exited process left unsynced
// is lost. Errors name the script and the line: "scenarios: faults.txt:3: unknown event
// "crsh" (want one of ...)".
//
// # Running
//
// Run(options, backend, trace) builds a Cluster with the Backend, drives the phases,
// and returns a Result: the Judgement (Verdict ok / inconclusive / liveness /
// correctness / crash, the failing check's name, an explanation, the history and the
// Porcupine HTML), a compact Timeline (roles, faults, elections with their duration),
// and counts. A failure that faithfully reproduces a known weakness of real ZooKeeper
// 3.8 (an epoch rename a power loss reverted, an unsynced TRUNC, a torn log; decided by
// cluster.ExplainRun from what the crashes undid on the disk) carries Judgement.Known
// (id and explanation); its verdict and exit code are unchanged. A panic inside the
// cluster is a broken invariant and becomes the crash verdict. Verdict.ExitCode gives the command line's exit codes (0, 3, 128, 129, 127).
//
// Cluster is the seam to the ensemble. SimBackend builds the real one: the simulated
// ZooKeeper servers and clients of internal/cluster, judged by the checker (Porcupine
// for writes, the session/zxid model for reads, the replica invariants fed online),
// with the fault script applied through the harness and the simulated disks' fault
// rules. scenariotest.Toy is a small test double with a planted bug that this package's
// and the command line's tests use to check the tool itself. A world that exceeds its
// step budget stops the run (a liveness failure, "step-budget") instead of hanging.
//
// A run's liveness is the runner's: after the heal it polls Converged (every server up
// and synced to an established leader at the same zxid and digest, no client call in
// flight) until LivenessFor has passed.
//
// # Shrinking
//
// Shrink takes a failing run and looks for a smaller one that fails the same check with
// the same verdict: it deletes chunks of fault events and then single ones, simplifies
// what is left (untorn crashes, two-way partitions, shorter faults, earlier times), and
// halves the workload. The minimal Schedule prints as a script that `zabsim run
// --schedule` accepts. The property tests draw schedules with rapid instead and give
// each verdict class its own Fatalf call, so rapid's shrinker (which keeps a smaller case
// only when it fails at the same place) never drifts from one failure to another;
// TestPropertySimSchedules (opt-in, -sim.property) runs that property on the simulated
// ensemble as a bug finder.
//
// # Example
//
//	sc, _ := scenarios.Lookup("leader-isolated")
//	res, err := scenarios.Run(sc.Options(42), scenarios.SimBackend(""), nil)
//	if err != nil { ... }                       // options the cluster cannot run
//	fmt.Print(res.Options.Describe(), res.TimelineString())
//	fmt.Println(res.Verdict, res.Check, res.Explanation)
//	if res.Verdict != scenarios.OK {
//		min, _ := scenarios.Shrink(res.Options, scenarios.SimBackend(""), 0)
//		fmt.Print(min.Minimal.Options.Schedule) // a script for `zabsim run --schedule`
//	}
package scenarios
