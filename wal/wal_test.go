package wal_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

const dir = "data/version-2"

func txn(zxid int64) wal.Txn {
	return wal.Txn{
		Header: wal.TxnHeader{ClientID: 0x100, Cxid: int32(zxid), Zxid: zxid, TimeMs: 1000 + zxid, Type: 5},
		Body:   []byte(fmt.Sprintf("body-of-%d", zxid)),
	}
}

func newFS(t testing.TB) *memfs.FS {
	fs := memfs.New()
	if err := fs.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	return fs
}

// appendAll appends zxids [from, to] to l, committing every batch txns.
func appendAll(t testing.TB, l *wal.Log, from, to int64, batch int) {
	t.Helper()
	for z := from; z <= to; z++ {
		if err := l.Append(txn(z)); err != nil {
			t.Fatal(err)
		}
		if int(z-from+1)%batch == 0 || z == to {
			if err := l.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func readZxids(t testing.TB, fs wal.FS, from int64) ([]int64, error) {
	t.Helper()
	it, err := wal.ReadLog(fs, dir, from)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []int64
	for it.Next() {
		tx := it.Txn()
		if want := txn(tx.Header.Zxid); string(tx.Body) != string(want.Body) || tx.Header != want.Header {
			t.Fatalf("txn %d read back as %+v", tx.Header.Zxid, tx)
		}
		out = append(out, tx.Header.Zxid)
	}
	return out, it.Err()
}

func seq(from, to int64) []int64 {
	var out []int64
	for z := from; z <= to; z++ {
		out = append(out, z)
	}
	return out
}

func TestAppendRollRead(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 1})
	appendAll(t, l, 1, 40, 7)
	if err := l.Roll(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, l, 41, 90, 1)
	names, _ := fs.ReadDir(dir)
	if !slices.Equal(names, []string{"log.1", "log.29"}) {
		t.Fatalf("files = %v", names)
	}
	for _, c := range []struct {
		from int64
		want []int64
	}{{0, seq(1, 90)}, {1, seq(1, 90)}, {30, seq(30, 90)}, {41, seq(41, 90)}, {90, seq(90, 90)}, {91, nil}} {
		got, err := readZxids(t, fs, c.from)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("from %d: got %v, %v", c.from, got, err)
		}
	}
	if z, err := wal.LastLoggedZxid(fs, dir); z != 90 || err != nil {
		t.Errorf("LastLoggedZxid = %d, %v", z, err)
	}
}

func TestPaddingGrowsInPreallocSteps(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 4})
	appendAll(t, l, 1, 1, 1)
	b, _ := fs.ReadFile(dir + "/log.1")
	if len(b) != 16+4096 {
		t.Fatalf("fresh log size %d, want %d", len(b), 16+4096)
	}
	// Each Append checks committed position+4096 >= size: txn 2 (position 16+record)
	// extends the file by one step; txn 3 (well below 8208-4096) does not.
	appendAll(t, l, 2, 3, 1)
	b, _ = fs.ReadFile(dir + "/log.1")
	if len(b) != 16+2*4096 {
		t.Fatalf("log size after 3 commits %d, want %d", len(b), 16+2*4096)
	}
}

func TestTornTailIsDropped(t *testing.T) {
	for _, cut := range []int{1, 8, 12, 20, 30} {
		fs := newFS(t)
		l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 0})
		appendAll(t, l, 1, 5, 5)
		b, _ := fs.ReadFile(dir + "/log.1")
		last := int(wal.RecordSize(txn(5)))
		f, _ := fs.Open(dir + "/log.1")
		f.Truncate(int64(len(b) - last + cut)) // the last record lost its end
		got, err := readZxids(t, fs, 0)
		if err != nil || !slices.Equal(got, seq(1, 4)) {
			t.Errorf("cut %d: got %v, %v", cut, got, err)
		}
	}
}

