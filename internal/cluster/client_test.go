package cluster

import (
	"github.com/zabsim/zabsim/checker"
	"testing"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// converged builds a default cluster and waits until it serves.
func converged(t *testing.T, seed uint64) *Cluster {
	t.Helper()
	return convergedWith(t, Options{Seed: seed})
}

// convergedOn is converged on disks of the given durability model.
func convergedOn(t *testing.T, seed uint64, model sim.DiskModel) *Cluster {
	t.Helper()
	disk := sim.DefaultDiskOptions()
	disk.Model = model
	return convergedWith(t, Options{Seed: seed, Disk: &disk})
}

func convergedWith(t *testing.T, o Options) *Cluster {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.waitFor("convergence", c.Converged); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustCall(t *testing.T, c *Cluster, cl *Client, op func(int64, *client.Client, client.Callback)) client.Result {
	t.Helper()
	r, err := c.call(cl, op)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A watch set through one server fires after that server was killed and the client failed
// over to another: the client re-registers it with setWatches on the new connection.
func TestWatchSurvivesFailover(t *testing.T) {
	c := converged(t, 11)
	watcher, _ := c.AddClient(ClientOptions{})
	writer, _ := c.AddClient(ClientOptions{})
	if r := mustCall(t, c, writer, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/watched", []byte("v0"), cp.FlagPersistent, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("create: %v", r.Err)
	}
	var events []cp.WatcherEvent
	if r := mustCall(t, c, watcher, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Get(now, "/watched", func(ev cp.WatcherEvent) { events = append(events, ev) }, cb)
	}); r.Err != cp.ErrOK || string(r.Data) != "v0" {
		t.Fatalf("get: %v %q", r.Err, r.Data)
	}
	first := watcher.Lib().Server()
	c.Kill(c.byName[first].sid)
	if err := c.waitFor("the watcher to reconnect elsewhere", func() bool {
		return watcher.Lib().State() == client.StateConnected && watcher.Lib().Server() != first
	}); err != nil {
		t.Fatal(err)
	}
	for {
		r := mustCall(t, c, writer, func(now int64, lib *client.Client, cb client.Callback) {
			lib.Set(now, "/watched", []byte("v1"), -1, cb)
		})
		if r.Err == cp.ErrOK {
			break
		}
		if r.Err != cp.ErrConnectionLoss {
			t.Fatalf("set: %v", r.Err)
		}
	}
	if err := c.waitFor("the watch to fire", func() bool { return len(events) > 0 }); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Type != cp.EventNodeDataChanged || events[0].Path != "/watched" {
		t.Fatalf("events %+v", events)
	}
}

// A client cut off for longer than its session timeout finds its session expired when it
// gets back, and its ephemeral node is gone (the leader expired the session).
func TestSessionExpiresWhileIsolated(t *testing.T) {
	c := converged(t, 12)
	owner, _ := c.AddClient(ClientOptions{SessionTimeoutMs: 4000})
	if r := mustCall(t, c, owner, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Create(now, "/lock", nil, cp.FlagEphemeral, cb)
	}); r.Err != cp.ErrOK {
		t.Fatalf("create ephemeral: %v", r.Err)
	}
	c.w.Network().Isolate(owner.host)
	if err := c.RunFor(20 * sim.Second); err != nil {
		t.Fatal(err)
	}
	c.w.Network().Heal()
	if err := c.waitFor("the owner to learn of the expiry", func() bool {
		return owner.Lib().State() == client.StateExpired
	}); err != nil {
		t.Fatal(err)
	}
	reader, _ := c.AddClient(ClientOptions{})
	if r := mustCall(t, c, reader, func(now int64, lib *client.Client, cb client.Callback) {
		lib.Exists(now, "/lock", nil, cb)
	}); r.Err != cp.ErrNoNode {
		t.Fatalf("exists /lock after expiry: %v", r.Err)
	}
	h := c.History()
	expired := false
	for _, op := range h.Ops {
		expired = expired || op.Session == owner.Lib().SessionID() && op.Kind == checker.KindSessionExpired
	}
	if !expired {
		t.Errorf("the history has no session-expired marker for the owner")
	}
}
