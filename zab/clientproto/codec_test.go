package clientproto

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var sampleStat = Stat{Czxid: 0x100000002, Mzxid: 0x100000005, Ctime: 1700000000000, Mtime: 1700000000500,
	Version: 3, Cversion: 1, Aversion: 0, EphemeralOwner: 0x1000056c4210000, DataLength: 5, NumChildren: 1,
	Pzxid: 0x100000004}

func sampleRequests() []*Request {
	return []*Request{
		{Xid: XidPing, Op: OpPing},
		{Xid: 7, Op: OpCloseSession},
		{Xid: 1, Op: OpCreate, Body: &CreateRequest{Path: "/app1", Data: []byte("hello"), ACL: OpenACLUnsafe, Flags: FlagEphemeralSequential}},
		{Xid: 2, Op: OpCreate2, Body: &CreateRequest{Path: "/a", Data: nil, ACL: OpenACLUnsafe}},
		{Xid: 3, Op: OpDelete, Body: &DeleteRequest{Path: "/a", Version: -1}},
		{Xid: 4, Op: OpSetData, Body: &SetDataRequest{Path: "/a", Data: []byte{0, 1}, Version: 2}},
		{Xid: 5, Op: OpGetData, Body: &PathWatchRequest{Path: "/a", Watch: true}},
		{Xid: 6, Op: OpExists, Body: &PathWatchRequest{Path: "/b"}},
		{Xid: 8, Op: OpGetChildren2, Body: &PathWatchRequest{Path: "/", Watch: true}},
		{Xid: 9, Op: OpSync, Body: &SyncRequest{Path: "/"}},
		{Xid: 10, Op: OpMulti, Body: &MultiRequest{Ops: []MultiOp{
			{Op: OpCreate, Body: &CreateRequest{Path: "/m", Data: []byte("x"), ACL: OpenACLUnsafe}},
			{Op: OpCheck, Body: &CheckVersionRequest{Path: "/m", Version: 0}},
			{Op: OpSetData, Body: &SetDataRequest{Path: "/m", Data: []byte("y"), Version: -1}},
			{Op: OpDelete, Body: &DeleteRequest{Path: "/m", Version: 1}},
		}}},
		{Xid: XidSetWatches, Op: OpSetWatches, Body: &SetWatchesRequest{RelativeZxid: 42, DataWatches: []string{"/a"},
			ExistWatches: []string{}, ChildWatches: []string{"/", "/b"}}},
	}
}

func TestRequestRoundTrip(t *testing.T) {
	for _, r := range sampleRequests() {
		b, err := EncodeRequest(r)
		if err != nil {
			t.Fatalf("encode %v: %v", r.Op, err)
		}
		got, err := DecodeRequest(b)
		if err != nil {
			t.Fatalf("decode %v: %v", r.Op, err)
		}
		if diff := cmp.Diff(r, got, cmp.Transformer("nilEmpty", normBytes)); diff != "" {
			t.Errorf("%v round trip (-want +got):\n%s", r.Op, diff)
		}
	}
}

// normBytes treats a nil and an empty byte slice alike: jute writes nil as length -1
// and the round trip of an empty buffer is an empty buffer, but the tests build both.
func normBytes(b []byte) string { return string(b) }

