package datatree

import (
	"fmt"
	"slices"
	"strings"
)

// The reserved paths every tree starts with.
const (
	RootPath      = "/"
	ZooKeeperPath = "/zookeeper"
	QuotaPath     = "/zookeeper/quota"
	ConfigPath    = "/zookeeper/config"
)

// node is one znode. Its children set has no map until the first child.
type node struct {
	data     []byte
	acl      int64 // key into the ACL cache; -1 = OPEN_ACL_UNSAFE
	stat     StatPersisted
	children jset[string] // in java.util.HashSet order for snapshots
	digest   uint64       // this node's digest term, cached (0 under /zookeeper/)
}

func (n *node) numChildren() int32 { return int32(n.children.len()) }

func (n *node) addChild(name string) { n.children.add(name, capLogChildren, javaStringHash) }

// clientStat builds the Stat a client sees (DataNode.copyStat).
func (n *node) clientStat(extendedTypes bool) Stat {
	owner := n.stat.EphemeralOwner
	if kindOf(owner, extendedTypes) != kindEphemeral {
		owner = 0
	}
	nc := n.numChildren()
	return Stat{
		Czxid: n.stat.Czxid, Mzxid: n.stat.Mzxid, Ctime: n.stat.Ctime, Mtime: n.stat.Mtime,
		Version: n.stat.Version, Cversion: n.stat.Cversion*2 - nc, Aversion: n.stat.Aversion,
		EphemeralOwner: owner, DataLength: int32(len(n.data)), NumChildren: nc, Pzxid: n.stat.Pzxid,
	}
}

// Tree is ZooKeeper's DataTree: the nodes, the ACL cache, the ephemerals by session,
// containers and TTL nodes, the watch tables and the incrementally kept digest.
// A Tree is not safe for concurrent use (simulated code is single-threaded).
type Tree struct {
	nodes      map[string]*node // key: full path, the root under "/"
	acls       aclCache
	ephemerals map[int64]*jset[string] // kept when emptied, as ZooKeeper keeps the HashSet
	containers map[string]struct{}
	ttls       map[string]struct{}

	digest            uint64 // wrapping sum of node digests (AdHash)
	lastProcessedZxid int64
	lastZxidDigest    *ZxidDigest // after the last txn applied outside the fuzzy state
	snapshotDigest    *ZxidDigest // digest a loaded snapshot promised; nil when not fuzzy
	digestMismatches  int64

	dataWatches   watchTable
	childWatches  watchTable
	extendedTypes bool
}

// ZxidDigest is a tree digest at a zxid (the snapshot trailer's ZxidDigest record).
type ZxidDigest struct {
	Zxid    int64
	Version int32
	Digest  int64
}

// New returns the tree a fresh ZooKeeper server starts with: "/", /zookeeper,
// /zookeeper/quota and /zookeeper/config (world:anyone READ, aversion -1, empty data),
// all with zero stats. lastProcessedZxid is 0.
func New() *Tree {
	t := newEmpty()
	t.putNode(RootPath, &node{acl: -1, data: []byte{}})
	t.putNode(ZooKeeperPath, &node{acl: -1, data: []byte{}})
	t.nodes[RootPath].addChild("zookeeper")
	t.putNode(QuotaPath, &node{acl: -1, data: []byte{}})
	t.nodes[ZooKeeperPath].addChild("quota")
	t.putNode(ConfigPath, &node{acl: -1, data: []byte{}})
	t.nodes[ZooKeeperPath].addChild("config")
	if _, code := t.setACL(ConfigPath, ReadACLUnsafe, -1); code != OK {
		panic("datatree: the config node vanished while building a new tree")
	}
	return t
}

func newEmpty() *Tree {
	return &Tree{
		nodes:        make(map[string]*node),
		acls:         newACLCache(),
		ephemerals:   make(map[int64]*jset[string]),
		containers:   make(map[string]struct{}),
		ttls:         make(map[string]struct{}),
		dataWatches:  newWatchTable(),
		childWatches: newWatchTable(),
	}
}

// InitConfig writes the dynamic configuration into /zookeeper/config as a server does
// when it starts or reconfigures (ZKDatabase.initConfigInZKDatabase): data, version -1,
// mzxid = the configuration's version, mtime = timeMs. It is not a txn and fires no
// watch; the node is outside the digest.
func (t *Tree) InitConfig(data []byte, configVersion, timeMs int64) {
	n := t.nodes[ConfigPath]
	if n == nil {
		n = &node{acl: t.acls.convert(ReadACLUnsafe), data: []byte{}, stat: StatPersisted{Aversion: -1}}
		t.putNode(ConfigPath, n)
		if zk := t.nodes[ZooKeeperPath]; zk != nil {
			zk.addChild("config")
		}
	}
	t.change(ConfigPath, n, func() {
		n.data = slices.Clone(data)
		n.stat.Version = -1
		n.stat.Mzxid = configVersion
		n.stat.Mtime = timeMs
	})
}

