package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// electionAfter boots an ensemble, waits for it to converge, takes the leader down with
// fault, and returns the virtual time until a survivor leads a serving quorum.
func electionAfter(b *testing.B, seed uint64, fault func(c *Cluster, sid int64)) sim.Duration {
	c, err := New(Options{Seed: seed})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.waitFor("convergence", c.Converged); err != nil {
		b.Fatal(err)
	}
	old, _ := c.Leader()
	start := c.Now()
	fault(c, old)
	err = c.waitFor("a new leader", func() bool {
		l, ok := c.Leader()
		return ok && l != old
	})
	if err != nil {
		b.Fatal(err)
	}
	return c.Now().Sub(start)
}

func benchElection(b *testing.B, fault func(c *Cluster, sid int64)) {
	var ds []sim.Duration
	for i := 0; i < b.N; i++ {
		ds = append(ds, electionAfter(b, uint64(i+1), fault))
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2])/float64(sim.Millisecond), "virtual-ms/median")
	b.ReportMetric(float64(ds[len(ds)-1])/float64(sim.Millisecond), "virtual-ms/max")
}

// BenchmarkElectionAfterLeaderKill: the leader's process is killed (kill -9: its sockets
// close at once), as in the operator's walkthrough. Real ZooKeeper 3.8 on loopback: ~0.2-0.3 s.
func BenchmarkElectionAfterLeaderKill(b *testing.B) {
	benchElection(b, func(c *Cluster, sid int64) { c.Kill(sid) })
}

// BenchmarkElectionAfterLeaderCrash: the leader's host loses power: followers learn of the
// broken connections late (or only from their read timeout, syncLimit·tickTime).
func BenchmarkElectionAfterLeaderCrash(b *testing.B) {
	benchElection(b, func(c *Cluster, sid int64) { c.Crash(sid) })
}

// BenchmarkWrites10k: a 3-server ensemble serving 10,000 setData calls from 10 clients
// (one call outstanding each). Reports events, virtual seconds and the simulated/wall
// time ratio per run.
func BenchmarkWrites10k(b *testing.B) {
	const writes, clients = 10_000, 10
	var steps uint64
	var virtual sim.Duration
	wallStart := time.Now()
	for i := 0; i < b.N; i++ {
		c, err := New(Options{Seed: uint64(i + 1)})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.waitFor("convergence", c.Converged); err != nil {
			b.Fatal(err)
		}
		start, startSteps := c.Now(), c.Steps()
		done, issued := 0, 0
		for k := 0; k < clients; k++ {
			cl, err := c.AddClient(ClientOptions{})
			if err != nil {
				b.Fatal(err)
			}
			path := fmt.Sprintf("/bench%d", k)
			var loop func(client.Result)
			loop = func(r client.Result) {
				done++
				if issued >= writes {
					return
				}
				issued++
				cl.Do(func(now int64, lib *client.Client) {
					lib.Set(now, path, []byte(fmt.Sprintf("v%d", issued)), -1, loop)
				})
			}
			cl.Do(func(now int64, lib *client.Client) {
				lib.Create(now, path, nil, cp.FlagPersistent, loop)
			})
		}
		if err := c.waitFor("10,000 writes", func() bool { return done >= writes+clients }); err != nil {
			b.Fatal(err)
		}
		steps += c.Steps() - startSteps
		virtual += c.Now().Sub(start)
	}
	wall := time.Since(wallStart)
	b.ReportMetric(float64(steps)/float64(b.N), "events/run")
	b.ReportMetric(virtual.Seconds()/float64(b.N), "virtual-s/run")
	b.ReportMetric(virtual.Seconds()/wall.Seconds(), "sim/wall")
}
