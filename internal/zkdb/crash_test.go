package zkdb_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path"
	"testing"

	"pgregory.net/rapid"

	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/internal/simfs"
	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

var errCrashed = errors.New("host crashed")

// crashingFS wraps a wal.FS and crashes the host just before its crashAt-th operation
// (counting file operations too): that operation and every later one fail. This puts the
// crash between any two disk effects — for instance between a Commit's write and its
// fsync.
type crashingFS struct {
	wal.FS
	ops, crashAt int
	crash        func()
	crashed      bool
}

func (c *crashingFS) step() error {
	c.ops++
	if !c.crashed && c.ops == c.crashAt {
		c.crashed = true
		c.crash()
	}
	if c.crashed {
		return errCrashed
	}
	return nil
}

func (c *crashingFS) MkdirAll(d string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.FS.MkdirAll(d)
}

func (c *crashingFS) Create(n string) (wal.File, error) { return c.open(c.FS.Create, n) }
func (c *crashingFS) Open(n string) (wal.File, error)   { return c.open(c.FS.Open, n) }

func (c *crashingFS) open(fn func(string) (wal.File, error), n string) (wal.File, error) {
	if err := c.step(); err != nil {
		return nil, err
	}
	f, err := fn(n)
	if err != nil {
		return nil, err
	}
	return &crashingFile{File: f, c: c}, nil
}

func (c *crashingFS) ReadDir(d string) ([]string, error) {
	if err := c.step(); err != nil {
		return nil, err
	}
	return c.FS.ReadDir(d)
}

func (c *crashingFS) Remove(n string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.FS.Remove(n)
}

func (c *crashingFS) Rename(a, b string) error {
	if err := c.step(); err != nil {
		return err
	}
	return c.FS.Rename(a, b)
}

type crashingFile struct {
	wal.File
	c *crashingFS
}

func (f *crashingFile) WriteAt(b []byte, off int64) (int, error) {
	if err := f.c.step(); err != nil {
		return 0, err
	}
	return f.File.WriteAt(b, off)
}

func (f *crashingFile) Truncate(n int64) error {
	if err := f.c.step(); err != nil {
		return err
	}
	return f.File.Truncate(n)
}

func (f *crashingFile) Sync() error {
	if err := f.c.step(); err != nil {
		return err
	}
	return f.File.Sync()
}

// workload is one run of the crash property: a server logging, committing, applying and
// snapshotting workEntry txns until its host crashes.
type workload struct {
	durable  int64 // newest zxid whose batch Commit returned nil
	appended int64 // newest zxid handed to Append
}

func (w *workload) run(db *zkdb.DB, txns int64, batch int) {
	if _, err := db.Load(zkdb.LoadOptions{}); err != nil {
		return
	}
	var pending []int64
	commit := func() bool {
		if db.Commit() != nil {
			return false
		}
		for _, z := range pending {
			db.Apply(workEntry(z))
		}
		w.durable = max(w.durable, w.appended)
		pending = pending[:0]
		return true
	}
	for z := int64(1); z <= txns; z++ {
		due, err := db.Append(workEntry(z))
		if err != nil {
			return
		}
		w.appended = z
		pending = append(pending, z)
		if (len(pending) == batch || z == txns) && !commit() {
			return
		}
		if due {
			if !commit() {
				return
			}
			if _, err := db.TakeSnapshot(false); err != nil {
				return
			}
		}
	}
}

