package datatree

import "fmt"

// Result is what applying a txn produced (ZooKeeper's ProcessTxnResult).
type Result struct {
	Err   Code
	Path  string   // the txn's path (the created path, with any sequential suffix)
	Stat  *Stat    // the node's stat after create/setData/setACL, when it succeeded
	Multi []Result // per sub-txn results of a multi
	// Events are the watches the txn fired, in firing order, for the server to route.
	Events []WatchEvent
	// DigestMismatch is set by ProcessEntry when the entry's digest differs from the
	// tree's after applying it (ZooKeeper only counts and logs this).
	DigestMismatch bool
}

// ProcessEntry applies a whole log entry and compares the tree digest with the entry's
// digest (DataTree.processTxn + compareDigest). Comparison is skipped while the tree
// is in the fuzzy state after SetSnapshotDigest, for a missing digest, or for another
// digest version.
func (t *Tree) ProcessEntry(e *TxnEntry) Result {
	r := t.ProcessTxn(e.Header, e.Txn)
	if e.Digest != nil && t.snapshotDigest == nil && e.Digest.Version == DigestVersion &&
		e.Digest.TreeDigest != t.Digest() {
		t.digestMismatches++
		r.DigestMismatch = true
	}
	return r
}

// ProcessTxn applies one txn (DataTree.processTxn). It never fails: an inapplicable txn
// (a create whose parent is gone, a delete of a missing node) sets Result.Err and
// changes nothing, except for ZooKeeper's fuzzy-snapshot fixups: a create that meets
// an existing node still raises the parent's cversion/pzxid (ZK-3249), and a delete of
// a missing node still raises the parent's pzxid. Replaying txns over a fuzzy snapshot
// therefore converges. lastProcessedZxid becomes max(itself, hdr.Zxid).
func (t *Tree) ProcessTxn(hdr TxnHeader, txn Txn) Result {
	var ev events
	r := t.apply(hdr, txn, &ev)
	r.Events = ev
	if hdr.Zxid > t.lastProcessedZxid {
		t.lastProcessedZxid = hdr.Zxid
	}
	t.noteZxidDigest(hdr.Zxid)
	return r
}

// noteZxidDigest records the digest after a top-level txn, or, in the fuzzy state,
// checks the snapshot's promised digest when its zxid is reached.
func (t *Tree) noteZxidDigest(zxid int64) {
	if s := t.snapshotDigest; s != nil {
		if zxid == s.Zxid {
			if s.Version == DigestVersion && s.Digest != t.Digest() {
				t.digestMismatches++
			}
			t.snapshotDigest = nil
		}
		return
	}
	t.lastZxidDigest = &ZxidDigest{Zxid: zxid, Version: DigestVersion, Digest: t.Digest()}
}

// apply dispatches one txn (top-level or inside a multi).
func (t *Tree) apply(hdr TxnHeader, txn Txn, ev *events) Result {
	var r Result
	var err Code
	switch x := txn.(type) {
	case *CreateTxn:
		owner := int64(0)
		if x.Ephemeral {
			owner = hdr.ClientID
		}
		r.Path = x.Path
		r.Stat, err = t.createNode(x.Path, x.Data, x.ACL, owner, x.ParentCVersion, hdr, ev)
		if err == NodeExists && (hdr.Type == OpCreate) {
			err = t.fixupParent(x.Path, x.ParentCVersion, hdr.Zxid)
		}
	case *CreateContainerTxn:
		r.Path = x.Path
		r.Stat, err = t.createNode(x.Path, x.Data, x.ACL, ContainerOwner, x.ParentCVersion, hdr, ev)
	case *CreateTTLTxn:
		r.Path = x.Path
		r.Stat, err = t.createNode(x.Path, x.Data, x.ACL, TTLOwner(x.TTL), x.ParentCVersion, hdr, ev)
	case *DeleteTxn:
		r.Path = x.Path
		err = t.deleteNode(x.Path, hdr.Zxid, ev)
	case *SetDataTxn:
		r.Path = x.Path
		r.Stat, err = t.setData(x.Path, x.Data, x.Version, hdr, ev)
	case *SetACLTxn:
		r.Path = x.Path
		r.Stat, err = t.setACL(x.Path, x.ACL, x.Version)
	case *CheckVersionTxn:
		r.Path = x.Path
	case *ErrorTxn:
		err = x.Err
	case *CreateSessionTxn:
		// sessions live in the server's session tracker, not in the tree
	case *CloseSessionTxn:
		t.killSession(hdr.ClientID, hdr.Zxid, x.Paths, ev)
	case nil:
		if hdr.Type == OpCloseSession {
			t.killSession(hdr.ClientID, hdr.Zxid, nil, ev)
		}
	case *MultiTxn:
		r.Multi, err = t.applyMulti(hdr, x, ev)
	default:
		panic(fmt.Sprintf("datatree: ProcessTxn given an unknown txn type %T", txn))
	}
	r.Err = err
	return r
}

