package cluster

import "github.com/zabsim/zabsim/sim"

// fin is what an application close puts on the wire after the data already sent: TCP's
// FIN. sim.Conn.Close is abortive (it discards data still in flight, like a RST), but
// ZooKeeper often writes and then closes — the election handshake of a smaller sid, the
// answer to closeSession, the refusal of a client that is ahead — and the peer must get
// the data first. So the harness closes a connection by sending fin; the receiving
// harness treats fin as the peer's close and closes its end, which closes ours.
type fin struct{}

// closeGracefully sends fin on sc and leaves sc to be closed by the peer's answer (or by
// a break). Nothing more is delivered to the application on this end.
func closeGracefully(sc *sim.Conn) {
	sc.SetHandlers(sim.Handlers{})
	if err := sc.Send(fin{}, 0); err != nil {
		_ = sc.Close()
	}
}

// isFin reports whether a payload is the peer's close.
func isFin(p any) bool {
	_, ok := p.(fin)
	return ok
}
