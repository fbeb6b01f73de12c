package wal

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	"io"
	iofs "io/fs"

	"github.com/zabsim/zabsim/internal/jute"
)

// EndKind says why reading a log file stopped without an error.
type EndKind int

const (
	EndEOF     EndKind = iota // the file ended exactly after a record
	EndPadding                // a zero length: the preallocated zero tail
	EndPartial                // a record cut short or without its 'B': a torn tail, dropped
	EndEmpty                  // an empty (0-byte) file: created, header never written
)

func (k EndKind) String() string {
	switch k {
	case EndEOF:
		return "end of file"
	case EndPadding:
		return "zero padding"
	case EndPartial:
		return "partial record (torn tail, dropped)"
	case EndEmpty:
		return "empty file"
	}
	return "unknown"
}

// LogEnd describes where and why reading a log file stopped.
type LogEnd struct {
	Kind   EndKind
	Offset int64 // offset of the first byte not read as part of a record
}

// logFileReader reads the records of one log file in order, with FileTxnIterator's rules.
type logFileReader struct {
	f    File
	path string
	size int64
	off  int64 // offset just after the last record returned
	// entry is the encoded entry (header + body) of the last record returned.
	entry  []byte
	prefix [recordPrefixSize]byte
}

// openLogFile opens path and checks its header. emptyOK says whether an empty file reads
// as no records (the newest log file, a crash after creating it and before its header
// reached the disk, ZOOKEEPER-2332) rather than as a header cut short.
func openLogFile(fs FS, path string, emptyOK bool) (*logFileReader, *LogEnd, error) {
	f, size, err := openSized(fs, path)
	if err != nil {
		return nil, nil, err
	}
	r := &logFileReader{f: f, path: path, size: size}
	if size == 0 && emptyOK {
		return r, &LogEnd{Kind: EndEmpty}, nil
	}
	b, err := r.read(0, FileHeaderSize, nil)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if b == nil {
		f.Close()
		return nil, nil, corruptErr(path, 0, "file header cut short (%d of %d bytes)", size, FileHeaderSize)
	}
	if h := parseFileHeader(b); h.Magic != LogMagic {
		f.Close()
		return nil, nil, corruptErr(path, 0, "not a txn log: magic %s, want \"ZKLG\"", magicName(h.Magic))
	}
	r.off = FileHeaderSize
	return r, nil, nil
}

