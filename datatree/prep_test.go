package datatree

import (
	"slices"
	"testing"
)

// scriptedSessions answers session checks from a table; unknown ids are expired.
type scriptedSessions map[int64]Code

func (s scriptedSessions) CheckSession(id int64) Code {
	if c, ok := s[id]; ok {
		return c
	}
	return SessionExpired
}

func (s scriptedSessions) CheckGlobalSession(id int64) Code {
	if c := s.CheckSession(id); c != OK {
		return c
	}
	if id == 0x3 {
		return EphemeralOnLocalSession
	}
	return OK
}

// prepApply preps and applies one request; it returns the applied result's code.
func prepApply(t *testing.T, p *Prepper, tree *Tree, req Request, zxid int64) Result {
	t.Helper()
	e := p.Prep(&req, zxid, 100*zxid)
	r := tree.ProcessEntry(&e)
	if r.DigestMismatch {
		t.Fatalf("%s %s: digest mismatch", OpName(req.Type), req.Path)
	}
	p.Applied(zxid)
	return r
}

func TestPrepValidation(t *testing.T) {
	sessions := scriptedSessions{0x1: OK, 0x2: SessionMoved, 0x3: OK}
	digestID := ID{Scheme: "digest", ID: "bob:hash"}
	setup := []Request{
		{Type: OpCreate, Path: "/p", ACL: OpenACLUnsafe},
		{Type: OpCreate, Path: "/p/c", ACL: OpenACLUnsafe},
		{Type: OpCreate, Path: "/eph", ACL: OpenACLUnsafe, Mode: Ephemeral},
		{Type: OpCreate, Path: "/locked", ACL: []ACL{{Perms: PermRead, ID: ID{"world", "anyone"}}, {Perms: PermAll, ID: digestID}}},
		{Type: OpCreateContainer, Path: "/box", ACL: OpenACLUnsafe, Mode: Container},
	}
	cases := []struct {
		name string
		req  Request
		want Code
	}{
		{"create: expired session", Request{Type: OpCreate, SessionID: 0x9, Path: "/x", ACL: OpenACLUnsafe}, SessionExpired},
		{"create: moved session", Request{Type: OpCreate, SessionID: 0x2, Path: "/x", ACL: OpenACLUnsafe}, SessionMoved},
		{"create: ephemeral on a local session", Request{Type: OpCreate, SessionID: 0x3, Path: "/x", ACL: OpenACLUnsafe, Mode: Ephemeral}, EphemeralOnLocalSession},
		{"create: bad flags", Request{Type: OpCreate, Path: "/x", ACL: OpenACLUnsafe, Mode: 9}, BadArguments},
		{"create: TTL without extended types", Request{Type: OpCreateTTL, Path: "/x", ACL: OpenACLUnsafe, Mode: PersistentWithTTL, TTL: 10}, Unimplemented},
		{"create: no slash", Request{Type: OpCreate, Path: "x", ACL: OpenACLUnsafe}, BadArguments},
		{"create: empty ACL before missing parent", Request{Type: OpCreate, Path: "/no/x"}, InvalidACL},
		{"create: bad digest ACL", Request{Type: OpCreate, Path: "/x", ACL: []ACL{{Perms: 1, ID: ID{"digest", "nocolon"}}}}, InvalidACL},
		{"create: auth ACL without auth", Request{Type: OpCreate, Path: "/x", ACL: []ACL{{Perms: 1, ID: ID{"auth", ""}}}}, InvalidACL},
		{"create: missing parent", Request{Type: OpCreate, Path: "/no/x", ACL: OpenACLUnsafe}, NoNode},
		{"create: parent ACL refuses", Request{Type: OpCreate, Path: "/locked/x", ACL: OpenACLUnsafe}, NoAuth},
		{"create: parent ACL allows the digest id", Request{Type: OpCreate, Path: "/locked/x", ACL: OpenACLUnsafe, Auth: []ID{digestID}}, OK},
		{"create: invalid path after the parent check", Request{Type: OpCreate, Path: "/p/./x", ACL: OpenACLUnsafe}, NoNode},
		{"create: invalid name under an existing parent", Request{Type: OpCreate, Path: "/p/.", ACL: OpenACLUnsafe}, BadArguments},
		{"create: exists", Request{Type: OpCreate, Path: "/p/c", ACL: OpenACLUnsafe}, NodeExists},
		{"create: exists beats ephemeral parent", Request{Type: OpCreate, Path: "/eph", ACL: OpenACLUnsafe}, NodeExists},
		{"create: under an ephemeral", Request{Type: OpCreate, Path: "/eph/x", ACL: OpenACLUnsafe}, NoChildrenForEphemerals},
		{"create: under /zookeeper is allowed", Request{Type: OpCreate, Path: "/zookeeper/x", ACL: OpenACLUnsafe}, OK},
		{"delete: reserved path", Request{Type: OpDelete, Path: "/zookeeper/config", Version: -1}, BadArguments},
		{"delete: root", Request{Type: OpDelete, Path: "/", Version: -1}, BadArguments},
		{"delete: bad version beats not empty", Request{Type: OpDelete, Path: "/p", Version: 7}, BadVersion},
		{"delete: not empty", Request{Type: OpDelete, Path: "/p", Version: -1}, NotEmpty},
		{"delete: parent ACL refuses", Request{Type: OpDelete, Path: "/locked/none", Version: -1}, NoAuth},
		{"deleteContainer: a plain node is fine", Request{Type: OpDeleteContainer, Path: "/p/c"}, OK},
		{"deleteContainer: an ephemeral is BADVERSION", Request{Type: OpDeleteContainer, Path: "/eph"}, BadVersion},
		{"setData: ACL refuses", Request{Type: OpSetData, Path: "/locked", Version: -1}, NoAuth},
		{"setData: bad path", Request{Type: OpSetData, Path: "/p/", Version: -1}, BadArguments},
		{"setACL: version is the aversion", Request{Type: OpSetACL, Path: "/p", ACL: OpenACLUnsafe, Version: 1}, BadVersion},
		{"setACL: ok", Request{Type: OpSetACL, Path: "/p", ACL: ReadACLUnsafe, Version: 0}, OK},
		{"setACL: needs ADMIN", Request{Type: OpSetACL, Path: "/locked", ACL: OpenACLUnsafe, Version: -1}, NoAuth},
		{"check: version", Request{Type: OpCheck, Path: "/p", Version: 3}, BadVersion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tree := New()
			p := NewPrepper(tree, sessions)
			zxid := int64(0)
			for _, r := range setup {
				zxid++
				r.SessionID, r.Version = 0x1, -1
				if got := prepApply(t, p, tree, r, zxid).Err; got != OK {
					t.Fatalf("setup %s: %v", r.Path, got)
				}
			}
			if c.req.SessionID == 0 {
				c.req.SessionID = 0x1
			}
			e := p.Prep(&c.req, zxid+1, 0)
			got := OK
			if et, ok := e.Txn.(*ErrorTxn); ok {
				got = et.Err
				if e.Header.Type != OpError || e.Digest != nil {
					t.Fatalf("error entry has header type %d and digest %v", e.Header.Type, e.Digest)
				}
			}
			if got != c.want {
				t.Fatalf("prep gave %v, want %v", got, c.want)
			}
			if r := tree.ProcessEntry(&e); r.Err != c.want || r.DigestMismatch {
				t.Fatalf("apply gave %v (digest mismatch %v), want %v", r.Err, r.DigestMismatch, c.want)
			}
		})
	}
}