// TestCrashSafetyOnSimDisk is the crash property on sim's disk: run a workload, crash the
// host before a random disk operation with a random crash mode (keep, drop or tear the
// unsynced data), restart, recover. Then:
//
//   - every txn whose batch Commit returned survives: the log reads back 1..R with
//     R >= durable, and the recovered tree is at least there;
//   - recovery never returns a txn that was not written: R <= the last appended zxid and
//     every record read back is byte-identical to the entry written at that zxid;
//   - the recovered tree and sessions equal an independent replay of 1..R;
//   - a torn tail is dropped, as ZooKeeper drops it. The one refusal allowed is ZooKeeper's
//     own: a tear that kept a record's 'B' but not its middle (ZOOKEEPER-2560) or a new
//     file's header fails the load with a CorruptError — and then only beyond the durable
//     txns, which all read back before the corrupt spot.
func TestCrashSafetyOnSimDisk(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		txns := rapid.Int64Range(1, 250).Draw(rt, "txns")
		batch := rapid.IntRange(1, 20).Draw(rt, "batch")
		snapCount := rapid.IntRange(4, 80).Draw(rt, "snapCount")
		preAllocKB := rapid.SampledFrom([]int64{1, 4, 64}).Draw(rt, "preAllocKB")
		crashAt := rapid.IntRange(1, 1200).Draw(rt, "crashAt")
		mode := rapid.SampledFrom([]sim.CrashMode{sim.CrashKeep, sim.CrashDrop, sim.CrashTear}).Draw(rt, "mode")

		world := sim.NewWorld(seed)
		h := world.AddHost()
		cfs := &crashingFS{FS: simfs.New(world.Disk(h)), crashAt: crashAt, crash: func() { world.CrashWith(h, mode) }}
		cfg := zkdb.Config{FS: cfs, DataDir: "data", DataLogDir: "log", PreAllocKB: preAllocKB, SnapCount: snapCount, Rand: world.Rand("zkdb")}
		var w workload
		w.run(zkdb.New(cfg), txns, batch)
		if !cfs.crashed {
			world.CrashWith(h, mode)
		}
		world.Restart(h)

		cfg.FS = simfs.New(world.Disk(h))
		db := zkdb.New(cfg)
		_, loadErr := db.Load(zkdb.LoadOptions{})
		readBack, readErr := readLog(rt, cfg.FS, w.appended)
		if len(readBack) < int(w.durable) {
			rt.Fatalf("durable txns lost: %d durable, %d read back (read error %v, load error %v)", w.durable, len(readBack), readErr, loadErr)
		}
		if loadErr != nil {
			// ZooKeeper's own refusals, each possible only when a crash lost or tore
			// unsynced data: a torn record (ZOOKEEPER-2560) or new log header, and lost
			// snapshots (periodic snapshots are never fsynced).
			tornRecord := mode == sim.CrashTear && errors.Is(loadErr, wal.ErrCorrupt) && readErr != nil
			lostSnaps := mode != sim.CrashKeep && !hasValidSnapshot(cfg.FS) &&
				(errors.Is(loadErr, zkdb.ErrLogWithoutSnapshot) || errors.Is(loadErr, wal.ErrNoValidSnapshot))
			if !tornRecord && !lostSnaps {
				rt.Fatalf("recovery failed after a %v crash: %v", mode, loadErr)
			}
			return
		}
		if readErr != nil {
			rt.Fatalf("load succeeded but the log does not read: %v", readErr)
		}
		r := int64(len(readBack))
		if got := db.LastProcessedZxid(); got != r && !(r == 0 && got == 0) {
			rt.Fatalf("recovered to %d, log holds 1..%d (durable %d)", got, r, w.durable)
		}
		if !bytes.Equal(dbJSON(rt, db), modelJSON(rt, r)) {
			rt.Fatalf("recovered tree differs from a replay of 1..%d", r)
		}
		if got, want := db.Sessions(), modelSessions(r); !equalSessions(got, want) {
			rt.Fatalf("sessions %v, want %v", got, want)
		}
		// The server goes on from where it recovered — past any torn tail, in a new log
		// file — and a later restart still reads everything. (Snapshots are synced first,
		// standing in for the kernel's writeback, so that the drop below tests the log.)
		syncAll(rt, cfg.FS, "data/version-2")
		for z := r + 1; z <= r+5; z++ {
			if _, err := db.Append(workEntry(z)); err != nil {
				rt.Fatal(err)
			}
		}
		if err := db.Commit(); err != nil {
			rt.Fatal(err)
		}
		world.CrashWith(h, sim.CrashDrop)
		world.Restart(h)
		cfg.FS = simfs.New(world.Disk(h))
		again := zkdb.New(cfg)
		if _, err := again.Load(zkdb.LoadOptions{}); err != nil {
			rt.Fatalf("second recovery: %v", err)
		}
		if got := again.LastProcessedZxid(); got != r+5 || !bytes.Equal(dbJSON(rt, again), modelJSON(rt, r+5)) {
			rt.Fatalf("second recovery reached %d, want %d", got, r+5)
		}
	})
}

// hasValidSnapshot reports whether any snapshot in the data dir reads whole.
func hasValidSnapshot(fs wal.FS) bool {
	_, found, _, err := wal.LoadSnapshot(fs, "data/version-2", func(d *jute.Decoder) error {
		_, err := wal.DecodeTreeSection(d)
		return err
	}, wal.SnapshotLoadOptions{MaxZxid: -1})
	return found && err == nil
}

// readLog reads the whole log back, checking each record against what was written.
func readLog(t tb, fs wal.FS, appended int64) ([]int64, error) {
	it, err := wal.ReadLog(fs, "log/version-2", 0)
	if err != nil {
		return nil, nil // no log directory survived: nothing read back
	}
	defer it.Close()
	var zxids []int64
	for it.Next() {
		z := it.Txn().Header.Zxid
		if z != int64(len(zxids))+1 || z > appended || !bytes.Equal(it.Entry(), workEntry(z)) {
			t.Fatalf("log returned zxid %d after %d records (appended up to %d), bytes equal: %v", z, len(zxids), appended, bytes.Equal(it.Entry(), workEntry(z)))
		}
		zxids = append(zxids, z)
	}
	return zxids, it.Err()
}

// modelSessions replays the session txns of workEntry(1..upTo).
func modelSessions(upTo int64) []wal.Session {
	open := map[int64]bool{}
	for z := int64(1); z <= upTo; z++ {
		switch {
		case z%10 == 1:
			open[0x100+z/10] = true
		case z%20 == 8:
			delete(open, 0x100+z/10-1)
		}
	}
	var out []wal.Session
	for id := int64(0x100); id <= 0x100+upTo/10; id++ {
		if open[id] {
			out = append(out, wal.Session{ID: id, TimeoutMs: 5000})
		}
	}
	return out
}