// applyMulti applies a multi: if any sub-txn is an error, nothing is applied and every
// other sub-txn turns into ErrorTxn(OK) before the first error and
// ErrorTxn(RUNTIMEINCONSISTENCY) after it. The multi's code is the first non-OK one.
func (t *Tree) applyMulti(hdr TxnHeader, m *MultiTxn, ev *events) ([]Result, Code) {
	failed := false
	for _, op := range m.Ops {
		if op.Type == OpError {
			failed = true
			break
		}
	}
	results := make([]Result, 0, len(m.Ops))
	first := OK
	postFailed := false
	for _, op := range m.Ops {
		typ, txn := op.Type, op.Txn
		if typ == OpError {
			postFailed = true
		} else if failed {
			code := OK
			if postFailed {
				code = RuntimeInconsistency
			}
			typ, txn = OpError, &ErrorTxn{Err: code}
		}
		sub := hdr
		sub.Type = typ
		r := t.apply(sub, txn, ev)
		results = append(results, r)
		if r.Err != OK && first == OK {
			first = r.Err
		}
	}
	return results, first
}

// createNode adds a node (DataTree.createNode). parentCVersion -1 means "current + 1".
// The parent's cversion and pzxid move only forward.
func (t *Tree) createNode(path string, data []byte, acl []ACL, owner int64, parentCVersion int32, hdr TxnHeader, ev *events) (*Stat, Code) {
	parentName, childName, ok := parentOf(path)
	if !ok {
		return nil, NoNode
	}
	if childName == "" || parentName == RootPath {
		// Only a corrupt log holds such paths ("/", "/a/", "//a"); ZooKeeper would store
		// a node under a name its parent does not list. Refuse them.
		return nil, NoNode
	}
	parent := t.get(parentName)
	if parent == nil {
		return nil, NoNode
	}
	// ZooKeeper converts the ACL before the existence check (a fuzzy-snapshot fix),
	// so a NODEEXISTS replay also counts one more use of the ACL.
	aclID := t.acls.convert(acl)
	if parent.children.has(childName) {
		return nil, NodeExists
	}
	t.change(canonical(parentName), parent, func() {
		if parentCVersion == -1 {
			parentCVersion = parent.stat.Cversion + 1
		}
		if parentCVersion > parent.stat.Cversion {
			parent.stat.Cversion = parentCVersion
			parent.stat.Pzxid = hdr.Zxid
		}
		parent.addChild(childName)
	})
	n := &node{data: data, acl: aclID, stat: StatPersisted{
		Czxid: hdr.Zxid, Mzxid: hdr.Zxid, Pzxid: hdr.Zxid, Ctime: hdr.Time, Mtime: hdr.Time, EphemeralOwner: owner,
	}}
	t.putNode(path, n)
	t.registerOwner(path, owner)
	st := n.clientStat(t.extendedTypes)
	ev.add(t.dataWatches.trigger(path, EventNodeCreated, nil), EventNodeCreated, path, hdr.Zxid)
	parentPath := canonical(parentName)
	ev.add(t.childWatches.trigger(parentPath, EventNodeChildrenChanged, nil), EventNodeChildrenChanged, parentPath, hdr.Zxid)
	return &st, OK
}

// registerOwner files a new node under ephemerals, containers or TTLs.
func (t *Tree) registerOwner(path string, owner int64) {
	switch kindOf(owner, t.extendedTypes) {
	case kindContainer:
		t.containers[path] = struct{}{}
	case kindTTL:
		t.ttls[path] = struct{}{}
	case kindEphemeral:
		set := t.ephemerals[owner]
		if set == nil {
			set = &jset[string]{}
			t.ephemerals[owner] = set
		}
		set.add(path, capLogDefault, javaStringHash)
	}
}

