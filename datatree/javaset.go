package datatree

import (
	"cmp"
	"maps"
	"slices"
	"unicode/utf16"
)

// jset is a set that also keeps what is needed to list it in the order a
// java.util.HashSet/HashMap (OpenJDK 17) would iterate it: the table capacity, which
// grows as Java's does and never shrinks, and each key's insertion sequence. Java
// iterates bucket by bucket (bucket = spread(hashCode) & (capacity-1)) and, within a
// bucket, in insertion order — resizes split buckets without reordering them. ZooKeeper
// writes snapshots (children, ACL cache) and closeSession paths in that order, so
// keeping it makes those bytes equal to ZooKeeper's.
//
// Not modelled: buckets that Java turns into trees (9+ colliding keys in a table of 64+
// slots), whose order differs; such sets are listed in plain bucket/insertion order.
type jset[K comparable] struct {
	m      map[K]uint32 // key -> insertion sequence
	seq    uint32
	capLog uint8 // log2 of the table capacity; 0 until the table is allocated
}

// Initial capacities (log2) of the Java collections modelled.
const (
	capLogChildren = 3 // DataNode.addChild: new HashSet<>(8)
	capLogDefault  = 4 // new HashSet<>() / new HashMap<>(): 16
)

// clone copies the set with its bookkeeping (a Go copy, not Java's copy constructor).
func (s *jset[K]) clone() jset[K] {
	c := *s
	c.m = maps.Clone(s.m)
	return c
}

func (s *jset[K]) has(k K) bool { _, ok := s.m[k]; return ok }
func (s *jset[K]) len() int     { return len(s.m) }

// add inserts k as HashMap.putVal does, growing the table when a bucket reaches the
// treeify threshold in a small table or the size passes 3/4 of the capacity.
func (s *jset[K]) add(k K, initCapLog uint8, hash func(K) uint32) bool {
	if s.has(k) {
		return false
	}
	if s.m == nil {
		s.m = make(map[K]uint32, 1)
	}
	if s.capLog == 0 {
		s.capLog = initCapLog
	}
	// treeifyBin on a table smaller than 64 resizes instead; only small tables need the
	// (then cheap) bucket count.
	if s.capLog < 6 && s.bucketLen(hash(k), hash) >= 8 {
		s.capLog++
	}
	s.seq++
	s.m[k] = s.seq
	if len(s.m) > 3<<s.capLog>>2 {
		s.capLog++
	}
	return true
}

func (s *jset[K]) remove(k K) bool {
	if !s.has(k) {
		return false
	}
	delete(s.m, k)
	return true
}

// bucketLen counts keys in the bucket of hash h.
func (s *jset[K]) bucketLen(h uint32, hash func(K) uint32) int {
	mask := uint32(1)<<s.capLog - 1
	n := 0
	for k := range s.m { //det:unordered-ok counting is order-free
		if spread(hash(k))&mask == spread(h)&mask {
			n++
		}
	}
	return n
}

// ordered lists the keys in Java's iteration order.
func (s *jset[K]) ordered(hash func(K) uint32) []K {
	type entry struct {
		k      K
		bucket uint32
		seq    uint32
	}
	mask := uint32(1)<<s.capLog - 1
	es := make([]entry, 0, len(s.m))
	for k, seq := range s.m { //det:unordered-ok sorted below by (bucket, seq), both unique per key
		es = append(es, entry{k, spread(hash(k)) & mask, seq})
	}
	slices.SortFunc(es, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.seq, b.seq))
	})
	out := make([]K, len(es))
	for i, e := range es {
		out[i] = e.k
	}
	return out
}

// copyJava is new HashSet<>(s) / s.clone() (putMapEntries into an empty map): the table
// is sized for the count (tableSizeFor(n/0.75 + 1)) and keys go in in s's order.
func (s *jset[K]) copyJava(hash func(K) uint32) jset[K] {
	var c jset[K]
	if s.len() == 0 {
		return c
	}
	c.capLog = capLogFor(s.len())
	c.m = make(map[K]uint32, s.len())
	for _, k := range s.ordered(hash) {
		c.add(k, c.capLog, hash)
	}
	return c
}

// capLogFor is log2(tableSizeFor((int)((float)n/0.75f + 1.0f))).
func capLogFor(n int) uint8 {
	t := int(float32(n)/0.75 + 1)
	var l uint8
	for 1<<l < t {
		l++
	}
	return l
}

// spread is HashMap.hash: the high half folded into the low half.
func spread(h uint32) uint32 { return h ^ h>>16 }

// javaStringHash is String.hashCode over UTF-16 code units.
func javaStringHash(s string) uint32 {
	var h uint32
	for _, r := range s {
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + uint32(hi)
			h = 31*h + uint32(lo)
			continue
		}
		h = 31*h + uint32(r)
	}
	return h
}

// javaLongHash is Long.hashCode.
func javaLongHash(v int64) uint32 { return uint32(uint64(v) ^ uint64(v)>>32) }