func TestPrepTTLAndContainer(t *testing.T) {
	tree := New()
	tree.EnableExtendedTypes()
	p := NewPrepper(tree, scriptedSessions{0x1: OK})
	bad := Request{Type: OpCreateTTL, SessionID: 1, Path: "/t", ACL: OpenACLUnsafe, Mode: PersistentWithTTL, TTL: MaxTTLMs + 1}
	if r := prepApply(t, p, tree, bad, 1); r.Err != BadArguments {
		t.Fatalf("TTL out of range: %v", r.Err)
	}
	ok := bad
	ok.TTL = 5000
	r := prepApply(t, p, tree, ok, 2)
	if r.Err != OK || r.Stat.EphemeralOwner != 0 || len(tree.TTLs()) != 1 {
		t.Fatalf("TTL create: %v %+v %v", r.Err, r.Stat, tree.TTLs())
	}
	c := Request{Type: OpCreateContainer, SessionID: 1, Path: "/c", ACL: OpenACLUnsafe, Mode: Container}
	if r := prepApply(t, p, tree, c, 3); r.Err != OK || tree.Containers()[0] != "/c" || r.Stat.EphemeralOwner != 0 {
		t.Fatalf("container create: %v %v", r.Err, tree.Containers())
	}
	if r := prepApply(t, p, tree, Request{Type: OpDeleteContainer, Path: "/t"}, 4); r.Err != OK || len(tree.TTLs()) != 0 {
		t.Fatalf("deleteContainer of a TTL node: %v %v", r.Err, tree.TTLs())
	}
}