// EnableExtendedTypes turns on ZooKeeper's zookeeper.extendedTypesEnabled: TTL nodes
// exist (and an ephemeralOwner with top byte 0xff is a TTL marker, not a session).
// Nodes already in the tree (say, loaded from a snapshot) with such owners move from
// the ephemerals to the TTL nodes.
func (t *Tree) EnableExtendedTypes() {
	t.extendedTypes = true
	for _, owner := range t.ownerIDs() {
		if kindOf(owner, true) != kindTTL {
			continue
		}
		for path := range t.ephemerals[owner].m { //det:unordered-ok filling a set
			t.ttls[path] = struct{}{}
		}
		delete(t.ephemerals, owner)
	}
}

// ownerIDs returns the sorted keys of the ephemerals map.
func (t *Tree) ownerIDs() []int64 { return sortedIDs(t.ephemerals) }

// ExtendedTypes reports whether TTL nodes are enabled.
func (t *Tree) ExtendedTypes() bool { return t.extendedTypes }

// canonical maps "" (ZooKeeper's second name for the root) to "/".
func canonical(path string) string {
	if path == "" {
		return RootPath
	}
	return path
}

// get returns the node at path ("" and "/" are both the root), or nil.
func (t *Tree) get(path string) *node { return t.nodes[canonical(path)] }

// putNode stores n at path and adds its digest. A node already stored there (an orphan
// left by applying a delete of a non-empty node, which only a corrupt log holds) is
// replaced and its digest removed, as NodeHashMapImpl.put does.
func (t *Tree) putNode(path string, n *node) {
	if old := t.nodes[path]; old != nil {
		t.digest -= old.digest
	}
	n.digest = nodeDigest(path, n.data, &n.stat)
	t.digest += n.digest
	t.nodes[path] = n
}

// change runs mutate on n and keeps the tree digest in step (NodeHashMap pre/postChange).
func (t *Tree) change(path string, n *node, mutate func()) {
	t.digest -= n.digest
	mutate()
	n.digest = nodeDigest(path, n.data, &n.stat)
	t.digest += n.digest
}

// NodeCount returns the number of nodes, the root and /zookeeper's included.
func (t *Tree) NodeCount() int { return len(t.nodes) }

// Digest returns the tree digest (ZOOKEEPER-3114): the wrapping sum of node digests.
func (t *Tree) Digest() int64 { return int64(t.digest) }

// LastProcessedZxid returns the largest zxid applied by ProcessTxn.
func (t *Tree) LastProcessedZxid() int64 { return t.lastProcessedZxid }

// SetLastProcessedZxid sets it, as snapshot loading does from the file name.
func (t *Tree) SetLastProcessedZxid(zxid int64) { t.lastProcessedZxid = zxid }

// LastZxidDigest returns the digest after the last txn applied outside the fuzzy state
// (what a snapshot's trailer records); ok is false before any.
func (t *Tree) LastZxidDigest() (ZxidDigest, bool) {
	if t.lastZxidDigest == nil {
		return ZxidDigest{Version: DigestVersion}, false
	}
	return *t.lastZxidDigest, true
}

// SetSnapshotDigest enters the fuzzy state after loading a snapshot whose trailer says
// the tree digest was d.Digest at d.Zxid: per-txn digest checks are suspended while
// replaying, and when the txn with zxid d.Zxid is applied the tree digest must equal it.
// Call it after SetLastProcessedZxid(snapshot zxid): like DataTree.deserializeZxidDigest
// it ignores an empty trailer (zxid 0) and one older than the snapshot's own zxid.
func (t *Tree) SetSnapshotDigest(d ZxidDigest) {
	if d.Zxid <= 0 || d.Zxid < t.lastProcessedZxid {
		t.snapshotDigest = nil
		return
	}
	t.snapshotDigest = &d
}

// DigestMismatches counts digest mismatches seen so far (digest_mismatches_count).
func (t *Tree) DigestMismatches() int64 { return t.digestMismatches }

// GetData returns a copy of the node's data and its stat, or NoNode. A watcher (not NoWatch)
// leaves a one-shot data watch (only when the node exists, as in ZooKeeper).
func (t *Tree) GetData(path string, watcher WatcherID) ([]byte, Stat, Code) {
	n := t.get(path)
	if n == nil {
		return nil, Stat{}, NoNode
	}
	if watcher >= 0 {
		t.dataWatches.add(canonical(path), watcher, watchStandard)
	}
	return slices.Clone(n.data), n.clientStat(t.extendedTypes), OK
}

// Exists returns the node's stat, or NoNode. A watcher (not NoWatch) leaves a one-shot data
// watch even when the node does not exist (it then fires on NodeCreated).
func (t *Tree) Exists(path string, watcher WatcherID) (Stat, Code) {
	if watcher >= 0 {
		t.dataWatches.add(canonical(path), watcher, watchStandard)
	}
	n := t.get(path)
	if n == nil {
		return Stat{}, NoNode
	}
	return n.clientStat(t.extendedTypes), OK
}

