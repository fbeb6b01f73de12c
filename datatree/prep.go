package datatree

import (
	"fmt"
	"slices"
	"strings"
)

// Sessions is what the Prepper asks the server about the requesting session. The server
// owns the session tracker (ids, timeouts, owners, expiry); the tree only knows which
// ephemerals a session owns.
type Sessions interface {
	// CheckSession returns OK for a live session owned by the requester; SessionExpired
	// for an unknown or closing session; SessionMoved for one owned elsewhere
	// (SessionTracker.checkSession).
	CheckSession(sessionID int64) Code
	// CheckGlobalSession is CheckSession for an ephemeral create: a local session that
	// cannot be upgraded gives EphemeralOnLocalSession (checkGlobalSession).
	CheckGlobalSession(sessionID int64) Code
}

// Request is a client write as the Prepper sees it (the decoded request record plus the
// session id and cxid of its packet).
type Request struct {
	SessionID int64
	Cxid      int32
	Type      OpCode
	Path      string
	Data      []byte
	ACL       []ACL
	Mode      CreateMode // create flags
	Version   int32      // expected version; -1 matches any
	TTL       int64      // ms; createTTL only
	TimeoutMs int32      // createSession only
	Ops       []Request  // multi only; each op's SessionID and Cxid are ignored
	Auth      []ID       // the connection's authenticated ids (for ACL checks)
}

// IsWrite reports whether a request of this type is prepped into a txn.
func IsWrite(op OpCode) bool {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpDeleteContainer,
		OpSetData, OpSetACL, OpCheck, OpMulti, OpCreateSession, OpCloseSession:
		return true
	}
	return false
}

// changeRecord is ZooKeeper's ChangeRecord: the state a path will have once the
// prepped-but-unapplied txn with this zxid is applied. stat nil means deleted.
type changeRecord struct {
	zxid       int64
	path       string
	stat       *StatPersisted
	childCount int32
	acl        []ACL
	data       []byte
	nodeDigest uint64 // the node's digest term in this state
	treeDigest uint64 // the tree digest once this change is applied
}

func (c *changeRecord) duplicate(zxid int64) *changeRecord {
	d := *c
	d.zxid = zxid
	if c.stat != nil {
		s := *c.stat
		d.stat = &s
	}
	return &d
}

// Prepper is ZooKeeper's PrepRequestProcessor with its outstandingChanges: it turns
// client writes into txns, validating each against the tree plus the changes of earlier
// prepped txns not yet applied, in ZooKeeper's order and with its error codes.
type Prepper struct {
	tree     *Tree
	sessions Sessions
	changes  []*changeRecord          // outstandingChanges, in prep order
	byPath   map[string]*changeRecord // outstandingChangesForPath (literal path keys)
}

// NewPrepper returns a Prepper over tree, asking sessions about sessions.
func NewPrepper(tree *Tree, sessions Sessions) *Prepper {
	return &Prepper{tree: tree, sessions: sessions, byPath: map[string]*changeRecord{}}
}

// Outstanding returns the number of change records not yet dropped by Applied.
func (p *Prepper) Outstanding() int { return len(p.changes) }

// Applied drops the change records of txns with zxid <= zxid, which the tree now
// reflects (FinalRequestProcessor). Call it after every ProcessTxn of a prepped txn.
func (p *Prepper) Applied(zxid int64) {
	i := 0
	for ; i < len(p.changes) && p.changes[i].zxid <= zxid; i++ {
		c := p.changes[i]
		if p.byPath[c.path] == c {
			delete(p.byPath, c.path)
		}
	}
	p.changes = slices.Delete(p.changes, 0, i)
}

// Reset forgets every outstanding change (a new leader starts from its tree).
func (p *Prepper) Reset() {
	p.changes = nil
	p.byPath = map[string]*changeRecord{}
}

// prepError is a validation failure: the code that goes into the ErrorTxn.
type prepError struct{ code Code }

func (e prepError) Error() string { return "datatree: prep: " + e.code.String() }

func fail(c Code) error { return prepError{c} }