// TestPrepPipelining: prepped-but-unapplied changes are visible to later preps.
func TestPrepPipelining(t *testing.T) {
	tree := New()
	p := NewPrepper(tree, scriptedSessions{0x1: OK})
	reqs := []Request{
		{Type: OpCreate, Path: "/q", ACL: OpenACLUnsafe, Version: -1},
		{Type: OpCreate, Path: "/q/s-", ACL: OpenACLUnsafe, Mode: PersistentSequential, Version: -1},
		{Type: OpCreate, Path: "/q/s-", ACL: OpenACLUnsafe, Mode: EphemeralSequential, Version: -1},
		{Type: OpSetData, Path: "/q/s-0000000000", Data: []byte("x"), Version: 0},
		{Type: OpSetData, Path: "/q/s-0000000000", Data: []byte("y"), Version: 0}, // BADVERSION: sees the first
		{Type: OpDelete, Path: "/q/s-0000000000", Version: 1},
		{Type: OpCreate, Path: "/q/s-0000000000", ACL: OpenACLUnsafe, Version: -1}, // the name is free again
		{Type: OpCloseSession},
	}
	var entries []TxnEntry
	for i := range reqs {
		reqs[i].SessionID = 0x1
		entries = append(entries, p.Prep(&reqs[i], int64(i+1), 0))
	}
	if p.Outstanding() == 0 {
		t.Fatal("no outstanding changes while nothing is applied")
	}
	wantPaths := []string{"/q", "/q/s-0000000000", "/q/s-0000000001", "", "", "", "/q/s-0000000000", ""}
	wantErr := []Code{OK, OK, OK, OK, BadVersion, OK, OK, OK}
	for i := range entries {
		r := tree.ProcessEntry(&entries[i])
		p.Applied(int64(i + 1))
		if r.Err != wantErr[i] || (wantPaths[i] != "" && r.Path != wantPaths[i]) || r.DigestMismatch {
			t.Fatalf("txn %d: got (%v, %q, mismatch %v), want (%v, %q)", i+1, r.Err, r.Path, r.DigestMismatch, wantErr[i], wantPaths[i])
		}
	}
	cs := entries[7].Txn.(*CloseSessionTxn)
	if len(cs.Paths) != 1 || cs.Paths[0] != "/q/s-0000000001" || len(tree.GetEphemerals(1)) != 0 {
		t.Fatalf("closeSession listed %v (pending ephemeral create expected); left %v", cs.Paths, tree.GetEphemerals(1))
	}
	if p.Outstanding() != 0 {
		t.Fatalf("%d outstanding after applying all", p.Outstanding())
	}
	p.Prep(&Request{Type: OpCreate, SessionID: 1, Path: "/z", ACL: OpenACLUnsafe}, 9, 0)
	p.Reset()
	if p.Outstanding() != 0 {
		t.Fatal("Reset kept changes")
	}
}

