package datatree

import (
	"testing"
)

// fuzzRequests turns fuzz bytes into a request sequence: each request takes an op byte,
// a mode byte, a version byte and a path of up to 7 bytes from a small alphabet that
// includes '/', '.', NUL and a non-UTF-8 byte.
func fuzzRequests(b []byte) []Request {
	ops := []OpCode{OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpDeleteContainer,
		OpSetData, OpSetACL, OpCheck, OpMulti, OpCreateSession, OpCloseSession}
	alphabet := []byte{'/', '/', 'a', 'b', '.', 0, 0xff, 'z'}
	var out []Request
	for len(b) >= 4 && len(out) < 64 {
		op, mode, version, n := ops[int(b[0])%len(ops)], CreateMode(int8(b[1])%8), int32(int8(b[2])%3), int(b[3]%8)
		b = b[4:]
		n = min(n, len(b))
		path := make([]byte, n)
		for i := range path {
			path[i] = alphabet[int(b[i])%len(alphabet)]
		}
		b = b[n:]
		switch {
		case op == OpCreateContainer:
			mode = Container
		case op == OpCreateTTL && mode != PersistentSequentialWithTTL:
			mode = PersistentWithTTL
		case mode == Container: // create with the container flag: see TestCreateModeOpMismatch
			mode = Persistent
		}
		req := Request{Type: op, SessionID: int64(1 + version&1), Path: string(path), Data: path, ACL: OpenACLUnsafe,
			Mode: mode, Version: version - 1, TTL: int64(version) * 100}
		if op == OpMulti {
			req.Ops = []Request{{Type: OpCreate, Path: req.Path, ACL: OpenACLUnsafe, Mode: mode}, {Type: OpCheck, Path: "/a", Version: -1}}
		}
		out = append(out, req)
	}
	return out
}

// FuzzPrepApply: any request sequence preps and applies without panicking, every
// prepped txn round-trips through its encoding, and (without pipelining) the digest
// prep promises is the digest apply produces.
func FuzzPrepApply(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x02/a\x00\x02\x00\x04/a/b\x06\x00\x01\x02/a\x04\x00\x00\x02/a"))
	f.Add([]byte("\x03\x05\x02\x02/t\x0b\x00\x00\x00\x09\x03\x01\x03/a/"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tree := New()
		tree.EnableExtendedTypes()
		p := NewPrepper(tree, liveSessions{})
		for i, req := range fuzzRequests(b) {
			zxid := int64(i + 1)
			e := p.Prep(&req, zxid, zxid)
			decoded, err := DecodeEntry(MarshalEntry(&e), 0)
			if err != nil {
				t.Fatalf("request %d (%s %q): entry does not decode: %v", i, OpName(req.Type), req.Path, err)
			}
			if r := tree.ProcessEntry(&decoded); r.DigestMismatch {
				t.Fatalf("request %d (%s %q): prep's digest differs from apply's", i, OpName(req.Type), req.Path)
			}
			p.Applied(zxid)
		}
	})
}
