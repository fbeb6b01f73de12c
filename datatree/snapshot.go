package datatree

import (
	"fmt"
	"maps"

	"github.com/zabsim/zabsim/internal/jute"
)

// SerializeTo writes the tree section of a snapshot (DataTree.serialize): the ACL cache,
// then every node depth-first from the root as (string path, buffer data, long acl,
// StatPersisted) with the root's path written as "", then the terminator string "/".
// Children and ACL cache entries are written in the order ZooKeeper's HashSet/HashMap
// would give them (see jset), so a tree with the same history gives the same bytes.
// Watches are not part of a snapshot.
func (t *Tree) SerializeTo(e *jute.Encoder) {
	t.acls.encode(e)
	t.walk(RootPath, true, func(path string, n *node) { encodeNode(e, path, n) })
	e.String("/")
}

// encodeNode writes one node record of a snapshot: path (the root as ""), data, ACL
// id, persisted stat.
func encodeNode(e *jute.Encoder, path string, n *node) {
	if path == RootPath {
		path = ""
	}
	e.String(path)
	e.Buffer(n.data)
	e.Long(n.acl)
	n.stat.Encode(e)
}

// SerializeBytes returns SerializeTo's bytes (the tree part of a SNAP sync).
func (t *Tree) SerializeBytes() []byte {
	var e jute.Encoder
	t.SerializeTo(&e)
	return e.Buf
}

// DeserializeFrom reads a tree section written by SerializeTo or by ZooKeeper
// (DataTree.deserialize). Nodes must come parent before child; a node whose parent has
// not been read, a repeated path, or a malformed record is an error naming the path
// and offset. ACL usage is recounted from the nodes and unused ACLs are purged.
// lastProcessedZxid is 0: the caller sets it from the snapshot's name.
func DeserializeFrom(d *jute.Decoder) (*Tree, error) {
	t := newEmpty()
	t.acls.decode(d)
	if d.Err() != nil {
		return nil, fmt.Errorf("datatree: reading snapshot acl cache: %w", d.Err())
	}
	for {
		at := d.Offset()
		path := d.String("node path")
		if d.Err() != nil {
			return nil, fmt.Errorf("datatree: reading snapshot nodes: %w", d.Err())
		}
		if path == "/" {
			break
		}
		n := &node{}
		n.data = d.Buffer("node data")
		n.acl = d.Long("node acl")
		n.stat.Decode(d)
		if d.Err() != nil {
			return nil, fmt.Errorf("datatree: reading snapshot node %q: %w", path, d.Err())
		}
		if err := t.addLoaded(path, n); err != nil {
			return nil, fmt.Errorf("datatree: snapshot node at offset %d: %w", at, err)
		}
	}
	if t.nodes[RootPath] == nil {
		return nil, fmt.Errorf("datatree: snapshot has no root node")
	}
	t.acls.purgeUnused()
	return t, nil
}

// addLoaded links one deserialized node into the tree.
func (t *Tree) addLoaded(path string, n *node) error {
	if path == "" {
		if len(t.nodes) != 0 {
			return fmt.Errorf("root node is not the first node")
		}
		t.putNode(RootPath, n)
		t.acls.addUsage(n.acl)
		return nil
	}
	parentName, childName, ok := parentOf(path)
	if !ok || childName == "" {
		return fmt.Errorf("invalid node path %q", path)
	}
	parent := t.get(parentName)
	if parent == nil || len(t.nodes) == 0 {
		return fmt.Errorf("invalid datatree, unable to find parent %q of path %q", parentName, path)
	}
	if _, dup := t.nodes[path]; dup {
		return fmt.Errorf("node %q appears twice", path)
	}
	t.putNode(path, n)
	t.acls.addUsage(n.acl)
	parent.addChild(childName)
	t.registerOwner(path, n.stat.EphemeralOwner)
	return nil
}

// Clone returns a deep copy of the tree's contents: nodes, ACL cache, ephemerals,
// containers, TTLs, digest state and zxids — including the Java-order bookkeeping, so
// the copy serializes exactly as the original would. Watches are not copied. Node data
// is shared: the tree never modifies a data slice in place.
func (t *Tree) Clone() *Tree {
	c := newEmpty()
	for path, n := range t.nodes { //det:unordered-ok copying a map
		nn := *n
		nn.children = n.children.clone()
		c.nodes[path] = &nn
	}
	c.acls = t.acls.clone()
	for id, set := range t.ephemerals { //det:unordered-ok copying a map
		cs := set.clone()
		c.ephemerals[id] = &cs
	}
	c.containers = maps.Clone(t.containers)
	c.ttls = maps.Clone(t.ttls)
	c.digest, c.lastProcessedZxid, c.digestMismatches = t.digest, t.lastProcessedZxid, t.digestMismatches
	c.lastZxidDigest = clonePtr(t.lastZxidDigest)
	c.snapshotDigest = clonePtr(t.snapshotDigest)
	c.extendedTypes = t.extendedTypes
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
