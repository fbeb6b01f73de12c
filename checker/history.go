package checker

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// Kind is what a recorded client call did.
type Kind uint8

// The kinds of recorded calls. Writes are the ones ZooKeeper turns into txns.
const (
	KindCreate         Kind = iota + 1 // create / create2 / createContainer; Flags say which
	KindDelete                         // delete with Version (-1 = any)
	KindSetData                        // setData with Data and Version (-1 = any)
	KindCheck                          // check Version (only inside multi on the wire; allowed alone)
	KindMulti                          // multi of SubOps, all-or-nothing
	KindGetData                        // getData: Result.Data and Result.Stat
	KindExists                         // exists: Result.Stat, or ErrNoNode
	KindGetChildren                    // getChildren / getChildren2: Result.Children
	KindSync                           // sync(Path)
	KindCloseSession                   // the client closed its session
	KindSessionExpired                 // marker: the client learned its session expired
)

var kindNames = [...]string{"?", "create", "delete", "setData", "check", "multi", "getData",
	"exists", "getChildren", "sync", "closeSession", "sessionExpired"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// IsWrite reports whether a call of this kind is a txn on the leader.
func (k Kind) IsWrite() bool {
	switch k {
	case KindCreate, KindDelete, KindSetData, KindCheck, KindMulti, KindCloseSession:
		return true
	}
	return false
}

// IsRead reports whether a call of this kind is served from the local replica.
func (k Kind) IsRead() bool {
	return k == KindGetData || k == KindExists || k == KindGetChildren
}

// Outcome is how a call ended as far as the client can know.
type Outcome uint8

// Outcomes. Unknown is never guessed into OK or Error.
const (
	OutcomeOK      Outcome = iota + 1 // the server answered with rc 0
	OutcomeError                      // the server answered with a non-zero rc (Op.Err)
	OutcomeUnknown                    // the client cannot know (see UnknownReason)
)

func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeError:
		return "error"
	case OutcomeUnknown:
		return "unknown"
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// UnknownReason says why an outcome is unknown. It matters only to liveness: an op still
// pending when the run ended after faults healed is a liveness failure.
type UnknownReason uint8

// Reasons for an unknown outcome.
const (
	UnknownConnectionLoss UnknownReason = iota + 1 // the connection broke with the call in flight
	UnknownTimeout                                 // the client gave up waiting
	UnknownClientCrash                             // the client process died
	UnknownSessionExpired                          // the session expired with the call in flight
	UnknownPending                                 // still in flight when the history ended
)

// NoZxid marks a ReplyZxid the server did not supply (client-side errors, unknown outcomes).
const NoZxid int64 = -1

// Forever is the Return time of an op whose outcome is unknown: it may take effect at any
// time after its Call, or never.
const Forever int64 = math.MaxInt64

// Stat is the client-visible Stat of a znode (ZooKeeper's Stat record).
type Stat struct {
	Czxid, Mzxid, Pzxid     int64
	Ctime, Mtime            int64 // milliseconds, leader's clock; never compared
	Version, Cversion       int32
	Aversion                int32
	EphemeralOwner          int64
	DataLength, NumChildren int32
}

// SubOp is one operation inside a multi. Kind is KindCreate, KindDelete, KindSetData or
// KindCheck.
type SubOp struct {
	Kind    Kind
	Path    string
	Data    []byte
	Version int32
	Flags   int32
}

// SubResult is the server's answer for one SubOp of a multi. For a failed multi the
// failing op carries its code, the ones before it ErrOK and the ones after it
// ErrRuntimeInconsistency, as ZooKeeper answers.
type SubResult struct {
	Err         clientproto.ErrCode
	CreatedPath string // create: the created name (with the sequential suffix)
	Stat        *Stat  // setData (and create2): the new Stat, if the client kept it
}

// Result is what a successful call returned. Only the fields of its Kind are set.
type Result struct {
	CreatedPath string      // create: the actual name (sequential suffix included)
	Data        []byte      // getData
	Stat        *Stat       // getData, exists, setData, create2 (nil if not returned)
	Children    []string    // getChildren: child names (not paths), any order
	Multi       []SubResult // multi: one per SubOp (also on a failed multi, if known)
}

// Op is one client call, recorded at the client library in virtual time (nanoseconds).
type Op struct {
	// Session is the ZooKeeper session id (stable across reconnects of that session).
	Session int64
	// Proc is the Jepsen-style process id: a client that saw an unknown outcome continues
	// as a new proc, so no proc has two calls open at once. Used as Porcupine's ClientId.
	Proc int
	// Server is the server the client was connected to when it sent the call (-1 unknown).
	Server int
	// Xid is the request's xid (the txn header's cxid), 0 if not recorded. With it and a
	// Replicas that saw the committed txns, an unknown write is resolved exactly: it
	// committed at the zxid whose txn header carries (Session, Xid), or never.
	Xid int32

	Kind    Kind
	Path    string
	Data    []byte // create, setData
	Version int32  // delete, setData, check: expected version, -1 = any
	Flags   int32  // create: clientproto.Flag* (ephemeral, sequential, container)
	SubOps  []SubOp

	Call   int64 // when the call was invoked
	Return int64 // when the answer arrived; ignored (treated as Forever) if Outcome is Unknown

	Outcome       Outcome
	Err           clientproto.ErrCode // OutcomeError: the server's rc
	UnknownReason UnknownReason       // OutcomeUnknown: why
	Result        Result              // OutcomeOK (and Result.Multi of a failed multi)
	// ReplyZxid is ReplyHeader.zxid of the answer: the txn's zxid for a write, the
	// server's last processed zxid for a read or sync. NoZxid when no server answered.
	ReplyZxid int64
}

// History is everything the client libraries recorded in one run.
type History struct {
	Ops []Op
	// InitialPaths are the persistent znodes that existed (empty data, version 0) before
	// the first op; ZooKeeper's own nodes (ReservedPaths) are always assumed. A setup
	// phase recorded as ops
	// needs nothing here.
	InitialPaths []string
}

// ReservedPaths are the nodes every ZooKeeper tree has: the root, /zookeeper and its
// quota and config children. They exist before any op, and their child lists are not
// partition-local (the checker never compares their numChildren).
var ReservedPaths = []string{"/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"}

// initialPaths are the reserved paths and the history's own initial paths.
func (h *History) initialPaths() []string {
	return append(slices.Clone(ReservedPaths), h.InitialPaths...)
}

// returnTime is Return for a known outcome and Forever for an unknown one.
func (o *Op) returnTime() int64 {
	if o.Outcome == OutcomeUnknown {
		return Forever
	}
	return o.Return
}

// isEphemeral reports whether create flags ask for an ephemeral node.
func isEphemeral(flags int32) bool {
	return flags == clientproto.FlagEphemeral || flags == clientproto.FlagEphemeralSequential
}

// unmodelled reports whether create flags make a node the leader may delete on its own:
// a container (once empty) or a TTL node (ZooKeeper's flags 5 and 6, once expired).
func unmodelled(flags int32) bool {
	return flags == clientproto.FlagContainer || flags == 5 || flags == 6
}

// isSequential reports whether create flags ask for a sequential suffix.
func isSequential(flags int32) bool {
	return flags == clientproto.FlagPersistentSequential || flags == clientproto.FlagEphemeralSequential || flags == 6
}

// subOps returns the writes a call performs as a list: a multi's SubOps, or the call
// itself as a one-element list for a single write.
func (o *Op) subOps() []SubOp {
	if o.Kind == KindMulti {
		return o.SubOps
	}
	return []SubOp{{Kind: o.Kind, Path: o.Path, Data: o.Data, Version: o.Version, Flags: o.Flags}}
}

// createdPath is the name a successful create (or the i-th SubOp of a successful multi)
// produced: the returned name, or the requested path for a non-sequential create whose
// client did not keep the name.
func (o *Op) createdPath(i int) string {
	if o.Kind == KindMulti {
		if i < len(o.Result.Multi) && o.Result.Multi[i].CreatedPath != "" {
			return o.Result.Multi[i].CreatedPath
		}
		if isSequential(o.SubOps[i].Flags) {
			return ""
		}
		return o.SubOps[i].Path
	}
	if o.Result.CreatedPath != "" {
		return o.Result.CreatedPath
	}
	if isSequential(o.Flags) {
		return ""
	}
	return o.Path
}

// parentOf returns the parent path ("/" for a top-level node, "" for "/").
func parentOf(path string) string {
	if path == "/" || path == "" {
		return ""
	}
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// parentOfSub is the node a write's parent is: for a sequential create, the parent of the
// name with its suffix (ZooKeeper appends the digits to the requested path, so a
// sequential create of "/" or "/a/" makes a child of "/" or "/a"); the root's is itself.
func parentOfSub(sub SubOp) string {
	switch {
	case sub.Kind == KindCreate && isSequential(sub.Flags):
		return parentOf(sub.Path + "0")
	case sub.Path == "/":
		return "/" // ZooKeeper looks "/" up under its parent "", which is the root itself
	}
	return parentOf(sub.Path)
}

// baseName returns the last component of a path.
func baseName(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// joinPath joins a parent path and a child name.
func joinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// Describe renders an op in one line for failure explanations.
func (o *Op) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", o.Kind)
	if o.Kind == KindMulti {
		b.WriteString("[")
		for i, s := range o.SubOps {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s %s", s.Kind, s.Path)
			describeArgs(&b, s.Kind, s.Data, s.Version, s.Flags)
		}
		b.WriteString("]")
	} else if o.Path != "" {
		fmt.Fprintf(&b, " %s", o.Path)
		describeArgs(&b, o.Kind, o.Data, o.Version, o.Flags)
	}
	fmt.Fprintf(&b, " session=0x%x proc=%d server=%d [%d,", o.Session, o.Proc, o.Server, o.Call)
	if o.Outcome == OutcomeUnknown {
		b.WriteString("∞] -> unknown")
		return b.String()
	}
	fmt.Fprintf(&b, "%d] -> ", o.Return)
	if o.Outcome == OutcomeError {
		b.WriteString(o.Err.String())
	} else {
		b.WriteString("ok")
		describeResult(&b, o)
	}
	if o.ReplyZxid != NoZxid {
		fmt.Fprintf(&b, " zxid=0x%x", o.ReplyZxid)
	}
	return b.String()
}

func describeArgs(b *strings.Builder, k Kind, data []byte, version, flags int32) {
	switch k {
	case KindCreate:
		fmt.Fprintf(b, " data=%q flags=%d", data, flags)
	case KindSetData:
		fmt.Fprintf(b, " data=%q v=%d", data, version)
	case KindDelete, KindCheck:
		fmt.Fprintf(b, " v=%d", version)
	}
}

func describeResult(b *strings.Builder, o *Op) {
	r := &o.Result
	if r.CreatedPath != "" {
		fmt.Fprintf(b, " %s", r.CreatedPath)
	}
	if o.Kind == KindGetData {
		fmt.Fprintf(b, " data=%q", r.Data)
	}
	if o.Kind == KindGetChildren {
		fmt.Fprintf(b, " children=%v", r.Children)
	}
	if r.Stat != nil {
		fmt.Fprintf(b, " stat{v=%d mzxid=0x%x czxid=0x%x len=%d kids=%d}", r.Stat.Version,
			r.Stat.Mzxid, r.Stat.Czxid, r.Stat.DataLength, r.Stat.NumChildren)
	}
	for _, s := range r.Multi {
		fmt.Fprintf(b, " {%s %s}", s.Err, s.CreatedPath)
	}
}
