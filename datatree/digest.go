package datatree

import (
	"encoding/binary"
	"hash/crc32"
)

// nodeDigest is ZooKeeper's DigestCalculator.calculateDigest (version 2): CRC32 (IEEE)
// over the path bytes (the root as ""), the data, and a 60-byte big-endian block of
// czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner.
// Nodes inside /zookeeper/ contribute 0.
func nodeDigest(path string, data []byte, s *StatPersisted) uint64 {
	if isUnderZooKeeper(path) {
		return 0
	}
	if path == RootPath {
		path = ""
	}
	var b [60]byte
	binary.BigEndian.PutUint64(b[0:], uint64(s.Czxid))
	binary.BigEndian.PutUint64(b[8:], uint64(s.Mzxid))
	binary.BigEndian.PutUint64(b[16:], uint64(s.Pzxid))
	binary.BigEndian.PutUint64(b[24:], uint64(s.Ctime))
	binary.BigEndian.PutUint64(b[32:], uint64(s.Mtime))
	binary.BigEndian.PutUint32(b[40:], uint32(s.Version))
	binary.BigEndian.PutUint32(b[44:], uint32(s.Cversion))
	binary.BigEndian.PutUint32(b[48:], uint32(s.Aversion))
	binary.BigEndian.PutUint64(b[52:], uint64(s.EphemeralOwner))
	crc := crc32.Update(0, crc32.IEEETable, []byte(path))
	crc = crc32.Update(crc, crc32.IEEETable, data)
	crc = crc32.Update(crc, crc32.IEEETable, b[:])
	return uint64(crc)
}
