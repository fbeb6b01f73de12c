package cluster_test

import (
	"fmt"

	"github.com/zabsim/zabsim/internal/cluster"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/zab/client"
	cp "github.com/zabsim/zabsim/zab/clientproto"
)

// Build the default three-server ensemble, wait for it to serve, write through one client
// and read the value back through a client pinned to each server.
func Example() {
	c, err := cluster.New(cluster.Options{Seed: 7})
	if err != nil {
		panic(err)
	}
	ok, _ := c.RunUntilCond(sim.Minute, c.Converged)
	fmt.Println("converged:", ok)

	writer, _ := c.AddClient(cluster.ClientOptions{})
	var created client.Result
	writer.Do(func(now int64, lib *client.Client) {
		lib.Create(now, "/app1", []byte("hello"), cp.FlagPersistent, func(r client.Result) { created = r })
	})
	_ = c.RunFor(sim.Second)
	fmt.Println("create:", created.Err, created.Path)

	for _, sid := range c.ServerIDs() {
		reader, _ := c.AddClient(cluster.ClientOptions{Servers: []int64{sid}})
		var got client.Result
		reader.Do(func(now int64, lib *client.Client) {
			lib.Get(now, "/app1", nil, func(r client.Result) { got = r })
		})
		_ = c.RunFor(sim.Second)
		fmt.Printf("server %d: %q\n", sid, got.Data)
	}
	// Output:
	// converged: true
	// create: zookeeper: OK /app1
	// server 1: "hello"
	// server 2: "hello"
	// server 3: "hello"
}
