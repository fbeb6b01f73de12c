package clientproto

// Stat is the client-visible znode metadata (org.apache.zookeeper.data.Stat), in wire
// order. Cversion is the client view (2×persisted − numChildren, reference §6).
type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64 // ms
	Mtime          int64 // ms
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

// ACL is one access-control entry: permission bits for an identity (scheme:id).
type ACL struct {
	Perms  int32
	Scheme string
	ID     string
}

// OpenACLUnsafe is ZooDefs.Ids.OPEN_ACL_UNSAFE: world:anyone with every permission.
var OpenACLUnsafe = []ACL{{Perms: PermAll, Scheme: "world", ID: "anyone"}}

// ConnectRequest opens or re-attaches a session. SessionID 0 asks for a new session;
// LastZxidSeen lets a server behind the client refuse it (single system image).
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeoutMs       int32 // the timeout the client asks for; the server clamps it
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
}

// ConnectResponse answers a ConnectRequest. TimeoutMs <= 0 means the session is expired
// (or its password was wrong): the client must give up the session.
type ConnectResponse struct {
	ProtocolVersion int32
	TimeoutMs       int32 // the negotiated session timeout
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
}

// Request is one client request: the RequestHeader (Xid, Op) and the body for Op.
// Ping (Xid = XidPing, Op = OpPing) and closeSession (Op = OpCloseSession) have no body.
type Request struct {
	Xid  int32
	Op   OpCode
	Body RequestBody
}

// RequestBody is one of the request record types below.
type RequestBody interface{ requestBody() }

// CreateRequest is the body of create, create2 and createContainer.
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32 // a Flag* create mode
}

// DeleteRequest deletes Path if its version matches (-1: any).
type DeleteRequest struct {
	Path    string
	Version int32
}

// SetDataRequest replaces Path's data if its version matches (-1: any).
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

// PathWatchRequest is the body of getData, exists, getChildren and getChildren2 (all
// four are (path, watch) on the wire).
type PathWatchRequest struct {
	Path  string
	Watch bool
}

// CheckVersionRequest is multi's check sub-op: fail unless Path's version matches.
type CheckVersionRequest struct {
	Path    string
	Version int32
}

// SyncRequest asks the server to catch up with the leader before answering.
type SyncRequest struct {
	Path string
}

// MultiRequest is an all-or-nothing list of create/delete/setData/check sub-ops.
type MultiRequest struct {
	Ops []MultiOp
}

// MultiOp is one sub-operation of a multi: Op is OpCreate, OpCreate2, OpDelete,
// OpSetData or OpCheck and Body the matching request record.
type MultiOp struct {
	Op   OpCode
	Body RequestBody
}

// SetWatchesRequest re-registers a reconnecting client's watches; the server fires the
// events it missed since RelativeZxid.
type SetWatchesRequest struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

func (*CreateRequest) requestBody()       {}
func (*DeleteRequest) requestBody()       {}
func (*SetDataRequest) requestBody()      {}
func (*PathWatchRequest) requestBody()    {}
func (*CheckVersionRequest) requestBody() {}
func (*SyncRequest) requestBody()         {}
func (*MultiRequest) requestBody()        {}
func (*SetWatchesRequest) requestBody()   {}

// Reply is one server message on an established session: the ReplyHeader (Xid, Zxid,
// Err) and a body. A watcher event is a Reply with Xid = XidNotification and a
// *WatcherEvent body. A reply with Err != ErrOK has no body (except multi, whose body
// always lists the per-op results).
type Reply struct {
	Xid  int32
	Zxid int64 // the server's last processed zxid when it answered
	Err  ErrCode
	Body ReplyBody
}

// ReplyBody is one of the reply record types below.
type ReplyBody interface{ replyBody() }

// PathResponse is the reply of create and sync: the created (suffixed) path.
type PathResponse struct {
	Path string
}

// PathStatResponse is the reply of create2: the created path and the new node's stat.
type PathStatResponse struct {
	Path string
	Stat Stat
}

// StatResponse is the reply of setData and exists.
type StatResponse struct {
	Stat Stat
}

// DataResponse is the reply of getData.
type DataResponse struct {
	Data []byte
	Stat Stat
}

// ChildrenResponse is the reply of getChildren (Stat is not on the wire) and
// getChildren2 (Stat is).
type ChildrenResponse struct {
	Children []string
	Stat     Stat
}

// MultiResponse lists one result per sub-op, in order.
type MultiResponse struct {
	Results []MultiResult
}

// MultiResult is one sub-op's result. Op is the sub-op's type, or OpError with Err set
// when the multi failed (the failing op has its code, ops before it ErrOK and ops after
// it ErrRuntimeInconsistency). Path is set for create/create2, Stat for create2/setData.
type MultiResult struct {
	Op   OpCode
	Err  ErrCode
	Path string
	Stat Stat
}

// WatcherEvent is a triggered watch (or a connection-state event when Type is EventNone).
type WatcherEvent struct {
	Type  EventType
	State KeeperState
	Path  string
}

func (*PathResponse) replyBody()     {}
func (*PathStatResponse) replyBody() {}
func (*StatResponse) replyBody()     {}
func (*DataResponse) replyBody()     {}
func (*ChildrenResponse) replyBody() {}
func (*MultiResponse) replyBody()    {}
func (*WatcherEvent) replyBody()     {}
