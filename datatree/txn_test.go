package datatree

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"github.com/zabsim/zabsim/internal/jute"
)

// sampleEntries has one entry of every top-level txn type and every multi sub-type.
func sampleEntries() []TxnEntry {
	hdr := func(typ OpCode) TxnHeader {
		return TxnHeader{ClientID: 0x1000056c4210000, Cxid: 7, Zxid: 0x100000005, Time: 1795580912408, Type: typ}
	}
	dg := &TxnDigest{Version: 2, TreeDigest: 0x51c6d660}
	acl := []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}
	return []TxnEntry{
		{hdr(OpCreate), &CreateTxn{Path: "/a", Data: []byte("x"), ACL: acl, Ephemeral: true, ParentCVersion: 3}, dg},
		{hdr(OpCreate2), &CreateTxn{Path: "/a", Data: nil, ACL: []ACL{}, ParentCVersion: -1}, dg},
		{hdr(OpCreateContainer), &CreateContainerTxn{Path: "/c", Data: []byte{}, ACL: acl, ParentCVersion: 1}, dg},
		{hdr(OpCreateTTL), &CreateTTLTxn{Path: "/t", Data: []byte("d"), ACL: acl, ParentCVersion: 2, TTL: 5000}, dg},
		{hdr(OpDelete), &DeleteTxn{Path: "/a"}, dg},
		{hdr(OpDeleteContainer), &DeleteTxn{Path: "/c"}, dg},
		{hdr(OpSetData), &SetDataTxn{Path: "/a", Data: []byte("y"), Version: 4}, dg},
		{hdr(OpSetACL), &SetACLTxn{Path: "/a", ACL: acl, Version: 1}, dg},
		{hdr(OpCreateSession), &CreateSessionTxn{TimeoutMs: 10000}, dg},
		{hdr(OpCloseSession), &CloseSessionTxn{Paths: []string{"/e1", "/e2"}}, dg},
		{hdr(OpCloseSession), &CloseSessionTxn{Paths: []string{}}, dg},
		{hdr(OpError), &ErrorTxn{Err: NodeExists}, nil},
		{hdr(OpMulti), &MultiTxn{Ops: []MultiOp{
			{OpCreate, &CreateTxn{Path: "/m", Data: []byte("mc"), ACL: acl, ParentCVersion: 9}},
			{OpCheck, &CheckVersionTxn{Path: "/m", Version: 1}},
			{OpSetData, &SetDataTxn{Path: "/m", Data: []byte("z"), Version: 2}},
			{OpDelete, &DeleteTxn{Path: "/m"}},
			{OpError, &ErrorTxn{Err: RuntimeInconsistency}},
		}}, dg},
	}
}

func TestEntryRoundTrip(t *testing.T) {
	for _, e := range sampleEntries() {
		b := MarshalEntry(&e)
		got, err := DecodeEntry(b, 0)
		if err != nil {
			t.Fatalf("%s: %v", OpName(e.Header.Type), err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Fatalf("%s: round trip differs (-want +got):\n%s", OpName(e.Header.Type), diff)
		}
	}
}

// TestEntryKnownBytes checks one entry against bytes a real server logged (api-trace-11
// zxid 5: create /s "d2" with OPEN_ACL_UNSAFE, parentCVersion 1).
func TestEntryKnownBytes(t *testing.T) {
	log := readFixtureLog(t, filepath.Join(fixtureDir, "api-trace-11", "version-2", "log.1"))
	e, err := DecodeEntry(log[5], 0)
	if err != nil {
		t.Fatal(err)
	}
	want := &CreateTxn{Path: "/s", Data: []byte("d2"), ACL: OpenACLUnsafe, ParentCVersion: 1}
	if diff := cmp.Diff(Txn(want), e.Txn); diff != "" || e.Header.Type != OpCreate || e.Digest == nil {
		t.Fatalf("decoded %+v %+v (-want +got):\n%s", e.Header, e.Digest, diff)
	}
	if got := MarshalEntry(&e); string(got) != string(log[5]) {
		t.Fatalf("re-encoding differs:\n got %x\nwant %x", got, log[5])
	}
}

func TestDecodeEntryErrors(t *testing.T) {
	create := sampleEntries()[0]
	good := MarshalEntry(&create)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"short header", good[:20], "txn header"},
		{"unknown type", append(append([]byte{}, good[:28]...), 0, 0, 0, 99), "unsupported txn type 99"},
		{"truncated record", good[:40], "create"},
		{"junk after record", append(append([]byte{}, good...), 1, 2, 3), "want 0 or a 12-byte digest"},
		{"bad multi sub-type", multiWithSubType(77), "invalid type of op 77"},
	}
	for _, c := range cases {
		_, err := DecodeEntry(c.b, 1000)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "datatree: ") {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "offset") {
			t.Errorf("%s: error %q does not name the offset", c.name, err)
		}
	}
}

