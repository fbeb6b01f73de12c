package datatree

import "fmt"

// OpCode is ZooKeeper's request and txn type number (ZooDefs.OpCode).
type OpCode = int32

// The op codes of ZooKeeper 3.8.
const (
	OpNotification         OpCode = 0
	OpCreate               OpCode = 1
	OpDelete               OpCode = 2
	OpExists               OpCode = 3
	OpGetData              OpCode = 4
	OpSetData              OpCode = 5
	OpGetACL               OpCode = 6
	OpSetACL               OpCode = 7
	OpGetChildren          OpCode = 8
	OpSync                 OpCode = 9
	OpPing                 OpCode = 11
	OpGetChildren2         OpCode = 12
	OpCheck                OpCode = 13
	OpMulti                OpCode = 14
	OpCreate2              OpCode = 15
	OpReconfig             OpCode = 16
	OpCheckWatches         OpCode = 17
	OpRemoveWatches        OpCode = 18
	OpCreateContainer      OpCode = 19
	OpDeleteContainer      OpCode = 20
	OpCreateTTL            OpCode = 21
	OpMultiRead            OpCode = 22
	OpAuth                 OpCode = 100
	OpSetWatches           OpCode = 101
	OpSasl                 OpCode = 102
	OpGetEphemerals        OpCode = 103
	OpGetAllChildrenNumber OpCode = 104
	OpSetWatches2          OpCode = 105
	OpAddWatch             OpCode = 106
	OpWhoAmI               OpCode = 107
	OpCreateSession        OpCode = -10
	OpCloseSession         OpCode = -11
	OpError                OpCode = -1
)

var opNames = map[OpCode]string{
	OpNotification: "notification", OpCreate: "create", OpDelete: "delete", OpExists: "exists",
	OpGetData: "getData", OpSetData: "setData", OpGetACL: "getACL", OpSetACL: "setACL",
	OpGetChildren: "getChildren", OpSync: "sync", OpPing: "ping", OpGetChildren2: "getChildren2",
	OpCheck: "check", OpMulti: "multi", OpCreate2: "create2", OpReconfig: "reconfig",
	OpCheckWatches: "checkWatches", OpRemoveWatches: "removeWatches",
	OpCreateContainer: "createContainer", OpDeleteContainer: "deleteContainer",
	OpCreateTTL: "createTTL", OpMultiRead: "multiRead", OpAuth: "auth", OpSetWatches: "setWatches",
	OpSasl: "sasl", OpGetEphemerals: "getEphemerals", OpGetAllChildrenNumber: "getAllChildrenNumber",
	OpSetWatches2: "setWatches2", OpAddWatch: "addWatch", OpWhoAmI: "whoAmI",
	OpCreateSession: "createSession", OpCloseSession: "closeSession", OpError: "error",
}

// OpName returns ZooKeeper's name for an op code, or "op(N)" for an unknown one.
func OpName(op OpCode) string {
	if s, ok := opNames[op]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", op)
}

// CreateMode is the flags field of a create request (CreateMode.toFlag).
type CreateMode int32

// The create modes of ZooKeeper 3.8.
const (
	Persistent                  CreateMode = 0
	Ephemeral                   CreateMode = 1
	PersistentSequential        CreateMode = 2
	EphemeralSequential         CreateMode = 3
	Container                   CreateMode = 4
	PersistentWithTTL           CreateMode = 5
	PersistentSequentialWithTTL CreateMode = 6
)

var modeNames = []string{"PERSISTENT", "EPHEMERAL", "PERSISTENT_SEQUENTIAL", "EPHEMERAL_SEQUENTIAL",
	"CONTAINER", "PERSISTENT_WITH_TTL", "PERSISTENT_SEQUENTIAL_WITH_TTL"}

// Valid reports whether m is one of the seven modes (CreateMode.fromFlag accepts no other).
func (m CreateMode) Valid() bool { return m >= 0 && int(m) < len(modeNames) }

// String returns ZooKeeper's enum name, e.g. "EPHEMERAL_SEQUENTIAL".
func (m CreateMode) String() string {
	if m.Valid() {
		return modeNames[m]
	}
	return fmt.Sprintf("CreateMode(%d)", int32(m))
}

// ParseCreateMode maps an enum name (as in the fixtures) back to the mode.
func ParseCreateMode(name string) (CreateMode, error) {
	for i, n := range modeNames {
		if n == name {
			return CreateMode(i), nil
		}
	}
	return 0, fmt.Errorf("datatree: unknown create mode %q", name)
}

// IsEphemeral reports whether nodes of this mode die with their session.
func (m CreateMode) IsEphemeral() bool { return m == Ephemeral || m == EphemeralSequential }

// IsSequential reports whether the server appends a %010d suffix.
func (m CreateMode) IsSequential() bool {
	return m == PersistentSequential || m == EphemeralSequential || m == PersistentSequentialWithTTL
}

