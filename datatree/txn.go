package datatree

import (
	"fmt"

	"github.com/zabsim/zabsim/internal/jute"
)

// TxnHeader starts every txn-log entry and every PROPOSAL payload (32 bytes).
type TxnHeader struct {
	ClientID int64 // session id
	Cxid     int32
	Zxid     int64
	Time     int64 // ms on the leader's clock when it prepped the request
	Type     OpCode
}

// TxnHeaderSize is the encoded size of a TxnHeader.
const TxnHeaderSize = 32

// Encode writes the header.
func (h *TxnHeader) Encode(e *jute.Encoder) {
	e.Long(h.ClientID)
	e.Int(h.Cxid)
	e.Long(h.Zxid)
	e.Long(h.Time)
	e.Int(h.Type)
}

// Decode reads the header.
func (h *TxnHeader) Decode(d *jute.Decoder) {
	h.ClientID = d.Long("txn header clientId")
	h.Cxid = d.Int("txn header cxid")
	h.Zxid = d.Long("txn header zxid")
	h.Time = d.Long("txn header time")
	h.Type = d.Int("txn header type")
}

// DigestVersion is the digest algorithm version ZooKeeper 3.8 writes (DigestCalculator).
const DigestVersion int32 = 2

// TxnDigest is the tree digest after a txn, appended to the entry by the leader.
type TxnDigest struct {
	Version    int32
	TreeDigest int64
}

// Txn is a decoded txn record. The concrete types are the pointer types below.
type Txn interface {
	// Encode writes the jute record (without header).
	Encode(e *jute.Encoder)
	// Decode reads the jute record; errors are left in d.
	Decode(d *jute.Decoder)
}

// CreateTxn creates a persistent, ephemeral or sequential node (create, create2).
type CreateTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	Ephemeral      bool
	ParentCVersion int32
}

// CreateContainerTxn creates a container node.
type CreateContainerTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
}

// CreateTTLTxn creates a TTL node.
type CreateTTLTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
	TTL            int64 // ms
}

// DeleteTxn deletes a node (delete, deleteContainer).
type DeleteTxn struct{ Path string }

// SetDataTxn replaces a node's data; Version is the new (absolute) version.
type SetDataTxn struct {
	Path    string
	Data    []byte
	Version int32
}

// SetACLTxn replaces a node's ACL; Version is the new aversion.
type SetACLTxn struct {
	Path    string
	ACL     []ACL
	Version int32
}

// CheckVersionTxn is a multi's version check; Version is the checked version + 1.
type CheckVersionTxn struct {
	Path    string
	Version int32
}

// CreateSessionTxn opens a global session.
type CreateSessionTxn struct{ TimeoutMs int32 }

// CloseSessionTxn closes a session; Paths are its ephemerals as known at prep.
type CloseSessionTxn struct{ Paths []string }

// ErrorTxn is a failed write: it consumes a zxid and changes nothing.
type ErrorTxn struct{ Err Code }

// MultiTxn is a multi-op: one zxid, applied all or nothing.
type MultiTxn struct{ Ops []MultiOp }

// MultiOp is one sub-txn of a multi. On the wire it is {int type, buffer data}.
type MultiOp struct {
	Type OpCode
	Txn  Txn
}

// encodeNodeFields writes the path, data and ACL every create record starts with.
func encodeNodeFields(e *jute.Encoder, path string, data []byte, acl []ACL) {
	e.String(path)
	e.Buffer(data)
	encodeACLs(e, acl)
}

// decodeNodeFields reads them; rec names the record in error messages.
func decodeNodeFields(d *jute.Decoder, rec string) (string, []byte, []ACL) {
	path := d.String(rec + " path")
	data := d.Buffer(rec + " data")
	return path, data, decodeACLs(d)
}

func (t *CreateTxn) Encode(e *jute.Encoder) {
	encodeNodeFields(e, t.Path, t.Data, t.ACL)
	e.Bool(t.Ephemeral)
	e.Int(t.ParentCVersion)
}

func (t *CreateTxn) Decode(d *jute.Decoder) {
	t.Path, t.Data, t.ACL = decodeNodeFields(d, "create")
	t.Ephemeral = d.Bool("create ephemeral")
	t.ParentCVersion = d.Int("create parentCVersion")
}

func (t *CreateContainerTxn) Encode(e *jute.Encoder) {
	encodeNodeFields(e, t.Path, t.Data, t.ACL)
	e.Int(t.ParentCVersion)
}