func TestMissingEndMarkerIsPartial(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
	appendAll(t, l, 1, 3, 3)
	f, _ := fs.Open(dir + "/log.1")
	end := 16 + 3*wal.RecordSize(txn(1))
	f.WriteAt([]byte{0}, end-1) // zero the last 'B'
	got, err := readZxids(t, fs, 0)
	if err != nil || !slices.Equal(got, seq(1, 2)) {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestFlippedBitIsCRCError(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
	appendAll(t, l, 1, 3, 3)
	f, _ := fs.Open(dir + "/log.1")
	off := int64(16) + wal.RecordSize(txn(1)) + 20 // inside record 2's body
	b := make([]byte, 1)
	f.ReadAt(b, off)
	f.WriteAt([]byte{b[0] ^ 0x10}, off)
	_, err := readZxids(t, fs, 0)
	if !errors.Is(err, wal.ErrCorrupt) || !strings.Contains(err.Error(), "crc check failed") ||
		!strings.Contains(err.Error(), fmt.Sprintf("offset %d", 16+wal.RecordSize(txn(1)))) {
		t.Fatalf("err = %v", err)
	}
}

func TestBadMagicAndLengths(t *testing.T) {
	fs := newFS(t)
	fs.WriteFile(dir+"/log.1", []byte("ZKSN\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"))
	if _, err := readZxids(t, fs, 0); err == nil || !strings.Contains(err.Error(), "not a txn log") {
		t.Fatalf("bad magic: %v", err)
	}
	fs = newFS(t)
	hdr := "ZKLG\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"
	fs.WriteFile(dir+"/log.1", []byte(hdr+"\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x00\x00\x00"))
	if _, err := readZxids(t, fs, 0); !errors.Is(err, wal.ErrCorrupt) || !strings.Contains(err.Error(), "unreasonable record length") || !strings.Contains(err.Error(), "offset 24") {
		t.Fatalf("huge length: %v", err)
	}
	fs = newFS(t)
	fs.WriteFile(dir+"/log.1", []byte(hdr[:10]))
	if _, err := readZxids(t, fs, 0); err == nil || !strings.Contains(err.Error(), "header cut short") {
		t.Fatalf("short header: %v", err)
	}
}

func TestEmptyNewestLogFileReadsAsEmpty(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
	appendAll(t, l, 1, 3, 1)
	fs.WriteFile(dir+"/log.4", nil)
	got, err := readZxids(t, fs, 0)
	if err != nil || !slices.Equal(got, seq(1, 3)) {
		t.Fatalf("got %v, %v", got, err)
	}
	// An empty file that is not the newest is corruption, as in ZooKeeper.
	fs.WriteFile(dir+"/log.9", []byte("ZKLG\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"))
	if _, err := readZxids(t, fs, 0); err == nil {
		t.Fatal("an empty log file followed by another was accepted")
	}
}

func TestTruncate(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
	appendAll(t, l, 1, 10, 3)
	l.Roll()
	appendAll(t, l, 11, 20, 3)
	l.Roll()
	appendAll(t, l, 21, 30, 3)
	l.Close()
	if err := wal.TruncateLog(fs, dir, 15); err != nil {
		t.Fatal(err)
	}
	names, _ := fs.ReadDir(dir)
	if !slices.Equal(names, []string{"log.1", "log.b"}) {
		t.Fatalf("files after truncate = %v", names)
	}
	b, _ := fs.ReadFile(dir + "/log.b")
	if want := 16 + 5*wal.RecordSize(txn(11)); int64(len(b)) != want {
		t.Fatalf("log.b is %d bytes, want %d (cut right after zxid 15)", len(b), want)
	}
	if got, err := readZxids(t, fs, 0); err != nil || !slices.Equal(got, seq(1, 15)) {
		t.Fatalf("after truncate: %v, %v", got, err)
	}
	if err := wal.TruncateLog(fs, dir, 99); err == nil || !strings.Contains(err.Error(), "no log record") {
		t.Fatalf("truncate past the end: %v", err)
	}
	// New appends after a truncation go to a new file, as after ZooKeeper's reload.
	l = wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
	appendAll(t, l, 16, 17, 1)
	if got, err := readZxids(t, fs, 0); err != nil || !slices.Equal(got, seq(1, 17)) {
		t.Fatalf("after re-append: %v, %v", got, err)
	}
}

func TestEpochFiles(t *testing.T) {
	fs := newFS(t)
	if _, ok, err := wal.ReadEpoch(fs, dir, wal.CurrentEpochFile); ok || err != nil {
		t.Fatalf("missing file: ok=%v err=%v", ok, err)
	}
	if err := wal.WriteEpoch(fs, dir, wal.AcceptedEpochFile, 12); err != nil {
		t.Fatal(err)
	}
	b, _ := fs.ReadFile(dir + "/acceptedEpoch")
	if string(b) != "12" {
		t.Fatalf("acceptedEpoch contents %q", b)
	}
	// Missing currentEpoch is created from the last zxid's epoch.
	e, err := wal.LoadEpochs(fs, dir, 3<<32|7)
	if err != nil || e != (wal.Epochs{Accepted: 12, Current: 3}) {
		t.Fatalf("LoadEpochs = %+v, %v", e, err)
	}
	// Last zxid newer than currentEpoch: fail, unless currentEpoch.tmp exists.
	if _, err := wal.LoadEpochs(fs, dir, 5<<32|1); err == nil || !strings.Contains(err.Error(), "older than the last zxid") {
		t.Fatalf("stale currentEpoch: %v", err)
	}
	fs.WriteFile(dir+"/currentEpoch.tmp", []byte("5"))
	if e, err := wal.LoadEpochs(fs, dir, 5<<32|1); err != nil || e.Current != 5 {
		t.Fatalf("tmp fallback: %+v, %v", e, err)
	}
	wal.WriteEpoch(fs, dir, wal.AcceptedEpochFile, 4)
	if _, err := wal.LoadEpochs(fs, dir, 5<<32|1); err == nil || !strings.Contains(err.Error(), "accepted epoch") {
		t.Fatalf("accepted < current: %v", err)
	}
	fs.WriteFile(dir+"/currentEpoch", []byte("x1"))
	if _, _, err := wal.ReadEpoch(fs, dir, wal.CurrentEpochFile); err == nil || !strings.Contains(err.Error(), `"x1"`) {
		t.Fatalf("garbage epoch: %v", err)
	}
}

func TestSnapTriggerDrawsInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tr := wal.NewSnapTrigger(100, 0, rng)
	seen := map[int]bool{}
	for range 2000 {
		th := tr.Threshold()
		if th < 50 || th >= 100 {
			t.Fatalf("threshold %d outside [50,100)", th)
		}
		seen[th] = true
		n := 1
		for !tr.Logged(0) {
			n++
		}
		if n != th+1 {
			t.Fatalf("fired after %d txns, threshold %d", n, th)
		}
		tr.Reset(rng)
	}
	if len(seen) < 40 {
		t.Fatalf("only %d distinct thresholds", len(seen))
	}
	sized := wal.NewSnapTrigger(1000000, 1, rng) // 1 KB: fires on size
	if sized.Logged(100) || !sized.Logged(1025) {
		t.Fatal("size rule wrong")
	}
}

func TestLogSurfacesDiskErrors(t *testing.T) {
	for _, op := range []memfs.Op{memfs.OpCreate, memfs.OpWrite, memfs.OpTruncate, memfs.OpSync} {
		fs := newFS(t)
		boom := errors.New("EIO")
		fs.Inject = func(o memfs.Op, _ string) error {
			if o == op {
				return boom
			}
			return nil
		}
		l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
		err := l.Append(txn(1))
		if err == nil {
			err = l.Commit()
		}
		if !errors.Is(err, boom) {
			t.Errorf("%s error not surfaced: %v", op, err)
		}
		if err2 := l.Append(txn(2)); !errors.Is(err2, boom) {
			t.Errorf("%s: log kept working after an error: %v", op, err2)
		}
	}
}

func TestReadLogFileStartsAtTheFileStart(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 4})
	appendAll(t, l, 1, 40, 10)
	l.Roll()
	appendAll(t, l, 41, 90, 10)
	it, err := wal.ReadLogFile(fs, dir, 45)
	if err != nil || !it.Next() || it.Txn().Header.Zxid != 41 {
		t.Fatalf("ReadLogFile(45) starts at %d, %v; want 41, the start of log.29", it.Txn().Header.Zxid, err)
	}
	size, err := it.StorageSize()
	b, _ := fs.ReadFile(dir + "/log.29")
	if err != nil || size != int64(len(b)) {
		t.Fatalf("StorageSize = %d, %v; want the size of log.29 alone, %d", size, err, len(b))
	}
	it, _ = wal.ReadLog(fs, dir, 45)
	if !it.Next() || it.Txn().Header.Zxid != 45 {
		t.Fatalf("ReadLog(45) starts at %d", it.Txn().Header.Zxid)
	}
}

