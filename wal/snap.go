package wal

import (
	"cmp"
	"encoding/binary"
	"hash/adler32"
	"slices"

	"github.com/zabsim/zabsim/internal/jute"
)

// Session is one entry of a snapshot's session table.
type Session struct {
	ID        int64
	TimeoutMs int32
}

// SnapDigest is the ZxidDigest a snapshot carries after its first seal: the zxid and tree
// digest of the last txn applied when serialization finished.
type SnapDigest struct {
	Zxid    int64
	Version int32 // 2 in ZooKeeper 3.8
	Digest  int64
}

// DigestVersion is ZooKeeper 3.8's DigestCalculator.DIGEST_VERSION.
const DigestVersion int32 = 2

// maxSnapshotsTried is how many valid-looking snapshots recovery tries, newest first
// (FileSnap.deserialize's findNValidSnapshots(100)).
const maxSnapshotsTried = 100

// EncodeSnapshotBody writes the session table and then calls writeTree for the tree
// section (ACL cache, nodes, "/" terminator; owned by the caller). This is the body shared
// by snapshot files and SNAP sync packets (SerializeUtils.serializeSnapshot). Sessions are
// written in the order Java's HashMap iterates them, as ZooKeeper writes them.
func EncodeSnapshotBody(e *jute.Encoder, sessions []Session, writeTree func(*jute.Encoder) error) error {
	sessions = javaHashMapOrder(sessions)
	e.Int(int32(len(sessions)))
	for _, s := range sessions {
		e.Long(s.ID)
		e.Int(s.TimeoutMs)
	}
	if err := writeTree(e); err != nil {
		return walErr("encoding snapshot tree: %w", err)
	}
	return nil
}

