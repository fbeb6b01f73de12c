package cluster

import (
	"fmt"
	"math/rand/v2"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// Workload describes a client workload: Clients clients split into Groups; each group
// works on its own subtree /w<g> of KeysPerGroup znodes, so the checker's per-key
// Porcupine partitions stay small. Every client has one call outstanding at a time and
// waits a drawn think time between calls. Every written payload is unique.
type Workload struct {
	Clients      int
	Groups       int // 0: one group per client
	KeysPerGroup int // 0: 3
	// Think is the pause between a call's return and the client's next call.
	Think sim.Latency
	// MaxOps stops issuing after this many calls in total (0: until Stop).
	MaxOps int
	// Mix weights the operations; the zero value is DefaultMix.
	Mix Mix
	// SessionTimeoutMs for every client (0: 10000).
	SessionTimeoutMs int32
}

// Mix weights each kind of call. Sequential creates persistent sequential nodes
// (<group>/q-0000000001, ...); Ephemeral creates ephemeral nodes, which go away with the
// client's session.
type Mix struct {
	Create, SetData, Delete, GetData, Exists, Children, Multi, Sync int
	Sequential, Ephemeral                                           int
}

// DefaultMix is write-heavy, with reads of every kind.
var DefaultMix = Mix{Create: 3, SetData: 4, Delete: 2, GetData: 3, Exists: 1, Children: 1, Multi: 1, Sync: 1}

// call is one kind of call of the mix.
type call struct {
	weight int
	issue  func(d *Driver, k int, now int64, lib *client.Client, key string, payload []byte, cb client.Callback)
}

func (m Mix) calls() []call {
	return []call{
		{m.Create, func(_ *Driver, _ int, now int64, lib *client.Client, key string, p []byte, cb client.Callback) {
			lib.Create(now, key, p, cp.FlagPersistent, cb)
		}},
		{m.SetData, func(d *Driver, _ int, now int64, lib *client.Client, key string, p []byte, cb client.Callback) {
			lib.Set(now, key, p, d.version(), cb)
		}},
		{m.Delete, func(d *Driver, _ int, now int64, lib *client.Client, key string, _ []byte, cb client.Callback) {
			lib.Delete(now, key, d.version(), cb)
		}},
		{m.GetData, func(_ *Driver, _ int, now int64, lib *client.Client, key string, _ []byte, cb client.Callback) {
			lib.Get(now, key, nil, cb)
		}},
		{m.Exists, func(_ *Driver, _ int, now int64, lib *client.Client, key string, _ []byte, cb client.Callback) {
			lib.Exists(now, key, nil, cb)
		}},
		{m.Children, func(d *Driver, k int, now int64, lib *client.Client, _ string, _ []byte, cb client.Callback) {
			lib.Children(now, d.groupPath(k), nil, cb)
		}},
		{m.Multi, func(d *Driver, k int, now int64, lib *client.Client, key string, p []byte, cb client.Callback) {
			other := d.key(k)
			lib.Multi(now, []cp.MultiOp{
				{Op: cp.OpCreate, Body: &cp.CreateRequest{Path: key, Data: p, ACL: cp.OpenACLUnsafe}},
				{Op: cp.OpSetData, Body: &cp.SetDataRequest{Path: other, Data: append(p, 'm'), Version: -1}},
			}, cb)
		}},
		{m.Sync, func(d *Driver, k int, now int64, lib *client.Client, _ string, _ []byte, cb client.Callback) {
			lib.Sync(now, d.groupPath(k), cb)
		}},
		{m.Sequential, func(d *Driver, k int, now int64, lib *client.Client, _ string, p []byte, cb client.Callback) {
			lib.Create(now, d.groupPath(k)+"/q-", p, cp.FlagPersistentSequential, cb)
		}},
		{m.Ephemeral, func(_ *Driver, _ int, now int64, lib *client.Client, key string, p []byte, cb client.Callback) {
			lib.Create(now, key+"e", p, cp.FlagEphemeral, cb)
		}},
	}
}

func (m Mix) total() int {
	t := 0
	for _, c := range m.calls() {
		t += c.weight
	}
	return t
}

// Driver runs a Workload on a cluster.
type Driver struct {
	c       *Cluster
	w       Workload
	rnd     *rand.Rand
	clients []*Client
	group   []int
	stopped bool
	issued  int
	done    int
}

// StartWorkload adds the workload's clients and starts them: each first creates its
// group's parent znode (NODEEXISTS is fine), then issues calls until stopped.
func (c *Cluster) StartWorkload(w Workload) (*Driver, error) {
	if w.Clients <= 0 {
		return nil, fmt.Errorf("cluster: workload needs at least one client, got %d", w.Clients)
	}
	if w.Groups <= 0 || w.Groups > w.Clients {
		w.Groups = w.Clients
	}
	if w.KeysPerGroup <= 0 {
		w.KeysPerGroup = 3
	}
	if w.Mix.total() == 0 {
		w.Mix = DefaultMix
	}
	if w.Think == (sim.Latency{}) {
		w.Think = sim.Latency{Min: 1 * sim.Millisecond, Mean: 20 * sim.Millisecond, Jitter: 15 * sim.Millisecond}
	}
	if err := w.Think.Validate(); err != nil {
		return nil, fmt.Errorf("cluster: workload think time: %w", err)
	}
	d := &Driver{c: c, w: w, rnd: c.w.Rand("cluster/workload")}
	for i := 0; i < w.Clients; i++ {
		cl, err := c.AddClient(ClientOptions{SessionTimeoutMs: w.SessionTimeoutMs})
		if err != nil {
			return nil, err
		}
		d.clients = append(d.clients, cl)
		d.group = append(d.group, i%w.Groups+1)
		k := i
		cl.Do(func(now int64, lib *client.Client) {
			lib.Create(now, d.groupPath(k), nil, cp.FlagPersistent, func(client.Result) { d.next(k) })
		})
		d.issued++
	}
	return d, nil
}

// Stop ends the workload: calls in flight finish, no new ones start.
func (d *Driver) Stop() { d.stopped = true }

// Issued and Completed count calls.
func (d *Driver) Issued() int    { return d.issued }
func (d *Driver) Completed() int { return d.done }

// Clients returns the workload's clients.
func (d *Driver) Clients() []*Client { return d.clients }

func (d *Driver) groupPath(k int) string { return fmt.Sprintf("/w%d", d.group[k]) }

// next schedules client k's next call after a think time.
func (d *Driver) next(k int) {
	d.done++
	if d.stopped || (d.w.MaxOps > 0 && d.issued >= d.w.MaxOps) {
		return
	}
	cl := d.clients[k]
	if st := cl.lib.State(); st == client.StateExpired || st == client.StateClosed {
		return
	}
	d.c.w.AfterHost(cl.host, d.w.Think.Draw(d.rnd), func() {
		if d.stopped {
			return
		}
		d.issued++
		cl.Do(func(now int64, lib *client.Client) { d.issue(k, now, lib) })
	})
}

// issue makes one call of client k, drawn from the mix.
func (d *Driver) issue(k int, now int64, lib *client.Client) {
	key := d.key(k)
	payload := []byte(fmt.Sprintf("c%d-%d", d.clients[k].id, d.issued))
	cb := func(client.Result) { d.next(k) }
	r := d.rnd.IntN(d.w.Mix.total())
	for _, c := range d.w.Mix.calls() {
		if r < c.weight {
			c.issue(d, k, now, lib, key, payload, cb)
			return
		}
		r -= c.weight
	}
}

// key draws one of client k's group's znodes.
func (d *Driver) key(k int) string {
	return fmt.Sprintf("%s/k%d", d.groupPath(k), d.rnd.IntN(d.w.KeysPerGroup))
}

// version is -1 (any) most of the time, else a small guess, so conditional writes both
// succeed and fail with BADVERSION.
func (d *Driver) version() int32 {
	if d.rnd.IntN(3) > 0 {
		return -1
	}
	return int32(d.rnd.IntN(3))
}