// A batch larger than the preallocation overruns the padded size; the next append pads
// from the written position, rounded down to a multiple of the step (FilePadding).
func TestPaddingAfterOverrun(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 8})
	appendAll(t, l, 1, 200, 200) // one batch of about 11 KB: past 16 + 8192
	written := int64(16)
	for z := int64(1); z <= 200; z++ {
		written += wal.RecordSize(txn(z))
	}
	b, _ := fs.ReadFile(dir + "/log.1")
	if int64(len(b)) != written || written <= 16+8192 {
		t.Fatalf("after the overrun the file is %d bytes, want %d", len(b), written)
	}
	appendAll(t, l, 201, 201, 1)
	b, _ = fs.ReadFile(dir + "/log.1")
	if want := (written + 8192) / 8192 * 8192; int64(len(b)) != want {
		t.Fatalf("padded to %d, want %d", len(b), want)
	}
	if l.TotalLogSize() != int64(len(b)) || l.LastZxidFlushed() != 201 {
		t.Fatalf("TotalLogSize %d, LastZxidFlushed %d", l.TotalLogSize(), l.LastZxidFlushed())
	}
	l.Roll()
	l.ResetTotalLogSize()
	if l.TotalLogSize() != 0 {
		t.Fatalf("TotalLogSize after roll and reset = %d", l.TotalLogSize())
	}
}

func TestEmptyTailIsErrorOption(t *testing.T) {
	fs := newFS(t)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: 16})
	appendAll(t, l, 1, 3, 1)
	fs.WriteFile(dir+"/log.4", nil)
	it, _ := wal.ReadLogWith(fs, dir, 0, wal.ReadOptions{EmptyTailIsError: true})
	for it.Next() {
	}
	if !errors.Is(it.Err(), wal.ErrCorrupt) || !strings.Contains(it.Err().Error(), "log.4") {
		t.Fatalf("3.8.0 behaviour: err = %v", it.Err())
	}
}
