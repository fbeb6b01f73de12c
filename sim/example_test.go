package sim_test

import (
	"fmt"

	"github.com/zabsim/zabsim/sim"
)

// A leader on host 1 sends heartbeats to a follower on host 2 over one connection. The
// leader host pauses for 300 ms: its timer events are held, then fire at once in order;
// the network keeps the connection's FIFO order throughout.
func Example() {
	w := sim.NewWorld(42)
	leader, follower := w.AddHost(), w.AddHost()
	net := w.Network()

	net.Listen(follower, 2888, func(c *sim.Conn) sim.Handlers {
		return sim.Handlers{OnMessage: func(c *sim.Conn, p any) {
			fmt.Printf("%-9v follower got %v\n", w.Now().Duration().Round(sim.Millisecond), p)
		}}
	})
	net.Dial(leader, follower, 2888, sim.Handlers{}, func(c *sim.Conn, err error) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n := 0
		var beat func()
		beat = func() {
			n++
			c.Send(fmt.Sprintf("ping %d", n), 16)
			if n < 5 {
				w.AfterHost(leader, 100*sim.Millisecond, beat)
			}
		}
		beat()
	})
	w.After(150*sim.Millisecond, func() { w.Pause(leader, 300*sim.Millisecond) })
	if err := w.RunFor(sim.Second); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 2ms       follower got ping 1
	// 102ms     follower got ping 2
	// 450ms     follower got ping 3
	// 551ms     follower got ping 4
	// 650ms     follower got ping 5
}