// GetChildren returns the sorted child names and the node's stat, or NoNode. A
// watcher leaves a one-shot child watch when the node exists. (ZooKeeper answers in
// hash-set order; this tree answers sorted so runs are reproducible.)
func (t *Tree) GetChildren(path string, watcher WatcherID) ([]string, Stat, Code) {
	n := t.get(path)
	if n == nil {
		return nil, Stat{}, NoNode
	}
	if watcher >= 0 {
		t.childWatches.add(canonical(path), watcher, watchStandard)
	}
	return sortedKeys(n.children.m), n.clientStat(t.extendedTypes), OK
}

// GetACL returns the node's ACL list and stat, or NoNode.
func (t *Tree) GetACL(path string) ([]ACL, Stat, Code) {
	n := t.get(path)
	if n == nil {
		return nil, Stat{}, NoNode
	}
	return slices.Clone(t.acls.lookup(n.acl)), n.clientStat(t.extendedTypes), OK
}

// GetAllChildrenNumber counts all descendants of path (not path itself), or NoNode.
// Like ZooKeeper it counts the nodes whose path starts with path + "/" (for "/" it
// counts every node but the root).
func (t *Tree) GetAllChildrenNumber(path string) (int, Code) {
	if t.get(path) == nil {
		return 0, NoNode
	}
	if canonical(path) == RootPath {
		return len(t.nodes) - 1, OK
	}
	return t.countDescendants(canonical(path)), OK
}

func (t *Tree) countDescendants(path string) int {
	count := 0
	for name := range t.get(path).children.m { //det:unordered-ok counting is order-free
		count += 1 + t.countDescendants(path+"/"+name)
	}
	return count
}

// GetEphemerals returns the sorted paths of the session's ephemeral nodes.
func (t *Tree) GetEphemerals(sessionID int64) []string {
	if set := t.ephemerals[sessionID]; set != nil {
		return sortedKeys(set.m)
	}
	return []string{}
}

// Sessions returns the sorted ids of sessions owning ephemerals.
func (t *Tree) Sessions() []int64 {
	return slices.DeleteFunc(t.ownerIDs(), func(id int64) bool { return t.ephemerals[id].len() == 0 })
}

// Containers returns the sorted paths of container nodes.
func (t *Tree) Containers() []string { return sortedKeys(t.containers) }

// TTLs returns the sorted paths of TTL nodes.
func (t *Tree) TTLs() []string { return sortedKeys(t.ttls) }

// Paths returns every node path in depth-first order with sorted children, the root
// first as "/".
func (t *Tree) Paths() []string {
	out := make([]string, 0, len(t.nodes))
	t.walk(RootPath, false, func(path string, _ *node) { out = append(out, path) })
	return out
}

// walk visits path and its descendants depth-first, children sorted or, with
// javaOrder, in the order ZooKeeper's snapshot would write them.
func (t *Tree) walk(path string, javaOrder bool, visit func(path string, n *node)) {
	n := t.get(path)
	if n == nil {
		return
	}
	visit(path, n)
	prefix := path + "/"
	if path == RootPath {
		prefix = "/"
	}
	var children []string
	if javaOrder {
		children = n.children.ordered(javaStringHash)
	} else {
		children = sortedKeys(n.children.m)
	}
	for _, c := range children {
		t.walk(prefix+c, javaOrder, visit)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m { //det:unordered-ok sorted below
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// childPath joins a parent path as ZooKeeper spells it ("" for the root) and a name.
func childPath(parent, name string) string { return parent + "/" + name }

// errNoParent is returned when a node's parent is missing (an invariant breach in a
// tree built by this package; a corrupt snapshot can cause it).
func errNoParent(path string) error {
	return fmt.Errorf("datatree: parent of %q does not exist", path)
}

// isUnderZooKeeper reports whether a path is inside /zookeeper/ (excluded from digests).
func isUnderZooKeeper(path string) bool { return strings.HasPrefix(path, ZooKeeperPath+"/") }

// ContainerCandidates lists, sorted, what ZooKeeper's ContainerManager would ask to
// delete at nowMs (wall-clock ms, as in the txn headers): empty containers whose
// persisted cversion is > 0 (or, when maxNeverUsedMs != 0, that have been empty and
// unused for longer than it since their mtime), and empty TTL nodes whose mtime is more
// than their TTL ago. The leader submits a deleteContainer request for each.
func (t *Tree) ContainerCandidates(nowMs, maxNeverUsedMs int64) []string {
	var out []string
	for _, p := range sortedKeys(t.containers) {
		n := t.nodes[p]
		if n == nil || n.children.len() != 0 {
			continue
		}
		if n.stat.Cversion > 0 || maxNeverUsedMs != 0 && nowMs-n.stat.Mtime > maxNeverUsedMs {
			out = append(out, p)
		}
	}
	for _, p := range sortedKeys(t.ttls) {
		n := t.nodes[p]
		if n == nil || n.children.len() != 0 || kindOf(n.stat.EphemeralOwner, t.extendedTypes) != kindTTL {
			continue
		}
		if ttl := n.stat.EphemeralOwner & MaxTTLMs; ttl != 0 && nowMs-n.stat.Mtime > ttl {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
