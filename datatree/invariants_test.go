package datatree

import (
	"fmt"
	"testing"

	"github.com/zabsim/zabsim/internal/jute"
)

// checkInvariants recomputes what the tree keeps incrementally and checks its shape:
// every node but the root has a parent listing it, every child listed exists, the
// digest equals the sum of node digests computed afresh, and the ephemeral, container
// and TTL indexes agree with the owners. With allowOrphans, nodes whose parent does not
// list them are tolerated: applying a delete of a non-empty node (which prep never
// makes, but a corrupt log can hold) leaves its children behind, as in ZooKeeper.
func checkInvariants(t *Tree, allowOrphans bool) error {
	var sum uint64
	for path, n := range t.nodes {
		if d := nodeDigest(path, n.data, &n.stat); d != n.digest {
			return fmt.Errorf("%s: cached digest %x, computed %x", path, n.digest, d)
		}
		sum += n.digest
		for c := range n.children.m {
			if t.nodes[childPath(canonicalParent(path), c)] == nil {
				return fmt.Errorf("%s lists a missing child %q", path, c)
			}
		}
		if path == RootPath {
			continue
		}
		parentName, child, _ := parentOf(path)
		if p := t.get(parentName); (p == nil || !p.children.has(child)) && !allowOrphans {
			return fmt.Errorf("%s is not listed by its parent", path)
		}
		k := kindOf(n.stat.EphemeralOwner, t.extendedTypes)
		switch {
		case k == kindEphemeral && !t.ephemerals[n.stat.EphemeralOwner].has(path),
			k == kindContainer && !hasKey(t.containers, path),
			k == kindTTL && !hasKey(t.ttls, path):
			return fmt.Errorf("%s (owner %#x) is missing from its index", path, n.stat.EphemeralOwner)
		}
	}
	if sum != t.digest {
		return fmt.Errorf("tree digest %x, sum of nodes %x", t.digest, sum)
	}
	return nil
}

func canonicalParent(path string) string {
	if path == RootPath {
		return ""
	}
	return path
}

func hasKey(m map[string]struct{}, k string) bool { _, ok := m[k]; return ok }

// FuzzProcessEntry: whatever entry decodes can be applied to a populated tree without a
// panic, and the tree's invariants still hold after it.
func FuzzProcessEntry(f *testing.F) {
	addEntrySeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b, 0)
		if err != nil {
			return
		}
		tree := New()
		for _, p := range []string{"/a", "/a/b", "/m", "/e1"} {
			tree.ProcessTxn(TxnHeader{ClientID: 0x55, Zxid: 1, Type: OpCreate}, &CreateTxn{Path: p, ACL: OpenACLUnsafe, Ephemeral: p == "/e1", ParentCVersion: -1})
		}
		tree.ProcessEntry(&e)
		if err := checkInvariants(tree, true); err != nil {
			t.Fatalf("after %s %+v: %v", OpName(e.Header.Type), e.Txn, err)
		}
		if _, err := DeserializeFrom(jute.NewDecoder(tree.SerializeBytes(), 0)); err != nil {
			t.Fatalf("after %s: the tree's snapshot does not read back: %v", OpName(e.Header.Type), err)
		}
	})
}

// TestInvariantsAfterFixtureReplay checks the invariants on real histories.
func TestInvariantsAfterFixtureReplay(t *testing.T) {
	tree := New()
	entries := logEntries(t, fixtureDir+"/standalone-1/version-2")
	for i := range entries {
		tree.ProcessEntry(&entries[i])
		if i%50 == 0 || i == len(entries)-1 {
			if err := checkInvariants(tree, false); err != nil {
				t.Fatalf("after zxid %#x: %v", entries[i].Header.Zxid, err)
			}
		}
	}
}
