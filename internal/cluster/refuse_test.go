package cluster

import (
	"testing"

	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// A client that has seen zxid Z and can reach only a server behind Z is refused there
// (single system image): it stays disconnected instead of reading the past, and
// connects once that server has caught up — and then reads what it wrote.
func TestBehindServerRefusesClient(t *testing.T) {
	c := converged(t, 31)
	leader, _ := c.Leader()
	var followers []int64
	for _, sid := range c.ServerIDs() {
		if sid != leader {
			followers = append(followers, sid)
		}
	}
	cl, _ := c.AddClient(ClientOptions{Servers: followers})
	if err := c.waitFor("the client to connect", func() bool { return cl.Lib().State() == client.StateConnected }); err != nil {
		t.Fatal(err)
	}
	onto := c.byName[cl.Lib().Server()].sid
	behind := followers[0]
	if behind == onto {
		behind = followers[1]
	}
	// The other follower falls behind: its links stall (TCP holds the data).
	c.Partition([]int64{behind}, []int64{leader, onto})
	for _, v := range []string{"v1", "v2"} {
		r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) {
			if v == "v1" {
				lib.Create(now, "/r", []byte(v), cp.FlagPersistent, cb)
			} else {
				lib.Set(now, "/r", []byte(v), -1, cb)
			}
		})
		if r.Err != cp.ErrOK {
			t.Fatalf("write %s: %v", v, r.Err)
		}
	}
	seen := cl.Lib().LastZxidSeen()
	if c.Status(behind).AppliedZxid >= seen {
		t.Fatalf("server %d is not behind the client (0x%x >= 0x%x)", behind, c.Status(behind).AppliedZxid, seen)
	}
	// The client's server dies: the only one left in its list is behind it.
	behindHost := c.node(behind).addr.Host
	triedBefore := cl.dials[behindHost]
	c.Kill(onto)
	if err := c.RunFor(3 * sim.Second); err != nil {
		t.Fatal(err)
	}
	if st := cl.Lib().State(); st == client.StateConnected {
		t.Fatalf("the client connected to server %s, which is behind its zxid 0x%x", cl.Lib().Server(), seen)
	}
	if tries := cl.dials[behindHost] - triedBefore; tries < 2 {
		t.Fatalf("the client tried server %d only %d times in 3 s: the refusal was not exercised", behind, tries)
	}
	c.Heal()
	if err := c.waitFor("the client to reconnect", func() bool { return cl.Lib().State() == client.StateConnected }); err != nil {
		t.Fatal(err)
	}
	if got := c.byName[cl.Lib().Server()].sid; got != behind {
		t.Fatalf("reconnected to server %d, want %d", got, behind)
	}
	r := mustCall(t, c, cl, func(now int64, lib *client.Client, cb client.Callback) { lib.Get(now, "/r", nil, cb) })
	if r.Err != cp.ErrOK || string(r.Data) != "v2" || r.Zxid < seen {
		t.Fatalf("read after reconnecting: %v %q at 0x%x (had seen 0x%x)", r.Err, r.Data, r.Zxid, seen)
	}
}
