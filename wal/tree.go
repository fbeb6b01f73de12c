package wal

import "github.com/zabsim/zabsim/internal/jute"

// The tree section of a snapshot belongs to the data tree (package datatree reads and
// writes it through the callbacks of WriteSnapshot and LoadSnapshot). TreeSection is a
// plain, tree-agnostic reading of it for tools and tests: the dump commands print it and
// tests re-encode it to check byte compatibility.

// ACL is one access-control entry: permission bits and an Id (scheme, id).
type ACL struct {
	Perms  int32
	Scheme string
	ID     string
}

// ACLCacheEntry is one entry of the snapshot's ACL cache: an index and its ACL list.
type ACLCacheEntry struct {
	Index int64
	ACLs  []ACL
}

// StatPersisted is the stored part of a znode's Stat, in the field order of its encoding.
type StatPersisted struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32 // counts child creations only (clients see 2*Cversion - children)
	Aversion       int32
	EphemeralOwner int64
	Pzxid          int64
}

// SnapNode is one serialized znode: its path ("" for the root), data, ACL cache index
// (-1 = OPEN_ACL_UNSAFE) and persisted stat.
type SnapNode struct {
	Path string
	Data []byte
	ACL  int64
	Stat StatPersisted
}

// TreeSection is the tree part of a snapshot: the ACL cache, then the nodes in the order
// they were written (depth-first from the root), then the "/" terminator.
type TreeSection struct {
	ACLCache []ACLCacheEntry
	Nodes    []SnapNode
}

// DecodeTreeSection reads a tree section.
func DecodeTreeSection(d *jute.Decoder) (TreeSection, error) {
	var t TreeSection
	n := d.VectorLen("acl cache", 12)
	for i := 0; i < n && d.Err() == nil; i++ {
		entry := ACLCacheEntry{Index: d.Long("acl cache index")}
		m := d.VectorLen("acl", 12)
		for j := 0; j < m && d.Err() == nil; j++ {
			entry.ACLs = append(entry.ACLs, ACL{Perms: d.Int("acl perms"), Scheme: d.String("acl scheme"), ID: d.String("acl id")})
		}
		t.ACLCache = append(t.ACLCache, entry)
	}
	for d.Err() == nil {
		path := d.String("node path")
		if path == "/" || d.Err() != nil {
			break
		}
		node := SnapNode{Path: path, Data: d.Buffer("node data"), ACL: d.Long("node acl")}
		node.Stat = decodeStat(d)
		t.Nodes = append(t.Nodes, node)
	}
	return t, d.Err()
}

func decodeStat(d *jute.Decoder) StatPersisted {
	return StatPersisted{
		Czxid: d.Long("czxid"), Mzxid: d.Long("mzxid"), Ctime: d.Long("ctime"), Mtime: d.Long("mtime"),
		Version: d.Int("version"), Cversion: d.Int("cversion"), Aversion: d.Int("aversion"),
		EphemeralOwner: d.Long("ephemeralOwner"), Pzxid: d.Long("pzxid"),
	}
}

// Encode writes the tree section in ZooKeeper's layout.
func (t TreeSection) Encode(e *jute.Encoder) error {
	e.Int(int32(len(t.ACLCache)))
	for _, entry := range t.ACLCache {
		e.Long(entry.Index)
		e.Int(int32(len(entry.ACLs)))
		for _, a := range entry.ACLs {
			e.Int(a.Perms)
			e.String(a.Scheme)
			e.String(a.ID)
		}
	}
	for _, n := range t.Nodes {
		e.String(n.Path)
		e.Buffer(n.Data)
		e.Long(n.ACL)
		s := n.Stat
		e.Long(s.Czxid)
		e.Long(s.Mzxid)
		e.Long(s.Ctime)
		e.Long(s.Mtime)
		e.Int(s.Version)
		e.Int(s.Cversion)
		e.Int(s.Aversion)
		e.Long(s.EphemeralOwner)
		e.Long(s.Pzxid)
	}
	e.String("/")
	return nil
}
