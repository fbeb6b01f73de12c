package clientproto

import "fmt"

// OpCode is a request type, ZooDefs.OpCode in ZooKeeper. The numbers are the wire values.
type OpCode int32

// Op codes (reference §6). Only the ones the simulated client and server use are named.
const (
	OpNotification    OpCode = 0
	OpCreate          OpCode = 1
	OpDelete          OpCode = 2
	OpExists          OpCode = 3
	OpGetData         OpCode = 4
	OpSetData         OpCode = 5
	OpGetACL          OpCode = 6
	OpSetACL          OpCode = 7
	OpGetChildren     OpCode = 8
	OpSync            OpCode = 9
	OpPing            OpCode = 11
	OpGetChildren2    OpCode = 12
	OpCheck           OpCode = 13
	OpMulti           OpCode = 14
	OpCreate2         OpCode = 15
	OpCreateContainer OpCode = 19
	OpSetWatches      OpCode = 101
	OpCreateSession   OpCode = -10
	OpCloseSession    OpCode = -11
	OpError           OpCode = -1
)

var opNames = map[OpCode]string{
	OpNotification: "notification", OpCreate: "create", OpDelete: "delete", OpExists: "exists",
	OpGetData: "getData", OpSetData: "setData", OpGetACL: "getACL", OpSetACL: "setACL",
	OpGetChildren: "getChildren", OpSync: "sync", OpPing: "ping", OpGetChildren2: "getChildren2",
	OpCheck: "check", OpMulti: "multi", OpCreate2: "create2", OpCreateContainer: "createContainer",
	OpSetWatches: "setWatches", OpCreateSession: "createSession", OpCloseSession: "closeSession",
	OpError: "error",
}

func (o OpCode) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", int32(o))
}

// IsWrite reports whether a request of this type changes the tree (and so becomes a txn
// with a zxid on the leader).
func (o OpCode) IsWrite() bool {
	switch o {
	case OpCreate, OpCreate2, OpCreateContainer, OpDelete, OpSetData, OpSetACL, OpCheck, OpMulti,
		OpCreateSession, OpCloseSession:
		return true
	}
	return false
}

// ErrCode is a KeeperException.Code; 0 is OK. The numbers are the wire values.
type ErrCode int32

// Error codes (reference §6).
const (
	ErrOK                      ErrCode = 0
	ErrSystemError             ErrCode = -1
	ErrRuntimeInconsistency    ErrCode = -2
	ErrDataInconsistency       ErrCode = -3
	ErrConnectionLoss          ErrCode = -4
	ErrMarshallingError        ErrCode = -5
	ErrUnimplemented           ErrCode = -6
	ErrOperationTimeout        ErrCode = -7
	ErrBadArguments            ErrCode = -8
	ErrUnknownSession          ErrCode = -12
	ErrAPIError                ErrCode = -100
	ErrNoNode                  ErrCode = -101
	ErrNoAuth                  ErrCode = -102
	ErrBadVersion              ErrCode = -103
	ErrNoChildrenForEphemerals ErrCode = -108
	ErrNodeExists              ErrCode = -110
	ErrNotEmpty                ErrCode = -111
	ErrSessionExpired          ErrCode = -112
	ErrInvalidCallback         ErrCode = -113
	ErrInvalidACL              ErrCode = -114
	ErrAuthFailed              ErrCode = -115
	ErrSessionMoved            ErrCode = -118
	ErrNotReadOnly             ErrCode = -119
	ErrEphemeralOnLocalSession ErrCode = -120
	ErrNoWatcher               ErrCode = -121
	ErrRequestTimeout          ErrCode = -122
	ErrQuotaExceeded           ErrCode = -125
	ErrThrottledOp             ErrCode = -127
)

var errNames = map[ErrCode]string{
	ErrOK: "OK", ErrSystemError: "SYSTEMERROR", ErrRuntimeInconsistency: "RUNTIMEINCONSISTENCY",
	ErrDataInconsistency: "DATAINCONSISTENCY", ErrConnectionLoss: "CONNECTIONLOSS",
	ErrMarshallingError: "MARSHALLINGERROR", ErrUnimplemented: "UNIMPLEMENTED",
	ErrOperationTimeout: "OPERATIONTIMEOUT", ErrBadArguments: "BADARGUMENTS",
	ErrUnknownSession: "UNKNOWNSESSION", ErrAPIError: "APIERROR", ErrNoNode: "NONODE",
	ErrNoAuth: "NOAUTH", ErrBadVersion: "BADVERSION", ErrNoChildrenForEphemerals: "NOCHILDRENFOREPHEMERALS",
	ErrNodeExists: "NODEEXISTS", ErrNotEmpty: "NOTEMPTY", ErrSessionExpired: "SESSIONEXPIRED",
	ErrInvalidCallback: "INVALIDCALLBACK", ErrInvalidACL: "INVALIDACL", ErrAuthFailed: "AUTHFAILED",
	ErrSessionMoved: "SESSIONMOVED", ErrNotReadOnly: "NOTREADONLY",
	ErrEphemeralOnLocalSession: "EPHEMERALONLOCALSESSION", ErrNoWatcher: "NOWATCHER",
	ErrRequestTimeout: "REQUESTTIMEOUT", ErrQuotaExceeded: "QUOTAEXCEEDED", ErrThrottledOp: "THROTTLEDOP",
}

func (e ErrCode) String() string {
	if s, ok := errNames[e]; ok {
		return s
	}
	return fmt.Sprintf("err(%d)", int32(e))
}

// Error makes a non-OK ErrCode usable as a Go error.
func (e ErrCode) Error() string { return "zookeeper: " + e.String() }

// EventType is a WatchedEvent type.
type EventType int32

// Event types (reference §6).
const (
	EventNone                EventType = -1
	EventNodeCreated         EventType = 1
	EventNodeDeleted         EventType = 2
	EventNodeDataChanged     EventType = 3
	EventNodeChildrenChanged EventType = 4
)

func (t EventType) String() string {
	switch t {
	case EventNone:
		return "None"
	case EventNodeCreated:
		return "NodeCreated"
	case EventNodeDeleted:
		return "NodeDeleted"
	case EventNodeDataChanged:
		return "NodeDataChanged"
	case EventNodeChildrenChanged:
		return "NodeChildrenChanged"
	}
	return fmt.Sprintf("event(%d)", int32(t))
}

// KeeperState is the connection state carried by a watcher event.
type KeeperState int32

// Keeper states (Watcher.Event.KeeperState).
const (
	StateDisconnected  KeeperState = 0
	StateSyncConnected KeeperState = 3
	StateExpired       KeeperState = -112
)

// Create flags (CreateMode).
const (
	FlagPersistent           int32 = 0
	FlagEphemeral            int32 = 1
	FlagPersistentSequential int32 = 2
	FlagEphemeralSequential  int32 = 3
	FlagContainer            int32 = 4
)

// Special xids (ClientCnxn).
const (
	XidNotification int32 = -1 // a watcher event
	XidPing         int32 = -2
	XidAuth         int32 = -4
	XidSetWatches   int32 = -8
)

// Permission bits (ZooDefs.Perms).
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)

// ProtocolVersion is the client protocol version 3.8 clients send (always 0).
const ProtocolVersion int32 = 0
