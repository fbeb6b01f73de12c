// Package clientproto defines the messages of ZooKeeper 3.8's client protocol as Go
// structs, with their jute wire encoding.
//
// A client connection carries, from client to server, one *ConnectRequest and then
// *Request values; from server to client, one *ConnectResponse and then *Reply values.
// Watcher events travel as a *Reply with Xid XidNotification and a *WatcherEvent body,
// ordered with the other replies of the session (reference §6). A ping is a Request with
// Xid XidPing and Op OpPing; closing a session is a Request with Op OpCloseSession.
//
// Request bodies follow the op code:
//
//	create, create2, createContainer  *CreateRequest
//	delete                            *DeleteRequest
//	setData                           *SetDataRequest
//	getData, exists, getChildren(2)   *PathWatchRequest
//	check                             *CheckVersionRequest (only inside a multi)
//	sync                              *SyncRequest
//	multi                             *MultiRequest
//	setWatches                        *SetWatchesRequest
//	ping, closeSession                nil
//
// Reply bodies: create and sync *PathResponse, create2 *PathStatResponse, setData and
// exists *StatResponse, getData *DataResponse, getChildren(2) *ChildrenResponse, multi
// *MultiResponse, everything else nil. A reply whose Err is not ErrOK has no body, except
// a multi's, which always lists each sub-op's result.
//
// The simulator hands these structs over its connections without encoding them; the
// codec (EncodeRequest, DecodeReply, ...) gives each message its true size (SizeBytes)
// and pins the layout to ZooKeeper's zookeeper.jute. Decoders never panic on bad bytes:
// they return an error naming the field and offset.
//
// Usage, from a server's point of view:
//
//	switch m := msg.(type) {
//	case *clientproto.ConnectRequest:
//		// open or re-attach a session, answer with *clientproto.ConnectResponse
//	case *clientproto.Request:
//		switch b := m.Body.(type) {
//		case *clientproto.CreateRequest:
//			// ...
//		}
//	}
package clientproto

// The op codes, error codes and Stat are defined here rather than taken from datatree on
// purpose: the checker reads client histories made of these types and must not depend
// on datatree (a bug shared by the tree and the checker's model would pass silently).