// TestSequentialSuffixOverflow follows ZooKeeper's arithmetic past the int32 cversion:
// the suffix after 2147483647 is "-2147483648" while the change record carries the
// wrapped cversion (pipelined creates), but apply only moves cversion forward, so the
// tree keeps 2147483647: the txn digest disagrees with the tree (ZooKeeper counts a
// digest mismatch too) and the next sequential name is reused (NODEEXISTS).
func TestSequentialSuffixOverflow(t *testing.T) {
	tree := New()
	p := NewPrepper(tree, scriptedSessions{0x1: OK})
	prepApply(t, p, tree, Request{Type: OpCreate, SessionID: 1, Path: "/s", ACL: OpenACLUnsafe}, 1)
	n := tree.get("/s")
	tree.change("/s", n, func() { n.stat.Cversion = 2147483647 })
	seq := Request{Type: OpCreate, SessionID: 1, Path: "/s/n", ACL: OpenACLUnsafe, Mode: PersistentSequential}
	e1 := p.Prep(&seq, 2, 0)
	e2 := p.Prep(&seq, 3, 0)
	if got := e1.Txn.(*CreateTxn).Path; got != "/s/n2147483647" {
		t.Fatalf("first path %q", got)
	}
	if got := e2.Txn.(*CreateTxn).Path; got != "/s/n-2147483648" {
		t.Fatalf("pipelined path after the overflow %q, want /s/n-2147483648", got)
	}
	if r := tree.ProcessEntry(&e1); r.Err != OK || !r.DigestMismatch {
		t.Fatalf("apply past the overflow: %v, digest mismatch %v (ZooKeeper mismatches here)", r.Err, r.DigestMismatch)
	}
	tree.ProcessEntry(&e2)
	p.Applied(3)
	e3 := p.Prep(&seq, 4, 0)
	if et, ok := e3.Txn.(*ErrorTxn); !ok || et.Err != NodeExists {
		t.Fatalf("next sequential create after the overflow: %+v, want NODEEXISTS", e3.Txn)
	}
}

func TestContainerCandidates(t *testing.T) {
	tree := New()
	tree.EnableExtendedTypes()
	w := &wt{t: t, tree: tree}
	mk := func(typ OpCode, txn Txn) { w.txn(typ, txn) }
	mk(OpCreateContainer, &CreateContainerTxn{Path: "/fresh", ACL: OpenACLUnsafe, ParentCVersion: -1})
	mk(OpCreateContainer, &CreateContainerTxn{Path: "/used", ACL: OpenACLUnsafe, ParentCVersion: -1})
	mk(OpCreate, &CreateTxn{Path: "/used/c", ACL: OpenACLUnsafe, ParentCVersion: -1})
	mk(OpCreateContainer, &CreateContainerTxn{Path: "/busy", ACL: OpenACLUnsafe, ParentCVersion: -1})
	mk(OpCreate, &CreateTxn{Path: "/busy/c", ACL: OpenACLUnsafe, ParentCVersion: -1})
	mk(OpDelete, &DeleteTxn{Path: "/used/c"})
	mk(OpCreateTTL, &CreateTTLTxn{Path: "/ttl", ACL: OpenACLUnsafe, ParentCVersion: -1, TTL: 50})
	// All nodes have mtime 0 (the driver's headers carry no time).
	if got := tree.ContainerCandidates(10, 0); !slices.Equal(got, []string{"/used"}) {
		t.Fatalf("at 10 ms: %v, want [/used]", got)
	}
	if got := tree.ContainerCandidates(51, 0); !slices.Equal(got, []string{"/ttl", "/used"}) {
		t.Fatalf("at 51 ms: %v, want [/ttl /used]", got)
	}
	if got := tree.ContainerCandidates(51, 40); !slices.Equal(got, []string{"/fresh", "/ttl", "/used"}) {
		t.Fatalf("with maxNeverUsed 40: %v", got)
	}
}

// TestRootDoubleKeyQuirk: ZooKeeper keys change records by the literal path, and the
// parent of a top-level node is "" while a setData on the root uses "/". A create
// pipelined behind setData("/") therefore computes its digest from the stale root, and
// applying it is a digest mismatch — in ZooKeeper too.
func TestRootDoubleKeyQuirk(t *testing.T) {
	tree := New()
	p := NewPrepper(tree, scriptedSessions{0x1: OK})
	set := p.Prep(&Request{Type: OpSetData, SessionID: 1, Path: "/", Data: []byte("r"), Version: -1}, 1, 0)
	create := p.Prep(&Request{Type: OpCreate, SessionID: 1, Path: "/a", ACL: OpenACLUnsafe, Version: -1}, 2, 0)
	if r := tree.ProcessEntry(&set); r.Err != OK || r.DigestMismatch {
		t.Fatalf("setData /: %v, mismatch %v", r.Err, r.DigestMismatch)
	}
	if r := tree.ProcessEntry(&create); r.Err != OK || !r.DigestMismatch {
		t.Fatalf("create /a after a pipelined setData /: %v, mismatch %v; ZooKeeper mismatches here", r.Err, r.DigestMismatch)
	}
}

