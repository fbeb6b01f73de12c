package clientproto

import (
	"fmt"

	"github.com/zabsim/zabsim/internal/jute"
)

// The codec writes and reads the jute bytes ZooKeeper puts on a client connection
// (without the 4-byte frame length). The simulator passes the Go structs themselves over
// its connections; the bytes give each message its true size (SizeBytes) and let tests
// compare against real ZooKeeper.

// EncodeConnectRequest returns the jute bytes of c.
func EncodeConnectRequest(c *ConnectRequest) []byte {
	e := &jute.Encoder{}
	e.Int(c.ProtocolVersion)
	e.Long(c.LastZxidSeen)
	e.Int(c.TimeoutMs)
	e.Long(c.SessionID)
	e.Buffer(c.Passwd)
	e.Bool(c.ReadOnly)
	return e.Bytes()
}

// DecodeConnectRequest parses a ConnectRequest. The trailing readOnly flag is optional,
// as for old clients.
func DecodeConnectRequest(b []byte) (*ConnectRequest, error) {
	d := jute.NewDecoder(b, 0)
	c := &ConnectRequest{
		ProtocolVersion: d.Int("protocolVersion"),
		LastZxidSeen:    d.Long("lastZxidSeen"),
		TimeoutMs:       d.Int("timeOut"),
		SessionID:       d.Long("sessionId"),
		Passwd:          d.Buffer("passwd"),
	}
	if d.Err() == nil && d.Remaining() > 0 {
		c.ReadOnly = d.Bool("readOnly")
	}
	return c, finish(d, "connect request")
}

// EncodeConnectResponse returns the jute bytes of c.
func EncodeConnectResponse(c *ConnectResponse) []byte {
	e := &jute.Encoder{}
	e.Int(c.ProtocolVersion)
	e.Int(c.TimeoutMs)
	e.Long(c.SessionID)
	e.Buffer(c.Passwd)
	e.Bool(c.ReadOnly)
	return e.Bytes()
}

// DecodeConnectResponse parses a ConnectResponse (readOnly optional).
func DecodeConnectResponse(b []byte) (*ConnectResponse, error) {
	d := jute.NewDecoder(b, 0)
	c := &ConnectResponse{
		ProtocolVersion: d.Int("protocolVersion"),
		TimeoutMs:       d.Int("timeOut"),
		SessionID:       d.Long("sessionId"),
		Passwd:          d.Buffer("passwd"),
	}
	if d.Err() == nil && d.Remaining() > 0 {
		c.ReadOnly = d.Bool("readOnly")
	}
	return c, finish(d, "connect response")
}

// finish turns a decoder's state into the codec's error: the first decoding error, or
// trailing bytes that no record claimed.
func finish(d *jute.Decoder, what string) error {
	if err := d.Err(); err != nil {
		return fmt.Errorf("clientproto: %s: %w", what, err)
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("clientproto: %s: %d trailing bytes at offset %d", what, d.Remaining(), d.Offset())
	}
	return nil
}

// EncodeRequest returns the jute bytes of r: RequestHeader then the body. It returns an
// error if the body does not fit the op code.
func EncodeRequest(r *Request) ([]byte, error) {
	e := &jute.Encoder{}
	e.Int(r.Xid)
	e.Int(int32(r.Op))
	if err := encodeRequestBody(e, r.Op, r.Body); err != nil {
		return nil, fmt.Errorf("clientproto: request xid %d: %w", r.Xid, err)
	}
	return e.Bytes(), nil
}

