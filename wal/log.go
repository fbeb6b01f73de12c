package wal

import "fmt"

// DefaultPreAllocKB is ZooKeeper's default zookeeper.preAllocSize: log files grow in
// 64 MiB steps of zeros.
const DefaultPreAllocKB = 64 * 1024

// padMarginBytes: a file is extended when fewer than this many preallocated bytes remain
// after the write position (FilePadding's 4096).
const padMarginBytes = 4096

// LogOptions configure a Log.
type LogOptions struct {
	// PreAllocKB is the preallocation step (zoo.cfg preAllocSize, KB). Zero or negative
	// disables padding, as in ZooKeeper.
	PreAllocKB int64
	// NoSync skips fsync at Commit (zookeeper.forceSync=no). Commits then make nothing
	// durable; only for experiments.
	NoSync bool
}

// Log appends txns to ZooKeeper log files in one directory (dataLogDir/version-2), with
// ZooKeeper's buffering, padding, group commit and rolling:
//
//   - Append buffers a record; the first Append after Open or Roll creates
//     log.<zxid of that txn>, writes the 16-byte header at once, and every Append extends
//     the file with zeros by PreAllocKB when the written position is within 4 KiB of its
//     end (the extension happens at Append, before the record's bytes reach the file);
//   - Commit writes the buffered records to the file and fsyncs every file written since
//     the previous Commit (a rolled file is synced by the next Commit, as ZooKeeper does),
//     then closes all but the newest;
//   - Roll ends the current file: its buffered records are written (not synced).
//
// The directory is never synced (ZooKeeper does not sync it either), so on a disk that
// loses unsynced directory entries a new log file can vanish after a crash.
//
// A Log is not safe for concurrent use. After any I/O error the Log is broken: every later
// call returns that first error (ZooKeeper exits when its log fails).
type Log struct {
	fs   FS
	dir  string
	opts LogOptions

	cur         File   // file being appended to, nil before the first Append / after Roll
	curName     string // its name
	filePos     int64  // bytes of cur already written to the file
	paddedSize  int64  // FilePadding.currentSize: the size the padding believes the file has
	pending     []byte // records appended but not yet written (BufferedOutputStream)
	toSync      []File // files written since the last Commit, oldest first
	prevLogSize int64  // sizes of files rolled since the last SetTotalLogSize(0)

	lastZxidSeen    int64
	lastZxidFlushed int64
	err             error
}

// OpenLog returns a Log appending to dir. It does not touch the disk: like ZooKeeper, the
// first Append creates a new file even if the directory already holds logs.
func OpenLog(fs FS, dir string, opts LogOptions) *Log {
	return &Log{fs: fs, dir: dir, opts: opts}
}

// Dir returns the directory the Log writes to.
func (l *Log) Dir() string { return l.dir }

// Append buffers one txn. It fails only if the file cannot be created or padded.
func (l *Log) Append(t Txn) error {
	if l.err != nil {
		return l.err
	}
	if t.Header.Zxid > l.lastZxidSeen {
		l.lastZxidSeen = t.Header.Zxid
	}
	if l.cur == nil {
		if err := l.startFile(t.Header.Zxid); err != nil {
			return l.fail(err)
		}
	}
	if err := l.pad(); err != nil {
		return l.fail(err)
	}
	l.pending = appendTxnRecord(l.pending, t)
	return nil
}

// startFile creates log.<zxid> and writes its header (flushed at once, as ZooKeeper does).
func (l *Log) startFile(zxid int64) error {
	name := LogName(zxid)
	path := join(l.dir, name)
	f, err := l.fs.Create(path)
	if err != nil {
		return walErr("creating %s: %w", path, err)
	}
	hdr := FileHeader{Magic: LogMagic, Version: FileVersion}.appendTo(nil)
	if _, err := f.WriteAt(hdr, 0); err != nil {
		f.Close()
		return walErr("writing header of %s: %w", path, err)
	}
	l.cur, l.curName = f, name
	l.filePos = FileHeaderSize
	l.paddedSize = FileHeaderSize
	l.toSync = append(l.toSync, f)
	return nil
}