// TestCloseSessionKeepsParentChildCount: closeSession prep raises the parents' pzxid
// but not their child counts, so deleting the parent of the session's only ephemeral,
// pipelined right behind the closeSession, is NOTEMPTY (as in ZooKeeper), while the same
// delete after the close is applied succeeds.
func TestCloseSessionKeepsParentChildCount(t *testing.T) {
	tree := New()
	p := NewPrepper(tree, scriptedSessions{0x1: OK, 0x2: OK})
	prepApply(t, p, tree, Request{Type: OpCreate, SessionID: 1, Path: "/d", ACL: OpenACLUnsafe, Version: -1}, 1)
	prepApply(t, p, tree, Request{Type: OpCreate, SessionID: 2, Path: "/d/e", ACL: OpenACLUnsafe, Mode: Ephemeral, Version: -1}, 2)
	closing := p.Prep(&Request{Type: OpCloseSession, SessionID: 2}, 3, 0)
	del := Request{Type: OpDelete, SessionID: 1, Path: "/d", Version: -1}
	if e, ok := p.Prep(&del, 4, 0).Txn.(*ErrorTxn); !ok || e.Err != NotEmpty {
		t.Fatalf("pipelined delete: %+v, want NOTEMPTY", e)
	}
	tree.ProcessEntry(&closing)
	p.Applied(4)
	if r := prepApply(t, p, tree, del, 5); r.Err != OK {
		t.Fatalf("delete after the close: %v", r.Err)
	}
}

func TestMultiWithAForeignOp(t *testing.T) {
	tree := New()
	p := NewPrepper(tree, scriptedSessions{0x1: OK})
	req := Request{Type: OpMulti, SessionID: 1, Ops: []Request{
		{Type: OpCreate, Path: "/a", ACL: OpenACLUnsafe}, {Type: OpGetData, Path: "/a"}}}
	e := p.Prep(&req, 1, 0)
	if et, ok := e.Txn.(*ErrorTxn); !ok || et.Err != MarshallingError || e.Header.Type != OpError || p.Outstanding() != 0 {
		t.Fatalf("multi with getData: %+v %+v, %d outstanding", e.Header, e.Txn, p.Outstanding())
	}
}

func TestCheckACL(t *testing.T) {
	bob := ID{Scheme: "digest", ID: "bob:h"}
	acls := []ACL{{Perms: PermRead, ID: ID{"world", "anyone"}}, {Perms: PermWrite, ID: bob}}
	cases := []struct {
		perm int32
		auth []ID
		want Code
	}{
		{PermRead, nil, OK},
		{PermWrite, nil, NoAuth},
		{PermWrite, []ID{bob}, OK},
		{PermAdmin, []ID{bob}, NoAuth},
		{PermAdmin, []ID{{Scheme: "super", ID: "admin"}}, OK},
	}
	for _, c := range cases {
		if got := CheckACL(acls, c.perm, c.auth); got != c.want {
			t.Errorf("CheckACL(perm %d, auth %v) = %v, want %v", c.perm, c.auth, got, c.want)
		}
	}
	if got := CheckACL(nil, PermAdmin, nil); got != OK {
		t.Errorf("empty ACL list: %v, want OK", got)
	}
}

// TestCreateModeOpMismatch: ZooKeeper takes the node's owner from the create flags but
// the txn type from the op code, so a create op with the CONTAINER flag (which no
// standard client sends) preps a container record but logs a plain CreateTxn: the node
// is applied as persistent and the txn's digest disagrees with the tree.
func TestCreateModeOpMismatch(t *testing.T) {
	tree := New()
	p := NewPrepper(tree, scriptedSessions{0x1: OK})
	e := p.Prep(&Request{Type: OpCreate, SessionID: 1, Path: "/c", ACL: OpenACLUnsafe, Mode: Container}, 1, 0)
	if _, ok := e.Txn.(*CreateTxn); !ok {
		t.Fatalf("txn %T, want *CreateTxn", e.Txn)
	}
	if r := tree.ProcessEntry(&e); r.Err != OK || !r.DigestMismatch || len(tree.Containers()) != 0 {
		t.Fatalf("apply: %v, mismatch %v, containers %v", r.Err, r.DigestMismatch, tree.Containers())
	}
}