// IsContainer reports whether the mode is CONTAINER.
func (m CreateMode) IsContainer() bool { return m == Container }

// IsTTL reports whether the mode carries a TTL.
func (m CreateMode) IsTTL() bool { return m == PersistentWithTTL || m == PersistentSequentialWithTTL }

// Code is a ZooKeeper result code (KeeperException.Code).
type Code int32

// The result codes of ZooKeeper 3.8.
const (
	OK                           Code = 0
	SystemError                  Code = -1
	RuntimeInconsistency         Code = -2
	DataInconsistency            Code = -3
	ConnectionLoss               Code = -4
	MarshallingError             Code = -5
	Unimplemented                Code = -6
	OperationTimeout             Code = -7
	BadArguments                 Code = -8
	UnknownSession               Code = -12
	NewConfigNoQuorum            Code = -13
	ReconfigInProgress           Code = -14
	APIError                     Code = -100
	NoNode                       Code = -101
	NoAuth                       Code = -102
	BadVersion                   Code = -103
	NoChildrenForEphemerals      Code = -108
	NodeExists                   Code = -110
	NotEmpty                     Code = -111
	SessionExpired               Code = -112
	InvalidCallback              Code = -113
	InvalidACL                   Code = -114
	AuthFailed                   Code = -115
	SessionMoved                 Code = -118
	NotReadOnly                  Code = -119
	EphemeralOnLocalSession      Code = -120
	NoWatcher                    Code = -121
	RequestTimeout               Code = -122
	ReconfigDisabled             Code = -123
	SessionClosedRequireSASLAuth Code = -124
	QuotaExceeded                Code = -125
	ThrottledOp                  Code = -127
)

var codeNames = map[Code]string{
	OK: "OK", SystemError: "SYSTEMERROR", RuntimeInconsistency: "RUNTIMEINCONSISTENCY",
	DataInconsistency: "DATAINCONSISTENCY", ConnectionLoss: "CONNECTIONLOSS",
	MarshallingError: "MARSHALLINGERROR", Unimplemented: "UNIMPLEMENTED",
	OperationTimeout: "OPERATIONTIMEOUT", BadArguments: "BADARGUMENTS",
	UnknownSession: "UNKNOWNSESSION", NewConfigNoQuorum: "NEWCONFIGNOQUORUM",
	ReconfigInProgress: "RECONFIGINPROGRESS", APIError: "APIERROR", NoNode: "NONODE",
	NoAuth: "NOAUTH", BadVersion: "BADVERSION", NoChildrenForEphemerals: "NOCHILDRENFOREPHEMERALS",
	NodeExists: "NODEEXISTS", NotEmpty: "NOTEMPTY", SessionExpired: "SESSIONEXPIRED",
	InvalidCallback: "INVALIDCALLBACK", InvalidACL: "INVALIDACL", AuthFailed: "AUTHFAILED",
	SessionMoved: "SESSIONMOVED", NotReadOnly: "NOTREADONLY",
	EphemeralOnLocalSession: "EPHEMERALONLOCALSESSION", NoWatcher: "NOWATCHER",
	RequestTimeout: "REQUESTTIMEOUT", ReconfigDisabled: "RECONFIGDISABLED",
	SessionClosedRequireSASLAuth: "SESSIONCLOSEDREQUIRESASLAUTH", QuotaExceeded: "QUOTAEXCEEDED",
	ThrottledOp: "THROTTLEDOP",
}

// String returns ZooKeeper's upper-case name (as in the fixtures), or "Code(N)".
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("Code(%d)", int32(c))
}

// ParseCode maps a code name back to its value.
func ParseCode(name string) (Code, error) {
	for c, n := range codeNames { //det:unordered-ok names are unique, at most one matches
		if n == name {
			return c, nil
		}
	}
	return 0, fmt.Errorf("datatree: unknown result code %q", name)
}

// EventType is a watch event type (Watcher.Event.EventType).
type EventType int32

// The watch event types.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

var eventNames = map[EventType]string{
	EventNone: "None", EventNodeCreated: "NodeCreated", EventNodeDeleted: "NodeDeleted",
	EventNodeDataChanged: "NodeDataChanged", EventNodeChildrenChanged: "NodeChildrenChanged",
	EventDataWatchRemoved: "DataWatchRemoved", EventChildWatchRemoved: "ChildWatchRemoved",
	EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

// String returns ZooKeeper's enum name, e.g. "NodeDataChanged".
func (e EventType) String() string {
	if s, ok := eventNames[e]; ok {
		return s
	}
	return fmt.Sprintf("EventType(%d)", int32(e))
}

// Permission bits of an ACL (ZooDefs.Perms).
const (
	PermRead   int32 = 1
	PermWrite  int32 = 2
	PermCreate int32 = 4
	PermDelete int32 = 8
	PermAdmin  int32 = 16
	PermAll    int32 = 31
)