// Prep turns a write into a txn entry at the zxid and time the caller chose. A request
// that fails validation becomes an ErrorTxn (header type error, no digest) — the zxid
// is consumed either way. Successful entries carry the digest the tree will have after
// applying them and every earlier prepped txn. Reads are not prepped: Prep panics on a
// type IsWrite rejects (the server checks the session of a read itself).
func (p *Prepper) Prep(req *Request, zxid, timeMs int64) TxnEntry {
	if !IsWrite(req.Type) {
		panic(fmt.Sprintf("datatree: Prep called with the non-write op %s", OpName(req.Type)))
	}
	hdr := TxnHeader{ClientID: req.SessionID, Cxid: req.Cxid, Zxid: zxid, Time: timeMs, Type: req.Type}
	if req.Type == OpMulti {
		return p.prepMulti(req, hdr)
	}
	txn, digest, err := p.prepOp(req.Type, req, &hdr)
	if err != nil {
		hdr.Type = OpError
		return TxnEntry{Header: hdr, Txn: &ErrorTxn{Err: codeOf(err)}}
	}
	if digest == nil {
		digest = &TxnDigest{Version: DigestVersion, TreeDigest: int64(p.currentTreeDigest())}
	}
	return TxnEntry{Header: hdr, Txn: txn, Digest: digest}
}

func codeOf(err error) Code {
	if pe, ok := err.(prepError); ok {
		return pe.code
	}
	panic(fmt.Sprintf("datatree: unexpected prep error %v", err))
}

// prepMulti preps each sub-op in turn on top of the earlier ones; after the first
// failure the rest become ErrorTxn(RUNTIMEINCONSISTENCY) and the multi's change records
// are rolled back. The multi always carries the (resulting) tree digest.
func (p *Prepper) prepMulti(req *Request, hdr TxnHeader) TxnEntry {
	for _, op := range req.Ops {
		if !multiOpAllowed(op.Type) {
			// ZooKeeper cannot even parse such a multi: the whole request becomes
			// ErrorTxn(MARSHALLINGERROR), with no digest.
			hdr.Type = OpError
			return TxnEntry{Header: hdr, Txn: &ErrorTxn{Err: MarshallingError}}
		}
	}
	saved := p.pendingFor(req.Ops)
	ops := make([]MultiOp, 0, len(req.Ops))
	failed := false
	for i := range req.Ops {
		sub := req.Ops[i]
		sub.SessionID, sub.Cxid, sub.Auth = req.SessionID, req.Cxid, req.Auth
		if failed {
			ops = append(ops, MultiOp{Type: OpError, Txn: &ErrorTxn{Err: RuntimeInconsistency}})
			continue
		}
		txn, _, err := p.prepOp(sub.Type, &sub, &hdr)
		if err != nil {
			failed = true
			ops = append(ops, MultiOp{Type: OpError, Txn: &ErrorTxn{Err: codeOf(err)}})
			p.rollback(hdr.Zxid, saved)
			continue
		}
		ops = append(ops, MultiOp{Type: sub.Type, Txn: txn})
	}
	digest := &TxnDigest{Version: DigestVersion, TreeDigest: int64(p.currentTreeDigest())}
	return TxnEntry{Header: hdr, Txn: &MultiTxn{Ops: ops}, Digest: digest}
}

// multiOpAllowed reports whether a multi may carry an op (MultiOperationRecord's write
// ops).
func multiOpAllowed(op OpCode) bool {
	switch op {
	case OpCreate, OpCreate2, OpCreateTTL, OpCreateContainer, OpDelete, OpSetData, OpCheck:
		return true
	}
	return false
}

// pendingFor saves the current change records of the ops' paths and their parents, to
// restore them if the multi fails (getPendingChanges, ZOOKEEPER-1624).
func (p *Prepper) pendingFor(ops []Request) []*changeRecord {
	var saved []*changeRecord
	for _, op := range ops {
		if c := p.byPath[op.Path]; c != nil {
			saved = append(saved, c)
		}
		i := strings.LastIndexByte(op.Path, '/')
		if i < 0 || strings.IndexByte(op.Path, 0) >= 0 {
			continue
		}
		if c := p.byPath[op.Path[:i]]; c != nil {
			saved = append(saved, c)
		}
	}
	return saved
}