func encodeRequestBody(e *jute.Encoder, op OpCode, body RequestBody) error {
	switch op {
	case OpPing, OpCloseSession:
		if body != nil {
			return fmt.Errorf("%v takes no body, got %T", op, body)
		}
		return nil
	}
	switch b := body.(type) {
	case *CreateRequest:
		if op != OpCreate && op != OpCreate2 && op != OpCreateContainer {
			break
		}
		e.String(b.Path)
		e.Buffer(b.Data)
		encodeACLs(e, b.ACL)
		e.Int(b.Flags)
		return nil
	case *DeleteRequest:
		if op != OpDelete {
			break
		}
		e.String(b.Path)
		e.Int(b.Version)
		return nil
	case *SetDataRequest:
		if op != OpSetData {
			break
		}
		e.String(b.Path)
		e.Buffer(b.Data)
		e.Int(b.Version)
		return nil
	case *PathWatchRequest:
		if op != OpGetData && op != OpExists && op != OpGetChildren && op != OpGetChildren2 {
			break
		}
		e.String(b.Path)
		e.Bool(b.Watch)
		return nil
	case *CheckVersionRequest:
		if op != OpCheck {
			break
		}
		e.String(b.Path)
		e.Int(b.Version)
		return nil
	case *SyncRequest:
		if op != OpSync {
			break
		}
		e.String(b.Path)
		return nil
	case *MultiRequest:
		if op != OpMulti {
			break
		}
		return encodeMultiRequest(e, b)
	case *SetWatchesRequest:
		if op != OpSetWatches {
			break
		}
		e.Long(b.RelativeZxid)
		encodeStrings(e, b.DataWatches)
		encodeStrings(e, b.ExistWatches)
		encodeStrings(e, b.ChildWatches)
		return nil
	}
	return fmt.Errorf("body %T does not fit op %v", body, op)
}

func encodeACLs(e *jute.Encoder, acls []ACL) {
	e.Int(int32(len(acls)))
	for _, a := range acls {
		e.Int(a.Perms)
		e.String(a.Scheme)
		e.String(a.ID)
	}
}

func encodeStrings(e *jute.Encoder, ss []string) {
	e.Int(int32(len(ss)))
	for _, s := range ss {
		e.String(s)
	}
}

// multiHeader writes a MultiHeader (type, done, err); the list ends with (-1, true, -1).
func multiHeader(e *jute.Encoder, op OpCode, done bool, err int32) {
	e.Int(int32(op))
	e.Bool(done)
	e.Int(err)
}

func encodeMultiRequest(e *jute.Encoder, m *MultiRequest) error {
	for i, op := range m.Ops {
		switch op.Op {
		case OpCreate, OpCreate2, OpDelete, OpSetData, OpCheck:
		default:
			return fmt.Errorf("multi op %d: %v is not allowed in a multi", i, op.Op)
		}
		multiHeader(e, op.Op, false, -1)
		if err := encodeRequestBody(e, op.Op, op.Body); err != nil {
			return fmt.Errorf("multi op %d: %w", i, err)
		}
	}
	multiHeader(e, -1, true, -1)
	return nil
}

// DecodeRequest parses a client request.
func DecodeRequest(b []byte) (*Request, error) {
	d := jute.NewDecoder(b, 0)
	r := &Request{Xid: d.Int("xid"), Op: OpCode(d.Int("type"))}
	if d.Err() == nil {
		r.Body = decodeRequestBody(d, r.Op, 0)
	}
	return r, finish(d, "request")
}

// maxMultiOps bounds a multi so a corrupt stream cannot loop for long.
const maxMultiOps = 1 << 16

func decodeRequestBody(d *jute.Decoder, op OpCode, depth int) RequestBody {
	switch op {
	case OpPing, OpCloseSession:
		return nil
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{Path: d.String("path"), Data: d.Buffer("data"), ACL: decodeACLs(d), Flags: d.Int("flags")}
	case OpDelete:
		return &DeleteRequest{Path: d.String("path"), Version: d.Int("version")}
	case OpSetData:
		return &SetDataRequest{Path: d.String("path"), Data: d.Buffer("data"), Version: d.Int("version")}
	case OpGetData, OpExists, OpGetChildren, OpGetChildren2:
		return &PathWatchRequest{Path: d.String("path"), Watch: d.Bool("watch")}
	case OpCheck:
		return &CheckVersionRequest{Path: d.String("path"), Version: d.Int("version")}
	case OpSync:
		return &SyncRequest{Path: d.String("path")}
	case OpMulti:
		if depth > 0 {
			d.Fail("multi nested in a multi")
			return nil
		}
		return decodeMultiRequest(d)
	case OpSetWatches:
		return &SetWatchesRequest{RelativeZxid: d.Long("relativeZxid"), DataWatches: decodeStrings(d, "dataWatches"),
			ExistWatches: decodeStrings(d, "existWatches"), ChildWatches: decodeStrings(d, "childWatches")}
	}
	d.Fail("unknown request op code %d", int32(op))
	return nil
}