func multiWithSubType(typ OpCode) []byte {
	var e jute.Encoder
	h := TxnHeader{Zxid: 1, Type: OpMulti}
	h.Encode(&e)
	e.Int(1)
	e.Int(typ)
	e.Buffer([]byte{0, 0, 0, 0})
	return e.Buf
}

// FuzzDecodeEntry: decoding arbitrary bytes never panics, and whatever decodes
// re-encodes to something that decodes to the same entry.
func FuzzDecodeEntry(f *testing.F) {
	addEntrySeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b, 0)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "datatree: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		again, err := DecodeEntry(MarshalEntry(&e), 0)
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if diff := cmp.Diff(e, again); diff != "" {
			t.Fatalf("re-encoded entry decodes differently:\n%s", diff)
		}
	})
}

// addEntrySeeds seeds an entry fuzzer with every sample entry and some logged ones.
func addEntrySeeds(f *testing.F) {
	for _, e := range sampleEntries() {
		f.Add(MarshalEntry(&e))
	}
	for _, body := range readFixtureLogF(f) {
		f.Add(body)
	}
}

// readFixtureLogF returns a few logged bodies as fuzz seeds.
func readFixtureLogF(f *testing.F) [][]byte {
	var out [][]byte
	for z, b := range readFixtureLog(f, filepath.Join(fixtureDir, "api-trace-12", "version-2", "log.1")) {
		if z < 64 {
			out = append(out, b)
		}
	}
	return out
}

// javaValidatePath is an independent transcription of PathUtils.validatePath working,
// like Java, on UTF-16 code units.
func javaValidatePath(path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	if path == "/" {
		return true
	}
	if path[len(path)-1] == '/' {
		return false
	}
	chars := utf16.Encode([]rune(path))
	last := uint16('/')
	for i := 1; i < len(chars); i++ {
		c := chars[i]
		switch {
		case c == 0:
			return false
		case c == '/' && last == '/':
			return false
		case c == '.' && last == '.':
			if chars[i-2] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return false
			}
		case c == '.':
			if chars[i-1] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				return false
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			return false
		}
		last = c
	}
	return true
}

func TestValidatePath(t *testing.T) {
	valid := []string{"/", "/a", "/a/b", "/a.b", "/...", "/a/.b", "/a/b.", "/zookeeper", "/é", "/a b"}
	invalid := []string{"", "a", "//", "/a/", "/a//b", "/.", "/..", "/a/./b", "/a/..", "/a\x00", "/a\x01",
		"/\u007f", "/\u0085", "/\ud7ff\ue000", "/\U0001F600", "/\ufff0", "/\xff"}
	for _, p := range valid {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want ok", p, err)
		}
	}
	for _, p := range invalid {
		if err := ValidatePath(p); err == nil || !strings.HasPrefix(err.Error(), "datatree: invalid path") {
			t.Errorf("ValidatePath(%q) = %v, want an invalid-path error", p, err)
		}
	}
}

// FuzzValidatePath compares ValidatePath with the Java transcription.
func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/", "/a/./b", "//x", "/a/..", "/a.", "/a/b\x00", "/\u0090", "/\U0001F600", "/\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := ValidatePath(p) == nil
		if want := javaValidatePath(p); got != want {
			t.Fatalf("ValidatePath(%q) ok=%v, PathUtils says %v", p, got, want)
		}
	})
}