// pad extends the current file by the preallocation step when the write position is near
// its end (FilePadding.padFile).
func (l *Log) pad() error {
	newSize := paddedFileSize(l.filePos, l.paddedSize, l.opts.PreAllocKB*1024)
	if newSize == l.paddedSize {
		return nil
	}
	if err := l.cur.Truncate(newSize); err != nil {
		return walErr("preallocating %s to %d bytes: %w", join(l.dir, l.curName), newSize, err)
	}
	l.paddedSize = newSize
	return nil
}

// paddedFileSize is FilePadding.calculateFileSizeWithPadding.
func paddedFileSize(pos, size, preAllocBytes int64) int64 {
	if preAllocBytes <= 0 || pos+padMarginBytes < size {
		return size
	}
	if pos > size {
		size = pos + preAllocBytes
		return size - size%preAllocBytes
	}
	return size + preAllocBytes
}

// flush writes the buffered records to the current file without syncing.
func (l *Log) flush() error {
	if l.cur == nil || len(l.pending) == 0 {
		return nil
	}
	if _, err := l.cur.WriteAt(l.pending, l.filePos); err != nil {
		return walErr("writing %d bytes to %s at offset %d: %w", len(l.pending), join(l.dir, l.curName), l.filePos, err)
	}
	l.filePos += int64(len(l.pending))
	l.pending = l.pending[:0]
	return nil
}

// Commit makes every appended txn durable: write the buffer, fsync each file written since
// the previous Commit, close all but the current file. Only after Commit returns nil may a
// server acknowledge the txns (group commit: one Commit covers many Appends).
func (l *Log) Commit() error {
	if l.err != nil {
		return l.err
	}
	if err := l.flush(); err != nil {
		return l.fail(err)
	}
	for _, f := range l.toSync {
		if l.opts.NoSync {
			break
		}
		if err := f.Sync(); err != nil {
			return l.fail(walErr("fsync of log in %s: %w", l.dir, err))
		}
	}
	l.lastZxidFlushed = l.lastZxidSeen
	for len(l.toSync) > 1 {
		if err := l.toSync[0].Close(); err != nil {
			return l.fail(walErr("closing log in %s: %w", l.dir, err))
		}
		l.toSync = l.toSync[1:]
	}
	return nil
}

// Roll ends the current file: its buffered records are written (not synced; the next
// Commit syncs them) and the next Append starts a new file.
func (l *Log) Roll() error {
	if l.err != nil {
		return l.err
	}
	if l.cur == nil {
		return nil
	}
	if err := l.flush(); err != nil {
		return l.fail(err)
	}
	l.prevLogSize += max(l.paddedSize, l.filePos)
	l.cur, l.curName, l.filePos, l.paddedSize = nil, "", 0, 0
	return nil
}

// Close writes buffered records (without syncing, like closing ZooKeeper's stream) and
// closes every open file. The Log must not be used afterwards.
func (l *Log) Close() error {
	if l.err == nil {
		if err := l.flush(); err != nil {
			l.fail(err)
		}
	}
	first := l.err
	for _, f := range l.toSync {
		if err := f.Close(); err != nil && first == nil {
			first = walErr("closing log in %s: %w", l.dir, err)
		}
	}
	l.toSync, l.cur = nil, nil
	l.err = fmt.Errorf("wal: log in %s is closed", l.dir)
	return first
}

// CurrentFile returns the name of the file being appended to, or "" if none is open.
func (l *Log) CurrentFile() string { return l.curName }

// LastZxidFlushed returns the zxid of the newest txn covered by a successful Commit (0 if
// none since Open).
func (l *Log) LastZxidFlushed() int64 { return l.lastZxidFlushed }

// TotalLogSize returns the bytes of log written since the last SetTotalLogSize(0), counting
// preallocated padding as ZooKeeper does (it feeds the snapSizeLimitInKb trigger).
func (l *Log) TotalLogSize() int64 {
	if l.cur == nil {
		return l.prevLogSize
	}
	return l.prevLogSize + max(l.paddedSize, l.filePos)
}

// ResetTotalLogSize restarts TotalLogSize's count (done when a snapshot is triggered).
func (l *Log) ResetTotalLogSize() { l.prevLogSize = 0 }

func (l *Log) fail(err error) error {
	if l.err == nil {
		l.err = err
	}
	return l.err
}