// read returns n bytes at off, or nil if the file ends first. The bytes are fresh unless
// buf (reused by the caller) has room for them.
func (r *logFileReader) read(off int64, n int, buf []byte) ([]byte, error) {
	if off+int64(n) > r.size {
		return nil, nil
	}
	b := buf[:0]
	if cap(b) >= n {
		b = b[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := r.f.ReadAt(b, off); err != nil && !(errors.Is(err, io.EOF) && n == len(b)) {
		return nil, walErr("reading %s at offset %d: %w", r.path, off, err)
	}
	return b, nil
}

// next returns the next record, or a LogEnd when the file ends (EOF, zero padding, torn
// tail), or an error for corrupt data (CRC mismatch, unreasonable length) or a read error.
func (r *logFileReader) next() (Txn, *LogEnd, error) {
	start := r.off
	prefix, err := r.read(start, recordPrefixSize, r.prefix[:])
	if err != nil || prefix == nil {
		return Txn{}, r.endAt(start), err
	}
	crc := binary.BigEndian.Uint64(prefix)
	n := int32(binary.BigEndian.Uint32(prefix[8:]))
	switch {
	case n == 0:
		return Txn{}, &LogEnd{Kind: EndPadding, Offset: start}, nil
	case n == -1:
		return Txn{}, nil, corruptErr(r.path, start+8, "record with null body (length -1)")
	case n < 0 || n > 2*jute.MaxBuffer:
		return Txn{}, nil, corruptErr(r.path, start+8, "unreasonable record length %d", n)
	}
	body, err := r.read(start+recordPrefixSize, int(n)+1, nil)
	if err != nil || body == nil {
		return Txn{}, r.endAt(start), err
	}
	if body[n] != endOfRecord {
		return Txn{}, &LogEnd{Kind: EndPartial, Offset: start}, nil
	}
	entry := body[:n]
	if got := uint64(adler32.Checksum(entry)); got != crc {
		return Txn{}, nil, corruptErr(r.path, start, "crc check failed: stored %#x, computed %#x", crc, got)
	}
	t, err := DecodeTxn(entry, start+recordPrefixSize)
	if err != nil {
		return Txn{}, nil, corruptErr(r.path, start, "record body of %d bytes is shorter than a txn header", n)
	}
	r.off = start + recordPrefixSize + int64(n) + 1
	r.entry = entry
	return t, nil, nil
}

// endAt builds the LogEnd for a record at offset at that could not be read whole: a
// partial record if some of its bytes are there, otherwise a clean end of file.
func (r *logFileReader) endAt(at int64) *LogEnd {
	if r.size > at {
		return &LogEnd{Kind: EndPartial, Offset: at}
	}
	return &LogEnd{Kind: EndEOF, Offset: at}
}

// ScanLogFile reads every record of one log file, calling fn with each record's offset and
// txn, and returns where and why the file ended. A corrupt file yields an error naming
// the file and offset (errors.Is(err, ErrCorrupt)).
func ScanLogFile(fs FS, path string, fn func(offset int64, t Txn) error) (LogEnd, error) {
	r, end, err := openLogFile(fs, path, true)
	if err != nil {
		return LogEnd{}, err
	}
	defer r.f.Close()
	if end != nil {
		return *end, nil
	}
	for {
		at := r.off
		t, end, err := r.next()
		if err != nil {
			return LogEnd{}, err
		}
		if end != nil {
			return *end, nil
		}
		if err := fn(at, t); err != nil {
			return LogEnd{}, err
		}
	}
}

// LogIterator reads txns across the log files of a directory exactly as ZooKeeper's
// FileTxnIterator does: it starts in the newest file whose name zxid is below the start
// zxid (the one that may contain it), reads every later file in name order, stops each
// file at EOF, zero padding or a torn tail, and skips records below the start zxid only
// until the first one at or above it.
//
//	it, err := wal.ReadLog(fs, "data/version-2", 5)
//	for it.Next() { use(it.Txn()) }
//	if err := it.Err(); err != nil { ... }
//	it.Close()
type LogIterator struct {
	fs        FS
	dir       string
	from      int64
	reached   bool // a record at or above from was seen
	opts      ReadOptions
	remaining []namedFile // files still to read, ascending
	all       []namedFile // every file the iterator reads
	cur       *logFileReader
	curName   string
	txn       Txn
	entry     []byte
	ends      []FileEnd
	err       error
}

// FileEnd records where reading one file stopped.
type FileEnd struct {
	Name string
	LogEnd
}

// ReadOptions select among ZooKeeper's reading behaviours.
type ReadOptions struct {
	// NoFastForward starts at the first txn of the file that may hold the start zxid
	// instead of skipping to the first txn at or above it (FileTxnLog.read(zxid, false)).
	NoFastForward bool
	// EmptyTailIsError fails on an empty (0-byte) newest log file, as ZooKeeper did
	// before ZOOKEEPER-2332 was fixed (3.8.0 fails to start with an EOFException). By
	// default such a file reads as empty (its Ends entry says EndEmpty); the fixed
	// ZooKeeper also deletes it, which is the caller's to do.
	EmptyTailIsError bool
}

// ReadLog returns an iterator over the txns of dir's log files from zxid from on
// (FileTxnLog.read(from), fast-forwarded to the first txn at or above from).
func ReadLog(fs FS, dir string, from int64) (*LogIterator, error) {
	return ReadLogWith(fs, dir, from, ReadOptions{})
}

// ReadLogFile returns an iterator that starts at the first txn of the file that may hold
// zxid from, without skipping the txns below it (FileTxnLog.read(from, false), what the
// leader uses to DIFF a learner from disk: it gives up when the first txn is already
// after the learner's zxid).
func ReadLogFile(fs FS, dir string, from int64) (*LogIterator, error) {
	return ReadLogWith(fs, dir, from, ReadOptions{NoFastForward: true})
}

// ReadLogWith is ReadLog with options.
func ReadLogWith(fs FS, dir string, from int64, opts ReadOptions) (*LogIterator, error) {
	files, err := listNamed(fs, dir, LogPrefix)
	if err != nil {
		return nil, err
	}
	picked := filesFrom(files, from)
	return &LogIterator{fs: fs, dir: dir, from: from, reached: opts.NoFastForward, opts: opts, remaining: picked, all: picked}, nil
}

// StorageSize is the total size of the files the iterator reads (TxnIterator
// getStorageSize: the leader compares it with snapshotSizeFactor × the newest snapshot's
// size before syncing a learner from the log).
func (it *LogIterator) StorageSize() (int64, error) {
	var total int64
	for _, nf := range it.all {
		f, size, err := openSized(it.fs, join(it.dir, nf.name))
		if err != nil {
			return 0, err
		}
		f.Close()
		total += size
	}
	return total, nil
}

// filesFrom picks the files FileTxnIterator.init reads for a start zxid: every file named
// at or above it, plus the newest one named below it.
func filesFrom(files []namedFile, from int64) []namedFile {
	i := len(files)
	for i > 0 && files[i-1].zxid >= from {
		i--
	}
	if i > 0 {
		i--
	}
	return files[i:]
}

// Next advances to the next txn. It returns false at the end of the log or on error.
func (it *LogIterator) Next() bool {
	for it.err == nil {
		if it.cur == nil && !it.openNext() {
			return false
		}
		if it.cur == nil {
			continue
		}
		t, end, err := it.cur.next()
		if err != nil {
			it.err = err
			return false
		}
		if end != nil {
			it.ends = append(it.ends, FileEnd{Name: it.curName, LogEnd: *end})
			it.closeCur()
			continue
		}
		if !it.reached && t.Header.Zxid < it.from {
			continue
		}
		it.reached = true
		it.txn, it.entry = t, it.cur.entry
		return true
	}
	return false
}

// openNext opens the next file; false when there is none (or on error).
func (it *LogIterator) openNext() bool {
	if len(it.remaining) == 0 {
		return false
	}
	nf := it.remaining[0]
	it.remaining = it.remaining[1:]
	r, end, err := openLogFile(it.fs, join(it.dir, nf.name), len(it.remaining) == 0 && !it.opts.EmptyTailIsError)
	if err != nil {
		it.err = err
		return false
	}
	if end != nil {
		r.f.Close()
		it.ends = append(it.ends, FileEnd{Name: nf.name, LogEnd: *end})
		return true
	}
	it.cur, it.curName = r, nf.name
	return true
}

func (it *LogIterator) closeCur() {
	if it.cur != nil {
		it.cur.f.Close()
		it.cur = nil
	}
}

// Txn returns the current txn (valid after Next returned true).
func (it *LogIterator) Txn() Txn { return it.txn }

// Entry returns the current txn's encoded entry (header and body, as DecodeTxn reads
// it; the bytes datatree.DecodeEntry takes), valid until the next call to Next.
func (it *LogIterator) Entry() []byte { return it.entry }

// Position returns the file holding the current txn and the offset just after it.
func (it *LogIterator) Position() (name string, offset int64) {
	if it.cur == nil {
		return "", 0
	}
	return it.curName, it.cur.off
}

// Err returns the error that stopped the iteration, if any.
func (it *LogIterator) Err() error { return it.err }

// Ends lists, for every file finished so far, where and why reading it stopped.
func (it *LogIterator) Ends() []FileEnd { return it.ends }

// Close releases the open file.
func (it *LogIterator) Close() { it.closeCur() }

// isNotExist reports whether err says a file is missing.
func isNotExist(err error) bool { return errors.Is(err, iofs.ErrNotExist) }
