package datatree

import (
	"maps"
	"slices"

	"github.com/zabsim/zabsim/internal/jute"
)

// openACLID is the ACL cache key of OPEN_ACL_UNSAFE (and of a null ACL list).
const openACLID int64 = -1

// aclCache is ZooKeeper's ReferenceCountedACLCache: each distinct ACL list gets a long
// id, nodes store the id, and an id is dropped when no node uses it any more.
type aclCache struct {
	byID  map[int64][]ACL
	byKey map[string]int64
	refs  map[int64]int64
	index int64       // the largest id handed out
	order jset[int64] // the ids as ZooKeeper's longKeyMap (a HashMap) holds them
}

func newACLCache() aclCache {
	return aclCache{byID: map[int64][]ACL{}, byKey: map[string]int64{}, refs: map[int64]int64{}}
}

func (c *aclCache) clone() aclCache {
	return aclCache{byID: maps.Clone(c.byID), byKey: maps.Clone(c.byKey), refs: maps.Clone(c.refs),
		index: c.index, order: c.order.clone()}
}

func aclKey(acls []ACL) string {
	var e jute.Encoder
	encodeACLs(&e, acls)
	return string(e.Buf)
}

// convert returns the id of acls, adding it if new, and counts one more use.
func (c *aclCache) convert(acls []ACL) int64 {
	if acls == nil {
		return openACLID
	}
	key := aclKey(acls)
	id, ok := c.byKey[key]
	if !ok {
		c.index++
		id = c.index
		c.byID[id] = slices.Clone(acls)
		c.byKey[key] = id
		c.order.add(id, capLogDefault, javaLongHash)
	}
	c.addUsage(id)
	return id
}

// lookup returns the list for an id; OPEN_ACL_UNSAFE for -1; nil for an unknown id
// (ZooKeeper throws "Failed to fetch acls" there, which ZK-4689 can provoke).
func (c *aclCache) lookup(id int64) []ACL {
	if id == openACLID {
		return OpenACLUnsafe
	}
	return c.byID[id]
}

func (c *aclCache) addUsage(id int64) {
	if id == openACLID {
		return
	}
	if _, ok := c.byID[id]; !ok {
		return // ZooKeeper logs "Ignoring acl ... as it does not exist in the cache"
	}
	c.refs[id]++
}

func (c *aclCache) removeUsage(id int64) {
	if id == openACLID {
		return
	}
	acls, ok := c.byID[id]
	if !ok {
		return
	}
	c.refs[id]--
	if c.refs[id] <= 0 {
		c.drop(id, acls)
	}
}

// purgeUnused drops ids no node uses (after loading a snapshot).
func (c *aclCache) purgeUnused() {
	for _, id := range c.ids() {
		if c.refs[id] <= 0 {
			c.drop(id, c.byID[id])
		}
	}
}

func (c *aclCache) drop(id int64, acls []ACL) {
	delete(c.refs, id)
	delete(c.byKey, aclKey(acls))
	delete(c.byID, id)
	c.order.remove(id)
}

// ids returns the cache's ids in increasing order.
func (c *aclCache) ids() []int64 { return sortedIDs(c.byID) }

// sortedIDs returns the keys of an id-keyed map in increasing order.
func sortedIDs[V any](m map[int64]V) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m { //det:unordered-ok sorted below
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// encode writes the cache as a snapshot does: int count, then (long id, vector<ACL>)*,
// in the order of the HashMap copy ZooKeeper serializes.
func (c *aclCache) encode(e *jute.Encoder) {
	clone := c.order.copyJava(javaLongHash)
	ids := clone.ordered(javaLongHash)
	e.Int(int32(len(ids)))
	for _, id := range ids {
		e.Long(id)
		encodeACLs(e, c.byID[id])
	}
}

// decode replaces the cache with the snapshot's; reference counts start at 0 and are
// rebuilt from the nodes. A repeated id is an error (it would make two lists one).
func (c *aclCache) decode(d *jute.Decoder) {
	*c = newACLCache()
	// ZooKeeper reads into the cache of a new DataTree, whose table the config node's
	// ACL already allocated (clear() keeps it).
	c.order.capLog = capLogDefault
	n := d.VectorLen("acl cache", 12)
	for i := 0; i < n && d.Err() == nil; i++ {
		at := d.Offset()
		id := d.Long("acl cache id")
		acls := decodeACLs(d)
		if d.Err() != nil {
			return
		}
		if acls == nil {
			d.Fail("acl cache entry %d (at offset %d): missing acls", id, at)
			return
		}
		if _, dup := c.byID[id]; dup {
			d.Fail("acl cache entry at offset %d: id %d appears twice", at, id)
			return
		}
		c.index = max(c.index, id)
		c.byID[id] = acls
		c.byKey[aclKey(acls)] = id
		c.order.add(id, capLogDefault, javaLongHash)
	}
}