func equalSessions(a, b []wal.Session) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFlippedBitInDurableRecord flips one bit of a durable log record and recovers, as
// ZooKeeper would:
//
//   - in the checksum or the body: detected, the load fails with a CorruptError naming
//     the file and the record's offset (ZooKeeper: "CRC check failed", exit 1);
//   - in the length or the 'B' end marker: ZooKeeper cannot tell this from a torn tail
//     and ends the file there, silently dropping that record and the ones after it in the
//     file — or, if the damaged length happens to be unreasonable or land on a 'B', fails
//     the load. Either way no wrong txn is ever returned.
func TestFlippedBitInDurableRecord(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		txns := rapid.Int64Range(1, 60).Draw(rt, "txns")
		victim := rapid.Int64Range(1, txns).Draw(rt, "victim")
		fs := memfs.New()
		db := zkdb.New(zkdb.Config{FS: fs, DataDir: "d", PreAllocKB: 4, SnapCount: 1 << 30, Rand: rand.New(rand.NewPCG(3, 3))})
		db.Load(zkdb.LoadOptions{})
		var w workload
		w.run(db, txns, 5)
		const logPath = "d/version-2/log.1"
		var start, size int64
		wal.ScanLogFile(fs, logPath, func(off int64, tx wal.Txn) error {
			if tx.Header.Zxid == victim {
				start, size = off, wal.RecordSize(tx)
			}
			return nil
		})
		at := rapid.Int64Range(0, size-1).Draw(rt, "byte")
		bit := rapid.IntRange(0, 7).Draw(rt, "bit")
		f, _ := fs.Open(logPath)
		b := make([]byte, 1)
		f.ReadAt(b, start+at)
		f.WriteAt([]byte{b[0] ^ 1<<bit}, start+at)
		f.Sync()

		re := zkdb.New(zkdb.Config{FS: fs, DataDir: "d", Rand: rand.New(rand.NewPCG(3, 3))})
		_, err := re.Load(zkdb.LoadOptions{})
		var ce *wal.CorruptError
		inFrame := at >= 8 && at < 12 || at == size-1 // length or end marker
		switch {
		case !inFrame:
			if !errors.As(err, &ce) || ce.File != logPath || ce.Offset != start {
				rt.Fatalf("flip in record %d at byte %d: err %v, want a CorruptError at offset %d", victim, at, err, start)
			}
		case err != nil:
			if !errors.As(err, &ce) || ce.File != logPath {
				rt.Fatalf("flip in the framing of record %d: unexpected error %v", victim, err)
			}
		default:
			if re.LastProcessedZxid() != victim-1 || !bytes.Equal(dbJSON(rt, re), modelJSON(rt, victim-1)) {
				rt.Fatalf("flip in the framing of record %d: recovered to %d", victim, re.LastProcessedZxid())
			}
		}
	})
}

// TestStrictDirSyncLosesNewLogFile shows a weakness real ZooKeeper has on a disk with
// POSIX-strict directory durability (sim's StrictDirSync): it fsyncs a new log file but
// never its directory, so a crash can take the whole file — durable txns included —
// with it. On ext4-like disks (the default) a file's fsync also commits its name.
func TestStrictDirSyncLosesNewLogFile(t *testing.T) {
	for _, strict := range []bool{false, true} {
		opts := sim.DefaultDiskOptions()
		opts.StrictDirSync = strict
		world := sim.NewWorld(9, sim.WithDisks(opts))
		h := world.AddHost()
		fs := simfs.New(world.Disk(h))
		cfg := zkdb.Config{FS: fs, DataDir: "data", PreAllocKB: 4, SnapCount: 1 << 30, Rand: world.Rand("zkdb")}
		db := zkdb.New(cfg)
		if _, err := db.Load(zkdb.LoadOptions{}); err != nil {
			t.Fatal(err)
		}
		// Make the empty database durable, names included, as an operator's setup would.
		syncAll(t, fs, "data/version-2")
		var w workload
		w.run(db, 10, 10)
		world.CrashWith(h, sim.CrashDrop)
		world.Restart(h)
		cfg.FS = simfs.New(world.Disk(h))
		re := zkdb.New(cfg)
		rep, err := re.Load(zkdb.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := re.LastProcessedZxid(); strict && got != 0 || !strict && got != 10 {
			t.Fatalf("strict=%v: recovered to %d (report %+v), durable up to %d", strict, got, rep, w.durable)
		}
	}
}

func syncAll(t tb, fs wal.FS, dir string) {
	t.Helper()
	names, err := fs.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		f, err := fs.Open(dir + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		f.Sync()
		f.Close()
	}
	for d := dir; d != "."; d = path.Dir(d) {
		if err := fs.SyncDir(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.SyncDir("."); err != nil {
		t.Fatal(err)
	}
}