func decodeACLs(d *jute.Decoder) []ACL {
	n := d.VectorLen("acl", 12)
	acls := make([]ACL, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		acls = append(acls, ACL{Perms: d.Int("acl perms"), Scheme: d.String("acl scheme"), ID: d.String("acl id")})
	}
	return acls
}

func decodeStrings(d *jute.Decoder, what string) []string {
	n := d.VectorLen(what, 4)
	ss := make([]string, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		ss = append(ss, d.String(what))
	}
	return ss
}

func decodeMultiRequest(d *jute.Decoder) *MultiRequest {
	m := &MultiRequest{}
	for d.Err() == nil {
		op := OpCode(d.Int("multi header type"))
		done := d.Bool("multi header done")
		d.Int("multi header err")
		if done || d.Err() != nil {
			return m
		}
		if len(m.Ops) >= maxMultiOps {
			d.Fail("multi has more than %d ops", maxMultiOps)
			return m
		}
		switch op {
		case OpCreate, OpCreate2, OpDelete, OpSetData, OpCheck:
		default:
			d.Fail("op %v is not allowed in a multi", op)
			return m
		}
		m.Ops = append(m.Ops, MultiOp{Op: op, Body: decodeRequestBody(d, op, 1)})
	}
	return m
}

// EncodeReply returns the jute bytes of r: ReplyHeader then the body. op is the type of
// the request r answers (ignored for watcher events), which decides the body's layout.
func EncodeReply(r *Reply, op OpCode) ([]byte, error) {
	e := &jute.Encoder{}
	e.Int(r.Xid)
	e.Long(r.Zxid)
	e.Int(int32(r.Err))
	if r.Body == nil {
		return e.Bytes(), nil
	}
	if err := encodeReplyBody(e, op, r.Body); err != nil {
		return nil, fmt.Errorf("clientproto: reply xid %d: %w", r.Xid, err)
	}
	return e.Bytes(), nil
}

func encodeReplyBody(e *jute.Encoder, op OpCode, body ReplyBody) error {
	switch b := body.(type) {
	case *WatcherEvent:
		e.Int(int32(b.Type))
		e.Int(int32(b.State))
		e.String(b.Path)
	case *PathResponse:
		e.String(b.Path)
	case *PathStatResponse:
		e.String(b.Path)
		encodeStat(e, &b.Stat)
	case *StatResponse:
		encodeStat(e, &b.Stat)
	case *DataResponse:
		e.Buffer(b.Data)
		encodeStat(e, &b.Stat)
	case *ChildrenResponse:
		encodeStrings(e, b.Children)
		if op == OpGetChildren2 {
			encodeStat(e, &b.Stat)
		}
	case *MultiResponse:
		for _, res := range b.Results {
			encodeMultiResult(e, res)
		}
		multiHeader(e, -1, true, -1)
	default:
		return fmt.Errorf("unknown reply body %T", body)
	}
	return nil
}

func encodeMultiResult(e *jute.Encoder, res MultiResult) {
	if res.Op == OpError {
		multiHeader(e, OpError, false, int32(res.Err))
		e.Int(int32(res.Err)) // ErrorResponse
		return
	}
	multiHeader(e, res.Op, false, 0)
	switch res.Op {
	case OpCreate:
		e.String(res.Path)
	case OpCreate2:
		e.String(res.Path)
		encodeStat(e, &res.Stat)
	case OpSetData:
		encodeStat(e, &res.Stat)
	}
}

func encodeStat(e *jute.Encoder, s *Stat) {
	e.Long(s.Czxid)
	e.Long(s.Mzxid)
	e.Long(s.Ctime)
	e.Long(s.Mtime)
	e.Int(s.Version)
	e.Int(s.Cversion)
	e.Int(s.Aversion)
	e.Long(s.EphemeralOwner)
	e.Int(s.DataLength)
	e.Int(s.NumChildren)
	e.Long(s.Pzxid)
}