// rollback removes the failed multi's records and restores the saved ones that are
// still outstanding (rollbackPendingChanges).
func (p *Prepper) rollback(zxid int64, saved []*changeRecord) {
	for len(p.changes) > 0 && p.changes[len(p.changes)-1].zxid == zxid {
		c := p.changes[len(p.changes)-1]
		p.changes = p.changes[:len(p.changes)-1]
		delete(p.byPath, c.path)
	}
	if len(p.changes) == 0 {
		return
	}
	first := p.changes[0].zxid
	for _, c := range saved {
		if c.zxid >= first {
			p.byPath[c.path] = c
		}
	}
}

// prepOp preps one op (pRequest2Txn). It returns the txn and, for ops that change a
// node, the precalculated digest.
func (p *Prepper) prepOp(op OpCode, req *Request, hdr *TxnHeader) (Txn, *TxnDigest, error) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		return p.prepCreate(op, req, hdr)
	case OpDelete:
		return p.prepDelete(req, hdr, true)
	case OpDeleteContainer:
		return p.prepDelete(req, hdr, false)
	case OpSetData:
		return p.prepSetData(req, hdr)
	case OpSetACL:
		return p.prepSetACL(req, hdr)
	case OpCheck:
		return p.prepCheck(req)
	case OpCreateSession:
		return &CreateSessionTxn{TimeoutMs: req.TimeoutMs}, nil, nil
	case OpCloseSession:
		return p.prepCloseSession(req, hdr)
	}
	panic(fmt.Sprintf("datatree: prepOp given the op %s", OpName(op)))
}

func (p *Prepper) checkSession(id int64) error {
	if c := p.sessions.CheckSession(id); c != OK {
		return fail(c)
	}
	return nil
}

func (p *Prepper) prepCreate(op OpCode, req *Request, hdr *TxnHeader) (Txn, *TxnDigest, error) {
	ttl := int64(-1)
	if op == OpCreateTTL {
		ttl = req.TTL
	}
	path, parentPath, acl, parent, err := p.checkCreate(req, ttl)
	if err != nil {
		return nil, nil, err
	}
	newCversion := parent.stat.Cversion + 1
	txn := createTxnFor(op, req, path, acl, newCversion, ttl)
	parent = parent.duplicate(hdr.Zxid)
	parent.childCount++
	parent.stat.Cversion = newCversion
	parent.stat.Pzxid = hdr.Zxid
	p.addUpdate(parentPath, parent)
	stat := &StatPersisted{Czxid: hdr.Zxid, Mzxid: hdr.Zxid, Pzxid: hdr.Zxid, Ctime: hdr.Time, Mtime: hdr.Time,
		EphemeralOwner: ownerFor(req, ttl)}
	rec := &changeRecord{zxid: hdr.Zxid, path: path, stat: stat, acl: acl, data: req.Data}
	rec.nodeDigest = nodeDigest(path, rec.data, stat)
	rec.treeDigest = p.currentTreeDigest() + rec.nodeDigest
	p.add(rec)
	return txn, digestOf(rec), nil
}

// checkCreate runs a create's checks in ZooKeeper's order and returns the final path
// (with any sequential suffix), the parent's path and record, and the fixed-up ACL.
func (p *Prepper) checkCreate(req *Request, ttl int64) (path, parentPath string, acl []ACL, parent *changeRecord, err error) {
	if !req.Mode.Valid() {
		return "", "", nil, nil, fail(BadArguments)
	}
	if err = p.validateCreate(req, req.Mode, ttl); err != nil {
		return
	}
	path = req.Path
	if parentPath, err = parentForCreate(path); err != nil {
		return
	}
	if acl, err = fixupACL(req.ACL, req.Auth); err != nil {
		return
	}
	if parent, err = p.recordFor(parentPath); err != nil {
		return
	}
	if err = checkACL(parent.acl, PermCreate, req.Auth); err != nil {
		return
	}
	if req.Mode.IsSequential() {
		path += fmt.Sprintf("%010d", parent.stat.Cversion)
	}
	switch {
	case ValidatePath(path) != nil:
		err = fail(BadArguments)
	case p.exists(path):
		err = fail(NodeExists)
	case kindOf(parent.stat.EphemeralOwner, p.tree.extendedTypes) == kindEphemeral:
		err = fail(NoChildrenForEphemerals)
	}
	return
}

// exists reports whether path exists once the outstanding changes are applied.
func (p *Prepper) exists(path string) bool {
	_, err := p.recordFor(path)
	return err == nil
}

