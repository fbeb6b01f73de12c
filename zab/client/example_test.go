package client_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// Drive a client by hand, playing the harness and the server: every input is a method
// call with the virtual time, every output an effect.
func Example() {
	c, _ := client.New(client.Config{ID: 1, Servers: []string{"zk1"}, SessionTimeoutMs: 6000,
		Rand: rand.New(rand.NewPCG(1, 1))})
	c.Start(0)
	dial := c.Effects()[0].(client.Dial)
	fmt.Println("dial", dial.Server)

	c.OnConnected(1_000_000, dial.Attempt, 42) // the harness opened connection 42
	req := c.Effects()[0].(client.Send).Msg.(*cp.ConnectRequest)
	fmt.Println("connect: session", req.SessionID, "timeout", req.TimeoutMs)

	c.OnMessage(2_000_000, 42, &cp.ConnectResponse{TimeoutMs: 4000, SessionID: 0x100, Passwd: make([]byte, 16)})
	c.Effects()
	c.Create(3_000_000, "/app1", []byte("hello"), cp.FlagPersistent, func(r client.Result) {
		fmt.Println("created", r.Path, "at zxid", r.Zxid)
	})
	sent := c.Effects()[0].(client.Send).Msg.(*cp.Request)
	fmt.Println("sent", sent.Op, "xid", sent.Xid)

	c.OnMessage(4_000_000, 42, &cp.Reply{Xid: sent.Xid, Zxid: 0x100000002, Body: &cp.PathResponse{Path: "/app1"}})
	for _, e := range c.Effects() {
		if done, ok := e.(client.Completed); ok {
			fmt.Println("record:", done.Op.Outcome, done.Op.Server, done.Op.CallNs, done.Op.ReturnNs)
		}
	}
	// Output:
	// dial zk1
	// connect: session 0 timeout 6000
	// sent create xid 1
	// created /app1 at zxid 4294967298
	// record: ok zk1 3000000 4000000
}
