// Package client is a simulated ZooKeeper client library, shaped like
// github.com/go-zookeeper/zk but I/O-free and single-threaded, for the simulator.
//
// # Model
//
// A Client is one session. It never touches the network or a clock: every input is a
// method call carrying the virtual time (ns), and everything it wants done is an Effect
// collected in order and drained with Effects:
//
//	Dial{Attempt, Server}   open a connection; answer OnConnected(attempt, conn) or OnDialFailed
//	Send{Conn, Msg, Size}   a *clientproto.ConnectRequest or *clientproto.Request
//	CloseConn{Conn}
//	Wake{At}                call OnTimer at At (only the latest Wake matters)
//	StateChanged{State}     Connecting → Connected ⇄ Disconnected → Expired / Closed
//	Completed{Record}       one operation returned: the history entry
//	Violation{Msg}          the server broke the protocol (e.g. a reply out of xid order)
//
// The harness feeds back OnConnected, OnDialFailed, OnMessage (a *ConnectResponse or a
// *Reply), OnClosed and OnTimer.
//
// # Behaviour (ZooKeeper's ClientCnxn, reference §5)
//
//   - The connect string is shuffled once with the client's own random stream; servers are
//     tried round-robin. A reconnect waits a random 0–1 s first.
//   - Connect timeout = session timeout / number of servers; read timeout = 2/3 of the
//     negotiated session timeout: nothing received for that long means the connection is
//     lost. A ping is sent when nothing was sent for readTimeout/2 (1 s less once that is
//     over 1 s, and at least every 10 s).
//   - A reconnect presents the session id, password and lastZxidSeen (the highest reply
//     zxid seen); a server behind the client closes the connection and the client tries
//     the next one. A ConnectResponse with timeout ≤ 0 means the session expired.
//   - On reconnect, watches are re-registered with setWatches before any other request.
//   - When the connection is lost (or a connect attempt fails), every request already sent
//     completes with CONNECTIONLOSS and OutcomeUnknown (it may or may not have been
//     applied) and every request not yet sent fails with CONNECTIONLOSS and OutcomeFailed,
//     as ClientCnxn.cleanup does; requests made while disconnected wait for the next
//     attempt. On expiry everything pending fails with SESSIONEXPIRED and every watcher
//     hears (None, Expired).
//   - Paths are validated before sending (PathUtils rules); a bad path fails at once with
//     BADARGUMENTS and is never sent.
//   - Watches are one-shot and registered when the reply arrives: getData/exists on
//     success (and exists on NONODE), getChildren on success.
//
// # Operations
//
// Create, Get, Set, Delete, Exists, Children (getChildren2), Multi, Sync and Close take
// the call time and a Callback that receives a Result. The callback runs inside the
// Client method that completed the operation and may issue more operations; their
// effects join the same batch. Each operation is also reported as Completed{Record}
// with its call and return times, the server, the reply zxid, the Outcome and the reply.
//
// Example (a harness loop, schematically):
//
//	c, _ := client.New(client.Config{ID: 1, Servers: []string{"zk1", "zk2", "zk3"},
//		SessionTimeoutMs: 10000, Rand: rng})
//	c.Start(now)
//	c.Create(now, "/app1", []byte("hello"), clientproto.FlagPersistent, func(r client.Result) {})
//	for _, e := range c.Effects() {
//		// execute e on the simulated network / scheduler
//	}
package client
