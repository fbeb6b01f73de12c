package datatree

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zabsim/zabsim/internal/jute"
)

// TestSnapshotRoundTrip: every fixture snapshot's tree re-serializes to a section that
// reads back to the same nodes, and Clone gives an equal, independent tree.
func TestSnapshotRoundTrip(t *testing.T) {
	snaps, _ := filepath.Glob(filepath.Join(fixtureDir, "standalone-1", "version-2", "snapshot.*"))
	for _, sp := range snaps {
		snap := readFixtureSnapshot(t, sp)
		b := snap.tree.SerializeBytes()
		if len(b) != len(snap.body) {
			t.Errorf("%s: re-serialized %d bytes, ZooKeeper wrote %d", filepath.Base(sp), len(b), len(snap.body))
		}
		back, err := DeserializeFrom(jute.NewDecoder(b, 0))
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(sp), err)
		}
		if diff := cmp.Diff(dumpTree(snap.tree), dumpTree(back)); diff != "" || back.Digest() != snap.tree.Digest() {
			t.Fatalf("%s: round trip differs:\n%s", filepath.Base(sp), diff)
		}
		c := snap.tree.Clone()
		if !bytes.Equal(c.SerializeBytes(), b) {
			t.Fatalf("%s: clone serializes differently", filepath.Base(sp))
		}
		c.ProcessTxn(TxnHeader{Zxid: 1 << 40, Type: OpDelete}, &DeleteTxn{Path: c.Paths()[1]})
		if bytes.Equal(c.SerializeBytes(), b) {
			t.Fatalf("%s: changing the clone changed nothing", filepath.Base(sp))
		}
		if !bytes.Equal(snap.tree.SerializeBytes(), b) {
			t.Fatalf("%s: changing the clone changed the original", filepath.Base(sp))
		}
	}
}

func TestDeserializeErrors(t *testing.T) {
	good := New().SerializeBytes()
	orphan := func() []byte {
		var e jute.Encoder
		e.Int(0)
		e.String("")
		e.Buffer(nil)
		e.Long(-1)
		(&StatPersisted{}).Encode(&e)
		e.String("/x/y")
		e.Buffer(nil)
		e.Long(-1)
		(&StatPersisted{}).Encode(&e)
		e.String("/")
		return e.Buf
	}()
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "acl cache"},
		{"truncated", good[:len(good)-3], "offset"},
		{"orphan node", orphan, `unable to find parent "/x"`},
		{"no root", []byte{0, 0, 0, 0, 0, 0, 0, 1, '/'}, "no root"},
	}
	for _, c := range cases {
		_, err := DeserializeFrom(jute.NewDecoder(c.b, 0))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "datatree: ") {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// FuzzDeserialize: reading arbitrary bytes never panics, and whatever reads back
// re-serializes to bytes that read back to the same tree.
func FuzzDeserialize(f *testing.F) {
	f.Add(New().SerializeBytes())
	snaps, _ := filepath.Glob(filepath.Join(fixtureDir, "standalone-1", "version-2", "snapshot.*"))
	for _, sp := range snaps[:2] {
		f.Add(readFixtureSnapshot(f, sp).body)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tree, err := DeserializeFrom(jute.NewDecoder(b, 0))
		if err != nil {
			return
		}
		again, err := DeserializeFrom(jute.NewDecoder(tree.SerializeBytes(), 0))
		if err != nil {
			t.Fatalf("re-serialized tree does not read back: %v", err)
		}
		if !bytes.Equal(again.SerializeBytes(), tree.SerializeBytes()) || again.Digest() != tree.Digest() {
			t.Fatal("re-serialized tree reads back differently")
		}
	})
}