func (t *CreateContainerTxn) Decode(d *jute.Decoder) {
	t.Path, t.Data, t.ACL = decodeNodeFields(d, "createContainer")
	t.ParentCVersion = d.Int("createContainer parentCVersion")
}

func (t *CreateTTLTxn) Encode(e *jute.Encoder) {
	encodeNodeFields(e, t.Path, t.Data, t.ACL)
	e.Int(t.ParentCVersion)
	e.Long(t.TTL)
}

func (t *CreateTTLTxn) Decode(d *jute.Decoder) {
	t.Path, t.Data, t.ACL = decodeNodeFields(d, "createTTL")
	t.ParentCVersion = d.Int("createTTL parentCVersion")
	t.TTL = d.Long("createTTL ttl")
}

func (t *DeleteTxn) Encode(e *jute.Encoder) { e.String(t.Path) }
func (t *DeleteTxn) Decode(d *jute.Decoder) { t.Path = d.String("delete path") }

func (t *SetDataTxn) Encode(e *jute.Encoder) {
	e.String(t.Path)
	e.Buffer(t.Data)
	e.Int(t.Version)
}

func (t *SetDataTxn) Decode(d *jute.Decoder) {
	t.Path = d.String("setData path")
	t.Data = d.Buffer("setData data")
	t.Version = d.Int("setData version")
}

func (t *SetACLTxn) Encode(e *jute.Encoder) {
	e.String(t.Path)
	encodeACLs(e, t.ACL)
	e.Int(t.Version)
}

func (t *SetACLTxn) Decode(d *jute.Decoder) {
	t.Path = d.String("setACL path")
	t.ACL = decodeACLs(d)
	t.Version = d.Int("setACL version")
}

func (t *CheckVersionTxn) Encode(e *jute.Encoder) {
	e.String(t.Path)
	e.Int(t.Version)
}

func (t *CheckVersionTxn) Decode(d *jute.Decoder) {
	t.Path = d.String("check path")
	t.Version = d.Int("check version")
}

func (t *CreateSessionTxn) Encode(e *jute.Encoder) { e.Int(t.TimeoutMs) }
func (t *CreateSessionTxn) Decode(d *jute.Decoder) { t.TimeoutMs = d.Int("createSession timeOut") }

func (t *CloseSessionTxn) Encode(e *jute.Encoder) {
	if t.Paths == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(t.Paths)))
	for _, p := range t.Paths {
		e.String(p)
	}
}

func (t *CloseSessionTxn) Decode(d *jute.Decoder) {
	if skipNullVector(d) {
		t.Paths = nil
		return
	}
	n := d.VectorLen("closeSession paths", 4)
	t.Paths = make([]string, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		t.Paths = append(t.Paths, d.String("closeSession path"))
	}
}

func (t *ErrorTxn) Encode(e *jute.Encoder) { e.Int(int32(t.Err)) }
func (t *ErrorTxn) Decode(d *jute.Decoder) { t.Err = Code(d.Int("error err")) }

func (t *MultiTxn) Encode(e *jute.Encoder) {
	e.Int(int32(len(t.Ops)))
	for _, op := range t.Ops {
		e.Int(op.Type)
		var sub jute.Encoder
		op.Txn.Encode(&sub)
		if sub.Buf == nil {
			sub.Buf = []byte{}
		}
		e.Buffer(sub.Buf)
	}
}

func (t *MultiTxn) Decode(d *jute.Decoder) {
	n := d.VectorLen("multi txns", 8)
	t.Ops = make([]MultiOp, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		at := d.Offset()
		typ := d.Int("multi txn type")
		data := d.Buffer("multi txn data")
		if d.Err() != nil {
			return
		}
		sub := newMultiSubTxn(typ)
		if sub == nil {
			d.Fail("multi sub-txn %d (at offset %d): invalid type of op %d", i, at, typ)
			return
		}
		if err := decodeWhole(sub, data, at+8); err != nil {
			d.Fail("multi sub-txn %d of type %s: %v", i, OpName(typ), err)
			return
		}
		t.Ops = append(t.Ops, MultiOp{Type: typ, Txn: sub})
	}
}