func decodeStat(d *jute.Decoder) Stat {
	return Stat{Czxid: d.Long("czxid"), Mzxid: d.Long("mzxid"), Ctime: d.Long("ctime"), Mtime: d.Long("mtime"),
		Version: d.Int("version"), Cversion: d.Int("cversion"), Aversion: d.Int("aversion"),
		EphemeralOwner: d.Long("ephemeralOwner"), DataLength: d.Int("dataLength"),
		NumChildren: d.Int("numChildren"), Pzxid: d.Long("pzxid")}
}

// DecodeReply parses a server reply. op is the type of the request with the reply's xid
// (the client keeps it); a watcher event (xid -1) or a ping reply needs none.
func DecodeReply(b []byte, op OpCode) (*Reply, error) {
	d := jute.NewDecoder(b, 0)
	r := &Reply{Xid: d.Int("xid"), Zxid: d.Long("zxid"), Err: ErrCode(d.Int("err"))}
	if d.Err() != nil {
		return r, finish(d, "reply")
	}
	switch {
	case r.Xid == XidNotification:
		r.Body = &WatcherEvent{Type: EventType(d.Int("event type")), State: KeeperState(d.Int("event state")), Path: d.String("event path")}
	case r.Err != ErrOK && op != OpMulti:
	default:
		r.Body = decodeReplyBody(d, op)
	}
	return r, finish(d, "reply")
}

func decodeReplyBody(d *jute.Decoder, op OpCode) ReplyBody {
	switch op {
	case OpPing, OpCloseSession, OpDelete, OpCheck, OpSetWatches:
		return nil
	case OpCreate, OpCreateContainer, OpSync:
		return &PathResponse{Path: d.String("path")}
	case OpCreate2:
		return &PathStatResponse{Path: d.String("path"), Stat: decodeStat(d)}
	case OpSetData, OpExists:
		return &StatResponse{Stat: decodeStat(d)}
	case OpGetData:
		return &DataResponse{Data: d.Buffer("data"), Stat: decodeStat(d)}
	case OpGetChildren:
		return &ChildrenResponse{Children: decodeStrings(d, "children")}
	case OpGetChildren2:
		return &ChildrenResponse{Children: decodeStrings(d, "children"), Stat: decodeStat(d)}
	case OpMulti:
		return decodeMultiResponse(d)
	}
	d.Fail("no reply layout for op code %d", int32(op))
	return nil
}

func decodeMultiResponse(d *jute.Decoder) *MultiResponse {
	m := &MultiResponse{}
	for d.Err() == nil {
		op := OpCode(d.Int("multi header type"))
		done := d.Bool("multi header done")
		errCode := ErrCode(d.Int("multi header err"))
		if done || d.Err() != nil {
			return m
		}
		if len(m.Results) >= maxMultiOps {
			d.Fail("multi has more than %d results", maxMultiOps)
			return m
		}
		res := MultiResult{Op: op, Err: errCode}
		switch op {
		case OpError:
			res.Err = ErrCode(d.Int("multi error"))
		case OpCreate:
			res.Path = d.String("path")
		case OpCreate2:
			res.Path, res.Stat = d.String("path"), decodeStat(d)
		case OpSetData:
			res.Stat = decodeStat(d)
		case OpDelete, OpCheck:
		default:
			d.Fail("op %v is not allowed in a multi result", op)
			return m
		}
		if op != OpError {
			res.Err = ErrOK
		}
		m.Results = append(m.Results, res)
	}
	return m
}

// SizeBytes is the size of a message on the wire, frame length included, for the
// simulated network's bandwidth and latency model. It accepts *ConnectRequest,
// *ConnectResponse, *Request and *Reply (a reply is sized as if it answered op).
func SizeBytes(msg any, op OpCode) int {
	const frame = 4
	switch m := msg.(type) {
	case *ConnectRequest:
		return frame + len(EncodeConnectRequest(m))
	case *ConnectResponse:
		return frame + len(EncodeConnectResponse(m))
	case *Request:
		b, err := EncodeRequest(m)
		if err != nil {
			return frame + 8
		}
		return frame + len(b)
	case *Reply:
		b, err := EncodeReply(m, op)
		if err != nil {
			return frame + 16
		}
		return frame + len(b)
	}
	return frame
}