func (t *Tree) unregisterOwner(path string, owner int64) {
	switch kindOf(owner, t.extendedTypes) {
	case kindContainer:
		delete(t.containers, path)
	case kindTTL:
		delete(t.ttls, path)
	case kindEphemeral:
		if set := t.ephemerals[owner]; set != nil {
			set.remove(path)
		}
	}
}

// fixupParent is ZK-3249: a replayed create that finds its node already there (from a
// fuzzy snapshot) still sets the parent's cversion/pzxid forward.
func (t *Tree) fixupParent(path string, cversion int32, zxid int64) Code {
	parentName, _, _ := parentOf(path)
	parent := t.get(parentName)
	if parent == nil {
		return NoNode
	}
	if cversion == -1 {
		cversion = parent.stat.Cversion + 1
	}
	if cversion > parent.stat.Cversion {
		t.change(canonical(parentName), parent, func() {
			parent.stat.Cversion = cversion
			parent.stat.Pzxid = zxid
		})
	}
	return NodeExists
}

// deleteNode removes a node (DataTree.deleteNode). The parent's pzxid is raised to zxid
// even when the child is already gone (fuzzy-snapshot replay); cversion is unchanged.
func (t *Tree) deleteNode(path string, zxid int64, ev *events) Code {
	parentName, childName, ok := parentOf(path)
	if !ok || childName == "" || parentName == RootPath {
		return NoNode // a corrupt log's path, as in createNode
	}
	parent := t.get(parentName)
	if parent == nil {
		return NoNode
	}
	t.change(canonical(parentName), parent, func() {
		parent.children.remove(childName)
		if zxid > parent.stat.Pzxid {
			parent.stat.Pzxid = zxid
		}
	})
	n := t.nodes[path]
	if n == nil || path == RootPath {
		return NoNode
	}
	t.digest -= n.digest
	delete(t.nodes, path)
	t.acls.removeUsage(n.acl)
	t.unregisterOwner(path, n.stat.EphemeralOwner)
	fired := t.dataWatches.trigger(path, EventNodeDeleted, nil)
	ev.add(fired, EventNodeDeleted, path, zxid)
	ev.add(t.childWatches.trigger(path, EventNodeDeleted, fired), EventNodeDeleted, path, zxid)
	parentPath := canonical(parentName)
	ev.add(t.childWatches.trigger(parentPath, EventNodeChildrenChanged, nil), EventNodeChildrenChanged, parentPath, zxid)
	return OK
}

// setData replaces data and sets the version given by the txn (absolute).
func (t *Tree) setData(path string, data []byte, version int32, hdr TxnHeader, ev *events) (*Stat, Code) {
	n := t.get(path)
	if n == nil {
		return nil, NoNode
	}
	t.change(canonical(path), n, func() {
		n.data = data
		n.stat.Mtime = hdr.Time
		n.stat.Mzxid = hdr.Zxid
		n.stat.Version = version
	})
	st := n.clientStat(t.extendedTypes)
	ev.add(t.dataWatches.trigger(canonical(path), EventNodeDataChanged, nil), EventNodeDataChanged, canonical(path), hdr.Zxid)
	return &st, OK
}

// setACL replaces the ACL and sets aversion to the txn's version. No watch fires.
func (t *Tree) setACL(path string, acl []ACL, version int32) (*Stat, Code) {
	n := t.get(path)
	if n == nil {
		return nil, NoNode
	}
	t.acls.removeUsage(n.acl)
	t.change(canonical(path), n, func() {
		n.stat.Aversion = version
		n.acl = t.acls.convert(acl)
	})
	st := n.clientStat(t.extendedTypes)
	return &st, OK
}

// killSession deletes the paths listed in the closeSession txn, then any ephemeral of
// the session the list missed (DataTree.killSession); missing nodes are skipped.
func (t *Tree) killSession(session, zxid int64, listed []string, ev *events) {
	local := t.ephemerals[session]
	delete(t.ephemerals, session)
	for _, p := range listed {
		t.deleteNode(p, zxid, ev)
	}
	if local == nil {
		return
	}
	for _, p := range listed {
		local.remove(p)
	}
	for _, p := range local.ordered(javaStringHash) {
		t.deleteNode(p, zxid, ev)
	}
}
