package datatree

import (
	"encoding/binary"

	"github.com/zabsim/zabsim/internal/jute"
)

// StatPersisted is the stat stored with every node, in snapshots and in the digest
// (org.apache.zookeeper.data.StatPersisted). Cversion counts child creations only.
type StatPersisted struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64 // ms, from the creating txn's header
	Mtime          int64 // ms, from the last setData (or create) txn's header
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64 // session id; ContainerOwner for containers; TTL marker for TTL nodes
	Pzxid          int64
}

// Stat is what a client sees (org.apache.zookeeper.data.Stat): Cversion is translated
// to 2×persisted − NumChildren, and EphemeralOwner is 0 for containers and TTL nodes.
type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

// Encode writes the StatPersisted jute record.
func (s *StatPersisted) Encode(e *jute.Encoder) {
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

// Decode reads the StatPersisted jute record.
func (s *StatPersisted) Decode(d *jute.Decoder) {
	s.Czxid = d.Long("stat czxid")
	s.Mzxid = d.Long("stat mzxid")
	s.Ctime = d.Long("stat ctime")
	s.Mtime = d.Long("stat mtime")
	s.Version = d.Int("stat version")
	s.Cversion = d.Int("stat cversion")
	s.Aversion = d.Int("stat aversion")
	s.EphemeralOwner = d.Long("stat ephemeralOwner")
	s.Pzxid = d.Long("stat pzxid")
}

// Encode writes the client Stat jute record (as in a getData reply).
func (s *Stat) Encode(e *jute.Encoder) {
	e.Long(s.Czxid)
	e.Long(s.Mzxid)
	e.Long(s.Ctime)
	e.Long(s.Mtime)
	e.Int(s.Version)
	e.Int(s.Cversion)
	e.Int(s.Aversion)
	e.Long(s.EphemeralOwner)
	e.Int(s.DataLength)
	e.Int(s.NumChildren)
	e.Long(s.Pzxid)
}

// Decode reads the client Stat jute record.
func (s *Stat) Decode(d *jute.Decoder) {
	s.Czxid = d.Long("stat czxid")
	s.Mzxid = d.Long("stat mzxid")
	s.Ctime = d.Long("stat ctime")
	s.Mtime = d.Long("stat mtime")
	s.Version = d.Int("stat version")
	s.Cversion = d.Int("stat cversion")
	s.Aversion = d.Int("stat aversion")
	s.EphemeralOwner = d.Long("stat ephemeralOwner")
	s.DataLength = d.Int("stat dataLength")
	s.NumChildren = d.Int("stat numChildren")
	s.Pzxid = d.Long("stat pzxid")
}

// ContainerOwner is the ephemeralOwner ZooKeeper stores for containers (Long.MIN_VALUE).
const ContainerOwner int64 = -1 << 63

// MaxTTLMs is the largest TTL a TTL node may carry (EphemeralType.MAX_TTL).
const MaxTTLMs int64 = 0x00ffffffffff

// ttlMask marks a TTL owner: the top byte 0xff and the next two bytes zero
// (EphemeralType.EXTENDED_MASK with the TTL feature type 0).
const ttlMask = int64(-1) << 56

// TTLOwner is the ephemeralOwner stored for a TTL node (EphemeralType.TTL.toEphemeralOwner).
func TTLOwner(ttlMs int64) int64 { return ttlMask | ttlMs }

// nodeKind classifies an ephemeralOwner as ZooKeeper's EphemeralType.get does.
type nodeKind int

const (
	kindPersistent nodeKind = iota // owner 0
	kindEphemeral                  // a session id
	kindContainer
	kindTTL
)

// kindOf classifies owner. TTL owners are recognised only when extended types are on,
// exactly as ZooKeeper (without them such an owner is an ordinary session id).
func kindOf(owner int64, extendedTypes bool) nodeKind {
	switch {
	case owner == 0:
		return kindPersistent
	case owner == ContainerOwner:
		return kindContainer
	case extendedTypes && owner&(int64(-1)<<40) == ttlMask:
		return kindTTL
	default:
		return kindEphemeral
	}
}

// ID is an ACL identity (org.apache.zookeeper.data.Id).
type ID struct {
	Scheme string
	ID     string
}

// ACL is one access-control entry (org.apache.zookeeper.data.ACL).
type ACL struct {
	Perms int32
	ID    ID
}

// OpenACLUnsafe is world:anyone with all permissions (ZooDefs.Ids.OPEN_ACL_UNSAFE).
var OpenACLUnsafe = []ACL{{Perms: PermAll, ID: ID{Scheme: "world", ID: "anyone"}}}

// ReadACLUnsafe is world:anyone read-only (ZooDefs.Ids.READ_ACL_UNSAFE).
var ReadACLUnsafe = []ACL{{Perms: PermRead, ID: ID{Scheme: "world", ID: "anyone"}}}

// encodeACLs writes a jute vector<ACL>; a nil list is written as a null vector (-1).
func encodeACLs(e *jute.Encoder, acls []ACL) {
	if acls == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(acls)))
	for _, a := range acls {
		e.Int(a.Perms)
		e.String(a.ID.Scheme)
		e.String(a.ID.ID)
	}
}

// decodeACLs reads a jute vector<ACL>; each element needs at least 12 bytes.
func decodeACLs(d *jute.Decoder) []ACL {
	if skipNullVector(d) {
		return nil
	}
	n := d.VectorLen("acl", 12)
	acls := make([]ACL, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		var a ACL
		a.Perms = d.Int("acl perms")
		a.ID.Scheme = d.String("acl scheme")
		a.ID.ID = d.String("acl id")
		acls = append(acls, a)
	}
	return acls
}

// skipNullVector consumes a null vector count (-1) and reports whether it did, so that
// a null list and an empty list both survive a decode/encode round trip byte for byte.
func skipNullVector(d *jute.Decoder) bool {
	r := d.Rest()
	if d.Err() == nil && len(r) >= 4 && binary.BigEndian.Uint32(r) == 0xffffffff {
		d.Int("null vector")
		return true
	}
	return false
}