// newChangeTxn returns an empty record for the types valid both at top level and
// inside a multi; nil for any other type.
func newChangeTxn(typ OpCode) Txn {
	switch typ {
	case OpCreate, OpCreate2:
		return &CreateTxn{}
	case OpCreateTTL:
		return &CreateTTLTxn{}
	case OpCreateContainer:
		return &CreateContainerTxn{}
	case OpDelete, OpDeleteContainer:
		return &DeleteTxn{}
	case OpSetData:
		return &SetDataTxn{}
	case OpError:
		return &ErrorTxn{}
	}
	return nil
}

// newMultiSubTxn returns an empty record for a sub-txn type, as DataTree.processTxn
// accepts them inside a multi; nil for any other type.
func newMultiSubTxn(typ OpCode) Txn {
	if typ == OpCheck {
		return &CheckVersionTxn{}
	}
	return newChangeTxn(typ)
}

// newTopTxn returns an empty record for a top-level txn type, as
// SerializeUtils.deserializeTxn does; nil for an unsupported type.
func newTopTxn(typ OpCode) Txn {
	switch typ {
	case OpCheck:
		// Not in SerializeUtils.deserializeTxn (3.8 clients cannot send a lone check),
		// but Prep makes one for a top-level check request, so its entry must decode.
		return &CheckVersionTxn{}
	case OpCreateSession:
		return &CreateSessionTxn{}
	case OpCloseSession:
		return &CloseSessionTxn{}
	case OpReconfig:
		return &SetDataTxn{}
	case OpSetACL:
		return &SetACLTxn{}
	case OpMulti:
		return &MultiTxn{}
	}
	return newChangeTxn(typ)
}

// decodeWhole decodes b as exactly one record; trailing bytes are an error.
func decodeWhole(t Txn, b []byte, base int64) error {
	d := jute.NewDecoder(b, base)
	t.Decode(d)
	if d.Err() != nil {
		return d.Err()
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("datatree: at offset %d: %d trailing bytes after the record", d.Offset(), d.Remaining())
	}
	return nil
}

// TxnEntry is one whole txn-log entry body: exactly the bytes inside a log record and
// inside a PROPOSAL. Txn is nil only for a legacy closeSession without paths. Digest is
// nil when the entry carries none: ZooKeeper writes no digest for error txns made by a
// failed validation.
type TxnEntry struct {
	Header TxnHeader
	Txn    Txn
	Digest *TxnDigest
}

// EncodeEntry appends the entry body (TxnHeader + txn record + optional TxnDigest) to e.
func EncodeEntry(e *jute.Encoder, entry *TxnEntry) {
	entry.Header.Encode(e)
	if entry.Txn != nil {
		entry.Txn.Encode(e)
	}
	if entry.Digest != nil {
		e.Int(entry.Digest.Version)
		e.Long(entry.Digest.TreeDigest)
	}
}

// MarshalEntry returns the encoded entry body.
func MarshalEntry(entry *TxnEntry) []byte {
	var e jute.Encoder
	EncodeEntry(&e, entry)
	return e.Buf
}

// DecodeEntry decodes one entry body. base is the offset of b[0] in the enclosing file
// (for messages). After the txn record, either nothing or exactly a 12-byte TxnDigest
// may follow; anything else is an error naming the offset.
func DecodeEntry(b []byte, base int64) (TxnEntry, error) {
	var entry TxnEntry
	d := jute.NewDecoder(b, base)
	entry.Header.Decode(d)
	if d.Err() != nil {
		return entry, fmt.Errorf("datatree: decoding txn entry: %w", d.Err())
	}
	t := newTopTxn(entry.Header.Type)
	if t == nil {
		return entry, fmt.Errorf("datatree: txn entry at offset %d: unsupported txn type %d", base, entry.Header.Type)
	}
	legacyClose := entry.Header.Type == OpCloseSession && d.Remaining() == 0
	if !legacyClose {
		t.Decode(d)
		if d.Err() != nil {
			return entry, fmt.Errorf("datatree: decoding %s txn (zxid 0x%x): %w", OpName(entry.Header.Type), entry.Header.Zxid, d.Err())
		}
		entry.Txn = t
	}
	switch d.Remaining() {
	case 0:
	case 12:
		entry.Digest = &TxnDigest{Version: d.Int("digest version"), TreeDigest: d.Long("digest")}
	default:
		return entry, fmt.Errorf("datatree: txn entry (zxid 0x%x) at offset %d: %d bytes after the %s record, want 0 or a 12-byte digest",
			entry.Header.Zxid, d.Offset(), d.Remaining(), OpName(entry.Header.Type))
	}
	return entry, nil
}
