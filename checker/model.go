package checker

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/zabsim/zabsim/zab/clientproto"
)

// This file is the checker's own model of the znode tree, written independently of
// package datatree. One zstate is the part of the tree one Porcupine partition covers.
// States are immutable: apply returns a new state and never touches the old one.

// znode is one node of the model.
type znode struct {
	path     string
	data     string
	version  int32
	owner    int64 // ephemeral owner session, 0 if persistent
	phantoms int32 // children an unknown sequential create may have added (names unknown)
}

// seqMark is the highest sequential suffix handed out under a parent, as observed.
type seqMark struct {
	parent string
	max    int64
}

// zstate is the model state of a partition.
type zstate struct {
	nodes  []znode   // sorted by path
	seqs   []seqMark // sorted by parent
	closed []int64   // sessions whose sessionEnd was linearized, sorted
	key    string    // canonical encoding, for Equal and Hash
}

func newState(nodes []znode, seqs []seqMark, closed []int64) *zstate {
	s := &zstate{nodes: nodes, seqs: seqs, closed: closed}
	b := make([]byte, 0, 64*len(nodes)+16)
	for _, n := range nodes {
		b = append(append(b, n.path...), 0)
		b = append(append(b, n.data...), 0)
		b = strconv.AppendInt(b, int64(n.version), 10)
		b = strconv.AppendInt(append(b, ','), n.owner, 10)
		b = strconv.AppendInt(append(b, ','), int64(n.phantoms), 10)
		b = append(b, 1)
	}
	b = append(b, 2)
	for _, m := range seqs {
		b = strconv.AppendInt(append(append(b, m.parent...), 0), m.max, 10)
		b = append(b, 1)
	}
	b = append(b, 2)
	for _, c := range closed {
		b = append(strconv.AppendInt(b, c, 10), 1)
	}
	s.key = string(b)
	return s
}

func (s *zstate) hash() uint64 {
	h := fnv.New64a()
	h.Write([]byte(s.key))
	return h.Sum64()
}

func (s *zstate) find(path string) (int, bool) {
	return slices.BinarySearchFunc(s.nodes, path, func(n znode, p string) int { return strings.Compare(n.path, p) })
}

func (s *zstate) seqMax(parent string) int64 {
	i, ok := slices.BinarySearchFunc(s.seqs, parent, func(m seqMark, p string) int { return strings.Compare(m.parent, p) })
	if !ok {
		return -1
	}
	return s.seqs[i].max
}

// numChildren counts the children of path in the model, and reports whether the count is
// exact (no phantom children).
func (s *zstate) numChildren(path string) (n int32, exact bool) {
	prefix := path + "/"
	if path == "/" {
		prefix = "/"
	}
	i, _ := s.find(prefix)
	for ; i < len(s.nodes) && strings.HasPrefix(s.nodes[i].path, prefix); i++ {
		if !strings.Contains(s.nodes[i].path[len(prefix):], "/") {
			n++
		}
	}
	j, ok := s.find(path)
	if ok && s.nodes[j].phantoms > 0 {
		return n, false
	}
	return n, true
}

func (s *zstate) isClosed(session int64) bool {
	_, ok := slices.BinarySearch(s.closed, session)
	return ok
}

// draft is a mutable copy of a state used while one op (or one multi) is applied.
type draft struct {
	nodes  []znode
	seqs   []seqMark
	closed []int64
	base   *zstate
	dirty  bool
}

func (s *zstate) edit() *draft {
	return &draft{nodes: s.nodes, seqs: s.seqs, closed: s.closed, base: s}
}

func (d *draft) view() *zstate {
	if !d.dirty {
		return d.base
	}
	return &zstate{nodes: d.nodes, seqs: d.seqs, closed: d.closed}
}

func (d *draft) done() *zstate {
	if !d.dirty {
		return d.base
	}
	return newState(d.nodes, d.seqs, d.closed)
}

func (d *draft) find(path string) (int, bool) { return d.view().find(path) }

func (d *draft) put(n znode) {
	i, ok := d.find(n.path)
	nodes := slices.Clone(d.nodes)
	if ok {
		nodes[i] = n
	} else {
		nodes = slices.Insert(nodes, i, n)
	}
	d.nodes, d.dirty = nodes, true
}

func (d *draft) remove(path string) {
	if i, ok := d.find(path); ok {
		d.nodes, d.dirty = slices.Delete(slices.Clone(d.nodes), i, i+1), true
	}
}

func (d *draft) setSeq(parent string, v int64) {
	i, ok := slices.BinarySearchFunc(d.seqs, parent, func(m seqMark, p string) int { return strings.Compare(m.parent, p) })
	seqs := slices.Clone(d.seqs)
	if ok {
		seqs[i].max = v
	} else {
		seqs = slices.Insert(seqs, i, seqMark{parent: parent, max: v})
	}
	d.seqs, d.dirty = seqs, true
}

// env is what the model knows beside the state: parents assumed to exist (cut from the
// partition because they are stable) and parents whose child count is not partition-local.
type env struct {
	assumed map[string]bool // stable persistent paths outside the partition
	cut     map[string]bool // paths some of whose children live in other partitions
}

