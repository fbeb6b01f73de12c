package cluster

import (
	"fmt"
	"io"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// WalkthroughResult is what the operator's failover walkthrough measured.
type WalkthroughResult struct {
	FirstLeader int64
	NewLeader   int64
	// ElectionMs is the virtual time from killing the leader to a survivor going LEADING
	// (what ZooKeeper logs as "LEADER ELECTION TOOK", plus failure detection);
	// EstablishedMs to that leader having a synced quorum (serving writes again).
	ElectionMs    float64
	EstablishedMs float64
	// Reads maps each live server to what `get /app1` returned there.
	Reads map[int64]string
	// Rejoined is the old leader's status after its restart and catch-up.
	Rejoined Status
	Final    []Status
}

// waitLimit bounds each step of the walkthrough in virtual time: far more than a healthy
// ensemble needs, so hitting it is a liveness failure, not a slow run.
const waitLimit = 120 * sim.Second

// Walkthrough runs the operator's failover walkthrough on a fresh cluster built from cfg
// (nil: zab.DefaultConfig()): wait for one leader and two followers; create /app1
// "hello"; kill the leader; wait for a new leader among the others, reporting the
// election time; read /app1 on every live server; restart the old leader and wait until it
// has rejoined as a follower and caught up. Progress is printed to out.
func Walkthrough(seed uint64, cfg *zab.Config, out io.Writer) (WalkthroughResult, error) {
	return walkthrough(Options{Seed: seed, Config: cfg}, out)
}

func walkthrough(opts Options, out io.Writer) (WalkthroughResult, error) {
	var res WalkthroughResult
	seed := opts.Seed
	c, err := New(opts)
	if err != nil {
		return res, err
	}
	cfg := c.Config()
	fmt.Fprintf(out, "zabsim walkthrough, seed %d: %d servers (tickTime=%d initLimit=%d syncLimit=%d)\n",
		seed, len(cfg.Servers), cfg.TickTimeMs, cfg.InitLimit, cfg.SyncLimit)
	if err := c.waitFor("the ensemble to converge", c.Converged); err != nil {
		return res, err
	}
	res.FirstLeader, _ = c.Leader()
	c.printStatuses(out, "ensemble up")

	cl, err := c.AddClient(ClientOptions{})
	if err != nil {
		return res, err
	}
	r, err := c.call(cl, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/app1", []byte("hello"), cp.FlagPersistent, cb)
	})
	if err != nil {
		return res, err
	}
	if r.Err != cp.ErrOK {
		return res, fmt.Errorf("cluster: walkthrough: create /app1: %v", r.Err)
	}
	fmt.Fprintf(out, "create /app1 \"hello\" -> %s (zxid 0x%x) via %s\n", r.Path, r.Zxid, cl.lib.Server())

	if err := c.failover(out, &res); err != nil {
		return res, err
	}
	if res.Reads, err = c.readEverywhere(out, "/app1"); err != nil {
		return res, err
	}

	fmt.Fprintf(out, "[%v] restart server.%d\n", c.Now(), res.FirstLeader)
	c.Restart(res.FirstLeader)
	if err := c.waitFor("the old leader to rejoin and catch up", c.Converged); err != nil {
		return res, err
	}
	res.Rejoined = c.Status(res.FirstLeader)
	res.Final = c.Statuses()
	c.printStatuses(out, "after the old leader rejoined")
	if errs := c.Errors(); len(errs) > 0 {
		return res, fmt.Errorf("cluster: walkthrough: harness errors: %v", errs)
	}
	return res, nil
}

// failover kills the leader and measures the election.
func (c *Cluster) failover(out io.Writer, res *WalkthroughResult) error {
	killedAt := c.Now()
	fmt.Fprintf(out, "[%v] kill server.%d (the leader)\n", killedAt, res.FirstLeader)
	c.Kill(res.FirstLeader)
	err := c.waitFor("a survivor to win the election", func() bool {
		for _, s := range c.Statuses() {
			if s.Up && s.Mode == ModeLeading {
				res.NewLeader = s.ID
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	res.ElectionMs = float64(c.Now().Sub(killedAt)) / float64(sim.Millisecond)
	if err := c.waitFor("the new leader to be established", func() bool { _, ok := c.Leader(); return ok }); err != nil {
		return err
	}
	res.EstablishedMs = float64(c.Now().Sub(killedAt)) / float64(sim.Millisecond)
	fmt.Fprintf(out, "new leader server.%d elected %.1f ms (virtual) after the kill; serving with a quorum after %.1f ms\n",
		res.NewLeader, res.ElectionMs, res.EstablishedMs)
	if err := c.waitFor("the survivors to converge", c.survivorsConverged); err != nil {
		return err
	}
	c.printStatuses(out, "after the failover")
	return nil
}

// survivorsConverged is Converged restricted to the servers that are up.
func (c *Cluster) survivorsConverged() bool { return c.convergedAmong(true) }

// readEverywhere reads path through a fresh client pinned to each live server.
func (c *Cluster) readEverywhere(out io.Writer, path string) (map[int64]string, error) {
	reads := map[int64]string{}
	for _, s := range c.Statuses() {
		if !s.Up {
			continue
		}
		cl, err := c.AddClient(ClientOptions{Servers: []int64{s.ID}})
		if err != nil {
			return nil, err
		}
		r, err := c.call(cl, func(now int64, lib *client.Client, cb client.Callback) { lib.Get(now, path, nil, cb) })
		if err != nil {
			return nil, err
		}
		if r.Err != cp.ErrOK {
			return nil, fmt.Errorf("cluster: get %s on server.%d: %v", path, s.ID, r.Err)
		}
		reads[s.ID] = string(r.Data)
		fmt.Fprintf(out, "get %s on server.%d -> %q (mzxid 0x%x)\n", path, s.ID, r.Data, r.Stat.Mzxid)
	}
	return reads, nil
}

// call issues one operation and runs the world until it completes. A call that failed
// without being sent (the client was still connecting) is made again; any other result,
// an unknown outcome included, is the caller's.
func (c *Cluster) call(cl *Client, op func(int64, *client.Client, client.Callback)) (client.Result, error) {
	for {
		var res client.Result
		done := false
		cl.Do(func(now int64, lib *client.Client) {
			op(now, lib, func(r client.Result) { res, done = r, true })
		})
		if err := c.waitFor("a client call to complete", func() bool { return done }); err != nil {
			return res, err
		}
		if res.Err != cp.ErrConnectionLoss || res.Outcome != client.OutcomeFailed {
			return res, nil
		}
		if err := c.waitFor("the client to connect", func() bool {
			st := cl.lib.State()
			return st == client.StateConnected || st == client.StateExpired || st == client.StateClosed
		}); err != nil {
			return res, err
		}
	}
}

func (c *Cluster) waitFor(what string, cond func() bool) error {
	ok, err := c.RunUntilCond(waitLimit, cond)
	if err != nil {
		return fmt.Errorf("cluster: waiting for %s: %w", what, err)
	}
	if !ok {
		return fmt.Errorf("cluster: %s did not happen within %v of virtual time (at %v)", what, waitLimit, c.Now())
	}
	return nil
}

func (c *Cluster) printStatuses(out io.Writer, title string) {
	fmt.Fprintf(out, "[%v] %s:\n", c.Now(), title)
	for _, sid := range c.ServerIDs() {
		fmt.Fprintf(out, "  %s\n", c.StatusLine(sid))
	}
}