// TestCreateRequestBytes pins the exact bytes of a create request, laid out as
// zookeeper.jute's RequestHeader + CreateRequest.
func TestCreateRequestBytes(t *testing.T) {
	b, err := EncodeRequest(&Request{Xid: 1, Op: OpCreate, Body: &CreateRequest{Path: "/a", Data: []byte("hi"), ACL: OpenACLUnsafe, Flags: 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0, 0, 0, 1, // xid
		0, 0, 0, 1, // type create
		0, 0, 0, 2, '/', 'a', // path
		0, 0, 0, 2, 'h', 'i', // data
		0, 0, 0, 1, // acl count
		0, 0, 0, 31, 0, 0, 0, 5, 'w', 'o', 'r', 'l', 'd', 0, 0, 0, 6, 'a', 'n', 'y', 'o', 'n', 'e',
		0, 0, 0, 1, // flags
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("create bytes\n got %v\nwant %v", b, want)
	}
	if got := SizeBytes(&Request{Xid: 1, Op: OpCreate, Body: &CreateRequest{Path: "/a", Data: []byte("hi"), ACL: OpenACLUnsafe, Flags: 1}}, 0); got != len(want)+4 {
		t.Fatalf("SizeBytes = %d, want %d", got, len(want)+4)
	}
}

func TestReplyRoundTrip(t *testing.T) {
	cases := []struct {
		op OpCode
		r  *Reply
	}{
		{OpPing, &Reply{Xid: XidPing, Zxid: 9}},
		{0, &Reply{Xid: XidNotification, Zxid: -1, Body: &WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/a"}}},
		{OpCreate, &Reply{Xid: 1, Zxid: 0x100000002, Body: &PathResponse{Path: "/q/item-0000000001"}}},
		{OpCreate2, &Reply{Xid: 1, Zxid: 3, Body: &PathStatResponse{Path: "/a", Stat: sampleStat}}},
		{OpSetData, &Reply{Xid: 2, Zxid: 3, Body: &StatResponse{Stat: sampleStat}}},
		{OpExists, &Reply{Xid: 2, Zxid: 3, Err: ErrNoNode}},
		{OpGetData, &Reply{Xid: 3, Zxid: 3, Body: &DataResponse{Data: []byte("hello"), Stat: sampleStat}}},
		{OpGetChildren, &Reply{Xid: 4, Zxid: 3, Body: &ChildrenResponse{Children: []string{"a", "b"}}}},
		{OpGetChildren2, &Reply{Xid: 4, Zxid: 3, Body: &ChildrenResponse{Children: []string{}, Stat: sampleStat}}},
		{OpDelete, &Reply{Xid: 5, Zxid: 3}},
		{OpSync, &Reply{Xid: 6, Zxid: 3, Body: &PathResponse{Path: "/"}}},
		{OpMulti, &Reply{Xid: 7, Zxid: 8, Body: &MultiResponse{Results: []MultiResult{
			{Op: OpCreate, Path: "/m"}, {Op: OpCreate2, Path: "/n", Stat: sampleStat}, {Op: OpSetData, Stat: sampleStat},
			{Op: OpDelete}, {Op: OpCheck}}}}},
		{OpMulti, &Reply{Xid: 7, Zxid: 8, Err: ErrNodeExists, Body: &MultiResponse{Results: []MultiResult{
			{Op: OpError, Err: ErrOK}, {Op: OpError, Err: ErrNodeExists}, {Op: OpError, Err: ErrRuntimeInconsistency}}}}},
	}
	for _, c := range cases {
		b, err := EncodeReply(c.r, c.op)
		if err != nil {
			t.Fatalf("encode %v: %v", c.op, err)
		}
		got, err := DecodeReply(b, c.op)
		if err != nil {
			t.Fatalf("decode %v: %v", c.op, err)
		}
		if diff := cmp.Diff(c.r, got); diff != "" {
			t.Errorf("%v reply round trip (-want +got):\n%s", c.op, diff)
		}
	}
}

func TestConnectRoundTrip(t *testing.T) {
	req := &ConnectRequest{LastZxidSeen: 0x200000001, TimeoutMs: 10000, SessionID: 0x1000056c4210000, Passwd: bytes.Repeat([]byte{7}, 16)}
	gotReq, err := DecodeConnectRequest(EncodeConnectRequest(req))
	if err != nil || !cmp.Equal(req, gotReq) {
		t.Fatalf("connect request round trip: %v, %s", err, cmp.Diff(req, gotReq))
	}
	resp := &ConnectResponse{TimeoutMs: 4000, SessionID: 5, Passwd: []byte{1, 2}}
	gotResp, err := DecodeConnectResponse(EncodeConnectResponse(resp))
	if err != nil || !cmp.Equal(resp, gotResp) {
		t.Fatalf("connect response round trip: %v, %s", err, cmp.Diff(resp, gotResp))
	}
	// An old client omits readOnly: still a valid request.
	old := EncodeConnectRequest(req)
	if _, err := DecodeConnectRequest(old[:len(old)-1]); err != nil {
		t.Fatalf("connect request without readOnly: %v", err)
	}
}

func TestBadInputErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"truncated", second(DecodeRequest([]byte{0, 0, 0, 1, 0, 0})), "reading type"},
		{"unknown op", second(DecodeRequest([]byte{0, 0, 0, 1, 0, 0, 0, 99})), "unknown request op code 99"},
		{"trailing", second(DecodeRequest([]byte{255, 255, 255, 254, 0, 0, 0, 11, 1})), "1 trailing bytes"},
		{"nested multi", second(DecodeRequest([]byte{0, 0, 0, 1, 0, 0, 0, 14, 0, 0, 0, 14, 0, 255, 255, 255, 255})), "not allowed in a multi"},
		{"reply no layout", second(DecodeReply([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 99)), "no reply layout"},
		{"connect short", second(DecodeConnectResponse([]byte{0, 0})), "connect response"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) || !strings.HasPrefix(c.err.Error(), "clientproto: ") {
			t.Errorf("%s: got error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	if _, err := EncodeRequest(&Request{Op: OpDelete, Body: &SetDataRequest{}}); err == nil {
		t.Errorf("encoding a setData body under op delete succeeded")
	}
	if _, err := EncodeRequest(&Request{Op: OpMulti, Body: &MultiRequest{Ops: []MultiOp{{Op: OpSync, Body: &SyncRequest{}}}}}); err == nil {
		t.Errorf("encoding a sync inside a multi succeeded")
	}
}

func second[T any](_ T, err error) error { return err }

func TestCodeNames(t *testing.T) {
	if ErrNodeExists.String() != "NODEEXISTS" || ErrCode(-999).String() != "err(-999)" {
		t.Errorf("ErrCode names: %v %v", ErrNodeExists, ErrCode(-999))
	}
	if OpCreate2.String() != "create2" || !OpMulti.IsWrite() || OpGetData.IsWrite() {
		t.Errorf("OpCode helpers wrong")
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, r := range sampleRequests() {
		b, _ := EncodeRequest(r)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes.
		again, err := EncodeRequest(r)
		if err != nil {
			t.Fatalf("decoded request does not re-encode: %v", err)
		}
		if _, err := DecodeRequest(again); err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
	})
}

func FuzzDecodeReply(f *testing.F) {
	for _, op := range []OpCode{OpGetData, OpMulti, OpGetChildren2, OpCreate2} {
		b, _ := EncodeReply(&Reply{Xid: 1, Body: &MultiResponse{Results: []MultiResult{{Op: OpCreate, Path: "/x"}}}}, OpMulti)
		f.Add(b, int32(op))
	}
	b, _ := EncodeReply(&Reply{Xid: 1, Body: &DataResponse{Data: []byte("d"), Stat: sampleStat}}, OpGetData)
	f.Add(b, int32(OpGetData))
	f.Fuzz(func(t *testing.T, b []byte, op int32) {
		r, err := DecodeReply(b, OpCode(op))
		if err != nil {
			return
		}
		if _, err := EncodeReply(r, OpCode(op)); err != nil {
			t.Fatalf("decoded reply does not re-encode: %v", err)
		}
	})
}

func FuzzDecodeConnect(f *testing.F) {
	f.Add(EncodeConnectRequest(&ConnectRequest{TimeoutMs: 1, Passwd: []byte{1}}))
	f.Add(EncodeConnectResponse(&ConnectResponse{TimeoutMs: 1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeConnectRequest(b)
		_, _ = DecodeConnectResponse(b)
	})
}
