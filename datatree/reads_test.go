package datatree

import (
	"slices"
	"testing"

	"github.com/zabsim/zabsim/internal/jute"
)

func TestReads(t *testing.T) {
	w := &wt{t: t, tree: New()}
	w.create("/a")
	w.create("/a/b")
	w.create("/a/b/c")
	w.txn(OpCreate, &CreateTxn{Path: "/e1", ACL: OpenACLUnsafe, Ephemeral: true, ParentCVersion: -1})
	w.txn(OpCreate, &CreateTxn{Path: "/a/e2", ACL: ReadACLUnsafe, Ephemeral: true, ParentCVersion: -1})
	tree := w.tree
	for _, c := range []struct {
		path string
		want int
		code Code
	}{{"/", 8, OK}, {"/a", 3, OK}, {"/a/b/c", 0, OK}, {"/zookeeper", 2, OK}, {"/nope", 0, NoNode}} {
		if n, code := tree.GetAllChildrenNumber(c.path); n != c.want || code != c.code {
			t.Errorf("GetAllChildrenNumber(%s) = %d, %v; want %d, %v", c.path, n, code, c.want, c.code)
		}
	}
	if got := tree.GetEphemerals(0x55); !slices.Equal(got, []string{"/a/e2", "/e1"}) {
		t.Errorf("GetEphemerals = %v", got)
	}
	if got := tree.Sessions(); !slices.Equal(got, []int64{0x55}) {
		t.Errorf("Sessions = %v", got)
	}
	if acl, st, code := tree.GetACL("/a/e2"); code != OK || !slices.Equal(acl, ReadACLUnsafe) || st.EphemeralOwner != 0x55 {
		t.Errorf("GetACL = %v %+v %v", acl, st, code)
	}
	if acl, _, _ := tree.GetACL(ConfigPath); !slices.Equal(acl, ReadACLUnsafe) {
		t.Errorf("config ACL = %v", acl)
	}
	if _, st, _ := tree.GetData(ConfigPath, NoWatch); st.Aversion != -1 {
		t.Errorf("config aversion %d, want -1", st.Aversion)
	}
	if _, st, _ := tree.GetChildren("/zookeeper", NoWatch); st.Cversion != -2 || st.NumChildren != 2 {
		t.Errorf("/zookeeper client cversion %d with %d children, want -2 and 2", st.Cversion, st.NumChildren)
	}
	w.set("/a")
	data, _, _ := tree.GetData("/a", NoWatch)
	data[0] = 'X'
	if again, _, _ := tree.GetData("/a", NoWatch); string(again) != "v" {
		t.Errorf("GetData handed out the tree's own slice: now %q", again)
	}
}

// TestLoadedTTLNodes: a snapshot read before extended types are enabled files TTL
// nodes as ephemerals; enabling them moves the nodes over.
func TestLoadedTTLNodes(t *testing.T) {
	tree := New()
	tree.EnableExtendedTypes()
	tree.ProcessTxn(TxnHeader{Zxid: 1, Type: OpCreateTTL}, &CreateTTLTxn{Path: "/t", ACL: OpenACLUnsafe, ParentCVersion: -1, TTL: 99})
	loaded, err := DeserializeFrom(jute.NewDecoder(tree.SerializeBytes(), 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.TTLs()) != 0 || len(loaded.Sessions()) != 1 {
		t.Fatalf("before enabling: ttls %v sessions %v", loaded.TTLs(), loaded.Sessions())
	}
	loaded.EnableExtendedTypes()
	if !slices.Equal(loaded.TTLs(), []string{"/t"}) || len(loaded.Sessions()) != 0 {
		t.Fatalf("after enabling: ttls %v sessions %v", loaded.TTLs(), loaded.Sessions())
	}
	if _, st, _ := loaded.GetData("/t", NoWatch); st.EphemeralOwner != 0 {
		t.Fatalf("client sees owner %#x for a TTL node", st.EphemeralOwner)
	}
}