// outcome is what the model expects one write (or sub-op) to answer.
type outcome struct {
	err     clientproto.ErrCode
	created string // create: the created path ("" for a phantom)
	stat    *Stat  // setData/create: version, dataLength, numChildren (others zero)
	kidsOK  bool   // stat.NumChildren is exact and partition-local
	anyOK   bool   // the model cannot tell OK from the recorded error (phantom children)
}

// applySub applies one write to the draft and returns what ZooKeeper would answer. rec is
// the recorded answer's created path, used for sequential names (loose mode: any suffix
// above the last one seen under that parent).
func (d *draft) applySub(e *env, sub SubOp, session int64, recCreated string) outcome {
	switch sub.Kind {
	case KindCreate:
		return d.create(e, sub, session, recCreated)
	case KindDelete:
		return d.delete(e, sub)
	case KindSetData:
		return d.setData(e, sub)
	case KindCheck:
		_, out := d.versioned(sub)
		return out
	}
	panic(fmt.Sprintf("checker: model asked to apply %s", sub.Kind))
}

func (d *draft) parentState(e *env, parent string) (exists, ephemeral bool) {
	if parent == "/" || e.assumed[parent] {
		return true, false
	}
	i, ok := d.find(parent)
	if !ok {
		return false, false
	}
	return true, d.nodes[i].owner != 0
}

func (d *draft) create(e *env, sub SubOp, session int64, recCreated string) outcome {
	parent := parentOfSub(sub)
	exists, eph := d.parentState(e, parent)
	if !exists {
		return outcome{err: clientproto.ErrNoNode}
	}
	path := sub.Path
	if isSequential(sub.Flags) {
		if recCreated == "" {
			return d.phantomCreate(e, parent, eph)
		}
		suffix, ok := seqSuffix(sub.Path, recCreated)
		if !ok || suffix <= d.view().seqMax(parent) {
			return outcome{err: clientproto.ErrOK, created: "\x00bad-sequential-name"}
		}
		d.setSeq(parent, suffix)
		path = recCreated
	}
	if _, ok := d.find(path); ok {
		return outcome{err: clientproto.ErrNodeExists}
	}
	if eph {
		return outcome{err: clientproto.ErrNoChildrenForEphemerals}
	}
	owner := int64(0)
	if isEphemeral(sub.Flags) {
		owner = session
	}
	d.put(znode{path: path, data: string(sub.Data), owner: owner})
	return outcome{created: path, kidsOK: true,
		stat: &Stat{DataLength: int32(len(sub.Data)), EphemeralOwner: owner}}
}

// phantomCreate applies a sequential create whose name is unknown: a child that later
// reads may show, counted on the parent but not addressable.
func (d *draft) phantomCreate(e *env, parent string, parentEphemeral bool) outcome {
	if parentEphemeral {
		return outcome{err: clientproto.ErrNoChildrenForEphemerals}
	}
	if i, ok := d.find(parent); ok {
		n := d.nodes[i]
		n.phantoms++
		d.put(n)
	}
	return outcome{anyOK: true}
}

// seqSuffix checks that created is requested + a 10-digit suffix and returns the suffix.
func seqSuffix(requested, created string) (int64, bool) {
	if len(created) != len(requested)+10 || !strings.HasPrefix(created, requested) {
		return 0, false
	}
	digits := created[len(requested):]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	return v, err == nil
}

// versioned looks up the node a delete, setData or check targets and checks its expected
// version, in ZooKeeper's order: NoNode before BadVersion.
func (d *draft) versioned(sub SubOp) (znode, outcome) {
	i, ok := d.find(sub.Path)
	if !ok {
		return znode{}, outcome{err: clientproto.ErrNoNode}
	}
	n := d.nodes[i]
	if sub.Version != -1 && sub.Version != n.version {
		return n, outcome{err: clientproto.ErrBadVersion}
	}
	return n, outcome{}
}

func (d *draft) delete(e *env, sub SubOp) outcome {
	if _, out := d.versioned(sub); out.err != clientproto.ErrOK {
		return out
	}
	kids, exact := d.view().numChildren(sub.Path)
	if kids > 0 {
		return outcome{err: clientproto.ErrNotEmpty}
	}
	d.remove(sub.Path)
	return outcome{anyOK: !exact}
}

func (d *draft) setData(e *env, sub SubOp) outcome {
	n, out := d.versioned(sub)
	if out.err != clientproto.ErrOK {
		return out
	}
	n.data, n.version = string(sub.Data), n.version+1
	d.put(n)
	kids, exact := d.view().numChildren(sub.Path)
	return outcome{kidsOK: exact && !e.cut[sub.Path],
		stat: &Stat{Version: n.version, DataLength: int32(len(sub.Data)), NumChildren: kids, EphemeralOwner: n.owner}}
}

// endSession applies a session's end (close or expiry): its ephemerals in the partition go.
func (d *draft) endSession(session int64) {
	var keep []znode
	for _, n := range d.nodes {
		if n.owner != session {
			keep = append(keep, n)
		}
	}
	if len(keep) != len(d.nodes) {
		d.nodes, d.dirty = keep, true
	}
	i, ok := slices.BinarySearch(d.closed, session)
	if !ok {
		d.closed, d.dirty = slices.Insert(slices.Clone(d.closed), i, session), true
	}
}