// createTxnFor builds the txn record: its type follows the op code, not the flags.
func createTxnFor(op OpCode, req *Request, path string, acl []ACL, cversion int32, ttl int64) Txn {
	switch op {
	case OpCreateContainer:
		return &CreateContainerTxn{Path: path, Data: req.Data, ACL: acl, ParentCVersion: cversion}
	case OpCreateTTL:
		return &CreateTTLTxn{Path: path, Data: req.Data, ACL: acl, ParentCVersion: cversion, TTL: ttl}
	}
	return &CreateTxn{Path: path, Data: req.Data, ACL: acl, Ephemeral: req.Mode.IsEphemeral(), ParentCVersion: cversion}
}

// ownerFor is the ephemeralOwner the new node will have: it follows the flags.
func ownerFor(req *Request, ttl int64) int64 {
	switch {
	case req.Mode.IsContainer():
		return ContainerOwner
	case req.Mode.IsTTL():
		return TTLOwner(ttl)
	case req.Mode.IsEphemeral():
		return req.SessionID
	}
	return 0
}

// validateCreate is validateCreateRequest: TTL support and range, then the session.
func (p *Prepper) validateCreate(req *Request, mode CreateMode, ttl int64) error {
	if mode.IsTTL() && !p.tree.extendedTypes {
		return fail(Unimplemented)
	}
	if mode.IsTTL() && (ttl <= 0 || ttl > MaxTTLMs) || !mode.IsTTL() && ttl >= 0 {
		return fail(BadArguments)
	}
	check := p.sessions.CheckSession
	if mode.IsEphemeral() {
		check = p.sessions.CheckGlobalSession
	}
	if c := check(req.SessionID); c != OK {
		return fail(c)
	}
	return nil
}

// parentForCreate is validatePathForCreate: the path needs a '/' and no NUL.
func parentForCreate(path string) (string, error) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 || strings.IndexByte(path, 0) >= 0 {
		return "", fail(BadArguments)
	}
	return path[:i], nil
}

// parentForDelete is getParentPathAndValidate: also refuses the four reserved paths.
func parentForDelete(path string) (string, error) {
	switch path {
	case RootPath, ZooKeeperPath, QuotaPath, ConfigPath:
		return "", fail(BadArguments)
	}
	return parentForCreate(path)
}

func (p *Prepper) prepDelete(req *Request, hdr *TxnHeader, plain bool) (Txn, *TxnDigest, error) {
	path := req.Path
	if plain {
		if err := p.checkSession(req.SessionID); err != nil {
			return nil, nil, err
		}
	}
	parentPath, err := parentForDelete(path)
	if err != nil {
		return nil, nil, err
	}
	var parent, rec *changeRecord
	if plain {
		if parent, err = p.recordFor(parentPath); err != nil {
			return nil, nil, err
		}
		if err := checkACL(parent.acl, PermDelete, req.Auth); err != nil {
			return nil, nil, err
		}
	}
	if rec, err = p.recordFor(path); err != nil {
		return nil, nil, err
	}
	if plain {
		if _, err := checkVersion(rec.stat.Version, req.Version); err != nil {
			return nil, nil, err
		}
	}
	if rec.childCount > 0 {
		return nil, nil, fail(NotEmpty)
	}
	if !plain {
		// deleteContainer: only for containers and TTL nodes, then the parent.
		if kindOf(rec.stat.EphemeralOwner, p.tree.extendedTypes) == kindEphemeral {
			return nil, nil, fail(BadVersion)
		}
		if parent, err = p.recordFor(parentPath); err != nil {
			return nil, nil, err
		}
	}
	parent = parent.duplicate(hdr.Zxid)
	parent.childCount--
	parent.stat.Pzxid = hdr.Zxid
	p.addUpdate(parentPath, parent)
	return &DeleteTxn{Path: path}, p.addRemove(path, hdr.Zxid, -1), nil
}

func (p *Prepper) prepSetData(req *Request, hdr *TxnHeader) (Txn, *TxnDigest, error) {
	rec, err := p.writableRecord(req, PermWrite)
	if err != nil {
		return nil, nil, err
	}
	version, err := checkVersion(rec.stat.Version, req.Version)
	if err != nil {
		return nil, nil, err
	}
	rec = rec.duplicate(hdr.Zxid)
	rec.stat.Version = version
	rec.stat.Mtime = hdr.Time
	rec.stat.Mzxid = hdr.Zxid
	rec.data = req.Data
	p.addUpdate(req.Path, rec)
	return &SetDataTxn{Path: req.Path, Data: req.Data, Version: version}, digestOf(rec), nil
}

