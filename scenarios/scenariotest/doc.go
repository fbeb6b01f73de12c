// Package scenariotest holds a test double for scenarios.Cluster: Toy, a tiny
// majority-replication model. It is not ZooKeeper and not the simulator; it exists so
// the scenario runner, the swarm, the shrinker and the command line can be tested on
// their own, fast and with a known, planted bug.
//
// The model: servers hold a log length; the leader is elected among a connected majority
// of up, unpaused servers (longest log wins, then highest id) after an election delay;
// every ThinkTime the workload appends one write at the leader, acknowledged when a
// majority of the leader's side holds it. A server whose fsyncs fail (or whose disk is
// full) cannot hold new writes and drops out until its disk works again. Crashes lose
// nothing durable.
//
// The planted bug, variant "toy-stale-leader": a leader checks its quorum only every
// staleCheckEvery and in between counts every follower's acknowledgement as given, so a
// leader cut off from its followers keeps acknowledging writes that only it holds. The
// leader the majority then elects lacks them: Check reports the lost acknowledged write
// as the correctness failure "no-acked-write-lost". With the default variant Check never
// fails.
package scenariotest