// DecodeSnapshotBody reads the session table and calls readTree for the tree section.
func DecodeSnapshotBody(d *jute.Decoder, readTree func(*jute.Decoder) error) ([]Session, error) {
	n := d.VectorLen("session", 12)
	sessions := make([]Session, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		sessions = append(sessions, Session{ID: d.Long("session id"), TimeoutMs: d.Int("session timeout")})
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	if err := readTree(d); err != nil {
		return nil, err
	}
	return sessions, d.Err()
}

// javaHashMapOrder returns sessions in the iteration order of a java.util.HashMap<Long,
// Integer> built from them (SerializeUtils copies the session map into one): by bucket
// index, where the table has the smallest power-of-two size holding len/0.75+1 entries.
// Within a bucket Java keeps insertion order, which is unknown here; ids break the tie.
func javaHashMapOrder(sessions []Session) []Session {
	out := slices.Clone(sessions)
	tableSize := 1
	for float64(tableSize) < float64(len(out))/0.75+1 {
		tableSize *= 2
	}
	bucket := func(id int64) int {
		h := int32(uint64(id) ^ uint64(id)>>32)
		h ^= int32(uint32(h) >> 16)
		return int(h) & (tableSize - 1)
	}
	slices.SortFunc(out, func(a, b Session) int {
		return cmp.Or(cmp.Compare(bucket(a.ID), bucket(b.ID)), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// EncodeSnapshot returns the bytes of a snapshot file: header, body, seal, and, when
// digest is not nil, the ZxidDigest and a second seal.
func EncodeSnapshot(sessions []Session, writeTree func(*jute.Encoder) error, digest *SnapDigest) ([]byte, error) {
	e := jute.Encoder{Buf: FileHeader{Magic: SnapMagic, Version: FileVersion, DBID: SnapDBID}.appendTo(nil)}
	if err := EncodeSnapshotBody(&e, sessions, writeTree); err != nil {
		return nil, err
	}
	seal(&e)
	if digest != nil {
		e.Long(digest.Zxid)
		e.Int(digest.Version)
		e.Long(digest.Digest)
		seal(&e)
	}
	return e.Bytes(), nil
}

// seal appends the Adler32 of everything written so far and the string "/".
func seal(e *jute.Encoder) {
	e.Long(int64(adler32.Checksum(e.Bytes())))
	e.String("/")
}

// WriteSnapshot writes snapshot.<zxid> in dir and returns its name. With fsync (ZooKeeper's
// syncSnap, used by learners syncing with SNAP) the file is written as a .tmp file, synced
// and renamed into place; otherwise it is written in place and not synced, as ZooKeeper
// writes the snapshots its SyncRequestProcessor triggers. An error leaves no file behind
// when it can be removed (ZooKeeper deletes an empty one and exits with code 10).
func WriteSnapshot(fs FS, dir string, zxid int64, sessions []Session, writeTree func(*jute.Encoder) error, digest *SnapDigest, fsync bool) (string, error) {
	b, err := EncodeSnapshot(sessions, writeTree, digest)
	if err != nil {
		return "", err
	}
	name := SnapName(zxid)
	path := join(dir, name)
	if fsync {
		return name, writeFileAtomic(fs, path, b)
	}
	return name, writeFile(fs, path, b, false)
}

// writeFile creates path with contents b, optionally synced. On failure it tries to
// remove the file and returns the first error.
func writeFile(fs FS, path string, b []byte, sync bool) error {
	f, err := fs.Create(path)
	if err != nil {
		return walErr("creating %s: %w", path, err)
	}
	_, err = f.WriteAt(b, 0)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = fs.Remove(path) // best effort; the write error is what the caller acts on
		return walErr("writing %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic is AtomicFileOutputStream: write path.tmp, fsync it, rename it over
// path. The directory is not synced (ZooKeeper does not sync it).
func writeFileAtomic(fs FS, path string, b []byte) error {
	tmp := path + ".tmp"
	if err := writeFile(fs, tmp, b, true); err != nil {
		return err
	}
	if err := fs.Rename(tmp, path); err != nil {
		return walErr("renaming %s to %s: %w", tmp, path, err)
	}
	return nil
}

// IsValidSnapshot is ZooKeeper's quick trailer check: the file is at least 10 bytes long
// and ends with int 1 and '/' (the length-prefixed "/" of a seal). Recovery ignores files
// failing it as if they were absent.
func IsValidSnapshot(fs FS, path string) (bool, error) {
	f, size, err := openSized(fs, path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if size < 10 {
		return false, nil
	}
	tail := make([]byte, 5)
	if _, err := f.ReadAt(tail, size-5); err != nil {
		return false, walErr("reading %s at offset %d: %w", path, size-5, err)
	}
	return binary.BigEndian.Uint32(tail) == 1 && tail[4] == '/', nil
}

// SnapshotInfo describes a snapshot that was read.
type SnapshotInfo struct {
	Name     string
	Zxid     int64 // from the name: where serialization started
	Sessions []Session
	Digest   *SnapDigest // nil if the file has no digest section
}

// ReadSnapshot reads the snapshot file at path, calling readTree for its tree section,
// and verifies its seals. Errors name the file and offset; corrupt contents wrap
// ErrCorrupt.
func ReadSnapshot(fs FS, path string, readTree func(*jute.Decoder) error) (SnapshotInfo, error) {
	b, err := readAll(fs, path)
	if err != nil {
		return SnapshotInfo{}, err
	}
	name := path[len(path)-len(baseName(path)):]
	info, err := DecodeSnapshot(b, readTree)
	if err != nil {
		return SnapshotInfo{}, inFile(err, path)
	}
	info.Name = name
	info.Zxid = ZxidFromName(name, SnapPrefix)
	return info, nil
}

// DecodeSnapshot decodes the bytes of a snapshot file (Name and Zxid are left unset).
func DecodeSnapshot(b []byte, readTree func(*jute.Decoder) error) (SnapshotInfo, error) {
	if len(b) < FileHeaderSize {
		return SnapshotInfo{}, corruptAt(0, "file header cut short (%d of %d bytes)", len(b), FileHeaderSize)
	}
	if h := parseFileHeader(b); h.Magic != SnapMagic {
		return SnapshotInfo{}, corruptAt(0, "not a snapshot: magic %s, want \"ZKSN\"", magicName(h.Magic))
	}
	d := jute.NewDecoder(b[FileHeaderSize:], FileHeaderSize)
	sessions, err := DecodeSnapshotBody(d, readTree)
	if err != nil {
		return SnapshotInfo{}, corruptAt(d.Offset(), "%v", err)
	}
	if err := checkSeal(b, d); err != nil {
		return SnapshotInfo{}, err
	}
	info := SnapshotInfo{Sessions: sessions}
	if d.Remaining() >= 20 { // a ZxidDigest; ZooKeeper treats a shorter rest as none
		info.Digest = &SnapDigest{Zxid: d.Long("digest zxid"), Version: d.Int("digest version"), Digest: d.Long("digest")}
		if err := checkSeal(b, d); err != nil {
			return SnapshotInfo{}, err
		}
	}
	return info, nil
}

// checkSeal reads a seal at the decoder's position and compares it with the Adler32 of
// every byte before it.
func checkSeal(b []byte, d *jute.Decoder) error {
	at := d.Offset()
	want := uint64(adler32.Checksum(b[:at]))
	got := uint64(d.Long("seal checksum"))
	_ = d.String("seal path")
	if err := d.Err(); err != nil {
		return corruptAt(at, "reading the seal: %v", err)
	}
	if got != want {
		return corruptAt(at, "crc corruption: the seal does not match the bytes before it (stored %#x, computed %#x)", got, want)
	}
	return nil
}

// readAll reads a whole file.
func readAll(fs FS, path string) ([]byte, error) {
	f, size, err := openSized(fs, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, size)
	if n, err := f.ReadAt(b, 0); n < len(b) {
		return nil, walErr("reading %s: %w", path, err)
	}
	return b, nil
}

// openSized opens path and returns it with its size.
func openSized(fs FS, path string) (File, int64, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, 0, walErr("opening %s: %w", path, err)
	}
	size, err := f.Size()
	if err != nil {
		f.Close()
		return nil, 0, walErr("size of %s: %w", path, err)
	}
	return f, size, nil
}

func baseName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}