// writableRecord runs the checks setData and check share: session, path, node, ACL.
func (p *Prepper) writableRecord(req *Request, perm int32) (*changeRecord, error) {
	if err := p.checkSession(req.SessionID); err != nil {
		return nil, err
	}
	if ValidatePath(req.Path) != nil {
		return nil, fail(BadArguments)
	}
	rec, err := p.recordFor(req.Path)
	if err != nil {
		return nil, err
	}
	return rec, checkACL(rec.acl, perm, req.Auth)
}

func (p *Prepper) prepSetACL(req *Request, hdr *TxnHeader) (Txn, *TxnDigest, error) {
	if err := p.checkSession(req.SessionID); err != nil {
		return nil, nil, err
	}
	if ValidatePath(req.Path) != nil {
		return nil, nil, fail(BadArguments)
	}
	acl, err := fixupACL(req.ACL, req.Auth)
	if err != nil {
		return nil, nil, err
	}
	rec, err := p.recordFor(req.Path)
	if err != nil {
		return nil, nil, err
	}
	if err := checkACL(rec.acl, PermAdmin, req.Auth); err != nil {
		return nil, nil, err
	}
	version, err := checkVersion(rec.stat.Aversion, req.Version)
	if err != nil {
		return nil, nil, err
	}
	rec = rec.duplicate(hdr.Zxid)
	rec.stat.Aversion = version
	rec.acl = acl
	p.addUpdate(req.Path, rec)
	return &SetACLTxn{Path: req.Path, ACL: acl, Version: version}, digestOf(rec), nil
}

func (p *Prepper) prepCheck(req *Request) (Txn, *TxnDigest, error) {
	rec, err := p.writableRecord(req, PermRead)
	if err != nil {
		return nil, nil, err
	}
	version, err := checkVersion(rec.stat.Version, req.Version)
	if err != nil {
		return nil, nil, err
	}
	return &CheckVersionTxn{Path: req.Path, Version: version}, nil, nil
}

// prepCloseSession lists the session's ephemerals — the tree's, plus pending creates,
// minus pending deletes — and records their removal. Like ZooKeeper (with digests on)
// it raises each parent's pzxid in the change records but not its child count.
// The paths are listed in the order ZooKeeper's HashSet gives them.
func (p *Prepper) prepCloseSession(req *Request, hdr *TxnHeader) (Txn, *TxnDigest, error) {
	var es jset[string]
	if set := p.tree.ephemerals[req.SessionID]; set != nil {
		es = set.copyJava(javaStringHash)
	}
	for _, c := range p.changes {
		if c.stat == nil {
			es.remove(c.path)
		} else if c.stat.EphemeralOwner == req.SessionID {
			es.add(c.path, capLogDefault, javaStringHash)
		}
	}
	paths := es.ordered(javaStringHash)
	for _, path := range paths {
		parentPath, err := parentForDelete(path)
		if err != nil {
			return nil, nil, err
		}
		parent, err := p.recordFor(parentPath)
		if err != nil {
			return nil, nil, err
		}
		parent = parent.duplicate(hdr.Zxid)
		parent.stat.Pzxid = hdr.Zxid
		p.addUpdate(parentPath, parent)
		if _, err := p.recordFor(path); err != nil {
			return nil, nil, err
		}
		p.addRemove(path, hdr.Zxid, 0)
	}
	return &CloseSessionTxn{Paths: paths}, nil, nil
}

// checkVersion is checkAndIncVersion: expected -1 matches any version.
func checkVersion(current, expected int32) (int32, error) {
	if expected != -1 && expected != current {
		return 0, fail(BadVersion)
	}
	return current + 1, nil
}

// recordFor is getRecordForPath: the latest outstanding change of path, else the tree's
// node; NoNode if neither or if the latest change deletes it.
func (p *Prepper) recordFor(path string) (*changeRecord, error) {
	if c := p.byPath[path]; c != nil {
		if c.stat == nil {
			return nil, fail(NoNode)
		}
		return c, nil
	}
	n := p.tree.get(path)
	if n == nil {
		return nil, fail(NoNode)
	}
	st := n.stat
	return &changeRecord{zxid: -1, path: path, stat: &st, childCount: n.numChildren(),
		acl: p.tree.acls.lookup(n.acl), data: n.data, nodeDigest: n.digest}, nil
}

// currentTreeDigest is the tree digest once every outstanding change is applied.
func (p *Prepper) currentTreeDigest() uint64 {
	if len(p.changes) == 0 {
		return p.tree.digest
	}
	return p.changes[len(p.changes)-1].treeDigest
}

// addUpdate computes rec's digests as an UPDATE of path's current record and adds it.
func (p *Prepper) addUpdate(path string, rec *changeRecord) {
	prev, err := p.recordFor(path)
	if err != nil {
		panic(fmt.Sprintf("datatree: prep updates %q, which has no record", path))
	}
	rec.nodeDigest = nodeDigest(path, rec.data, rec.stat)
	rec.treeDigest = p.currentTreeDigest() - prev.nodeDigest + rec.nodeDigest
	p.add(rec)
}

// addRemove adds a deletion record for path and returns the resulting digest.
func (p *Prepper) addRemove(path string, zxid int64, childCount int32) *TxnDigest {
	prev, err := p.recordFor(path)
	if err != nil {
		panic(fmt.Sprintf("datatree: prep removes %q, which has no record", path))
	}
	rec := &changeRecord{zxid: zxid, path: path, childCount: childCount}
	rec.treeDigest = p.currentTreeDigest() - prev.nodeDigest
	p.add(rec)
	return digestOf(rec)
}

func (p *Prepper) add(rec *changeRecord) {
	p.changes = append(p.changes, rec)
	p.byPath[rec.path] = rec
}

func digestOf(rec *changeRecord) *TxnDigest {
	return &TxnDigest{Version: DigestVersion, TreeDigest: int64(rec.treeDigest)}
}

// CheckACL reports whether a connection with the ids auth may do perm on a node whose
// ACL is acls: OK or NoAuth, by the rules Prep uses. Reads are not checked by the tree;
// a server checks them with GetACL's list and PermRead (getData, getChildren, exists
// does not check) as FinalRequestProcessor does.
func CheckACL(acls []ACL, perm int32, auth []ID) Code {
	if checkACL(acls, perm, auth) != nil {
		return NoAuth
	}
	return OK
}

// checkACL is ZooKeeperServer.checkACL for the schemes modelled here: an empty list
// allows all, a "super" id allows all, world:anyone matches everyone, and any other id
// matches an identical id in auth.
func checkACL(acls []ACL, perm int32, auth []ID) error {
	if len(acls) == 0 {
		return nil
	}
	for _, id := range auth {
		if id.Scheme == "super" {
			return nil
		}
	}
	for _, a := range acls {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID == (ID{Scheme: "world", ID: "anyone"}) || slices.Contains(auth, a.ID) {
			return nil
		}
	}
	return fail(NoAuth)
}

// fixupACL is PrepRequestProcessor.fixupACL: duplicates removed, an empty list is
// INVALIDACL, "auth" expands to the requester's ids (INVALIDACL if it has none), and
// ids of unknown schemes (or a digest id without one ':') are INVALIDACL.
func fixupACL(acls []ACL, auth []ID) ([]ACL, error) {
	var uniq []ACL
	for _, a := range acls {
		if !slices.Contains(uniq, a) {
			uniq = append(uniq, a)
		}
	}
	if len(uniq) == 0 {
		return nil, fail(InvalidACL)
	}
	out := make([]ACL, 0, len(uniq))
	for _, a := range uniq {
		switch a.ID.Scheme {
		case "world":
			if a.ID.ID != "anyone" {
				return nil, fail(InvalidACL)
			}
			out = append(out, a)
		case "auth":
			if len(auth) == 0 {
				return nil, fail(InvalidACL)
			}
			for _, id := range auth {
				out = append(out, ACL{Perms: a.Perms, ID: id})
			}
		case "digest":
			if strings.Count(a.ID.ID, ":") != 1 {
				return nil, fail(InvalidACL)
			}
			out = append(out, a)
		case "ip", "super", "sasl", "x509":
			out = append(out, a)
		default:
			return nil, fail(InvalidACL)
		}
	}
	return out, nil
}
