package sim

import (
	"fmt"
	"path"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// fileModel is the test's own account of one file: what reads must show now, what was
// durable at the last successful Sync, which bytes changed since, and every value each
// offset ever held.
type fileModel struct {
	data       []byte       // what reads show
	synced     []byte       // contents at the last successful Sync
	touched    map[int]bool // offsets written or truncated since the last successful Sync
	lost       map[int]bool // offsets whose fsync failed and that were not rewritten in their page since
	everHeld   map[int]map[byte]bool
	syncedSize int
}

func newFileModel() *fileModel {
	return &fileModel{touched: map[int]bool{}, lost: map[int]bool{}, everHeld: map[int]map[byte]bool{}}
}

func (m *fileModel) held(off int, b byte) {
	if m.everHeld[off] == nil {
		m.everHeld[off] = map[byte]bool{}
	}
	m.everHeld[off][b] = true
}

func (m *fileModel) write(b []byte, off int) {
	for len(m.data) < off+len(b) {
		m.data = append(m.data, 0)
	}
	for i, x := range b {
		m.data[off+i] = x
		m.touched[off+i] = true
		m.held(off+i, x)
	}
	// A rewritten page is dirty again as a whole: bytes of it whose fsync had failed
	// will be synced with it.
	for p := off / PageSize; p <= (off+len(b)-1)/PageSize; p++ {
		for o := p * PageSize; o < (p+1)*PageSize; o++ {
			if m.lost[o] {
				delete(m.lost, o)
				m.touched[o] = true
			}
		}
	}
}

func (m *fileModel) truncate(size int) {
	for i := size; i < len(m.data); i++ {
		m.touched[i] = true
	}
	if size < len(m.data) {
		m.data = m.data[:size]
	}
	for len(m.data) < size {
		m.touched[len(m.data)] = true
		m.data = append(m.data, 0)
	}
}

func (m *fileModel) sync(failed bool) {
	if failed {
		for o := range m.touched {
			m.lost[o] = true
		}
		m.touched = map[int]bool{}
		return
	}
	next := append([]byte(nil), m.data...)
	for o := range m.lost {
		if o < len(next) && o < len(m.synced) {
			next[o] = m.synced[o] // never becomes durable
		}
	}
	m.synced = next
	m.syncedSize = len(next)
	m.touched = map[int]bool{}
}

// commitSize is the ordered model's journal commit for this file: bytes written past
// the durable size become durable with the new size.
func (m *fileModel) commitSize() {
	for o := m.syncedSize; o < len(m.data); o++ {
		if !m.lost[o] {
			delete(m.touched, o)
		}
	}
	next := append([]byte(nil), m.data...)
	for o := range len(next) {
		if o < len(m.synced) && (m.touched[o] || m.lost[o]) {
			next[o] = m.synced[o]
		}
	}
	m.synced = next
	m.syncedSize = len(next)
}

// TestDiskProperties checks the data guarantees of every model against the test's own
// account of each file: sizes and bytes after a crash are ones the model allows, fsynced
// bytes survive, no byte reads a value never written there. On an ordered disk every
// successful fsync commits every file's size, bytes written past the committed size are
// durable with it, and a crash leaves all files at the last commit or all at the current
// sizes.
func TestDiskProperties(t *testing.T) {
	for _, model := range []DiskModel{DiskOrdered, DiskStrict, DiskReordered} {
		t.Run(model.String(), func(t *testing.T) { testDiskProperties(t, model) })
	}
}

func testDiskProperties(t *testing.T, model DiskModel) {
	rapid.Check(t, func(rt *rapid.T) {
		o := DefaultDiskOptions()
		o.Model = model
		o.JournalCommitInterval = 0 // commits only at fsyncs, which the model follows
		w := NewWorld(rapid.Uint64().Draw(rt, "seed"), WithDisks(o))
		h := w.AddHost()
		d := w.Disk(h)
		d.MkdirAll("d")
		names := []string{"d/a", "d/b"}
		models := map[string]*fileModel{}
		files := map[string]*File{}
		reopen := func() {
			for _, n := range names {
				f, err := d.Open(n)
				if err != nil {
					rt.Fatalf("open %s after crash: %v", n, err)
				}
				files[n] = f
			}
		}
		for _, n := range names {
			f, _ := d.Create(n)
			f.Sync() // the names are durable from the start
			files[n] = f
			d.SyncDir("d")
			models[n] = newFileModel()
		}
		flipped := func(name string, off int) bool {
			for _, c := range d.Corruptions() {
				if c.Path == name && int(c.Off) == off {
					return true
				}
			}
			return false
		}
		maxOff := rapid.IntRange(1, 4*PageSize).Draw(rt, "maxOff")
		for range rapid.IntRange(1, 60).Draw(rt, "steps") {
			name := rapid.SampledFrom(names).Draw(rt, "file")
			f, m := files[name], models[name]
			switch rapid.IntRange(0, 9).Draw(rt, "op") {
			case 0, 1, 2:
				off := rapid.IntRange(0, maxOff).Draw(rt, "off")
				b := rapid.SliceOfN(rapid.Byte(), 1, 2*SectorSize).Draw(rt, "data")
				if _, err := f.WriteAt(b, int64(off)); err != nil {
					rt.Fatal(err)
				}
				m.write(b, off)
			case 3:
				size := rapid.IntRange(0, maxOff).Draw(rt, "size")
				f.Truncate(int64(size))
				m.truncate(size)
			case 4, 5:
				err := f.Sync()
				m.sync(err != nil)
				if err == nil && model == DiskOrdered {
					for _, n := range names {
						models[n].commitSize()
					}
				}
			case 6:
				kind := rapid.SampledFrom([]FaultKind{FaultEIO, FaultBitFlip}).Draw(rt, "fault")
				d.Inject(Fault{Name: "prop", Ops: []FaultOp{OpSync}, Kind: kind, Times: 1})
			case 7:
				mode := rapid.SampledFrom([]CrashMode{CrashDrawn, CrashKeep, CrashDrop, CrashTear}).Draw(rt, "crash")
				w.CrashWith(h, mode)
				w.Restart(h)
				reopen()
				if model == DiskOrdered {
					checkOneCommit(rt, names, files, models)
				}
				for _, n := range names {
					checkAfterCrash(rt, n, files[n], models[n], flipped)
				}
			default:
				if err := w.RunFor(Millisecond); err != nil {
					rt.Fatal(err)
				}
			}
			checkReads(rt, name, files[name], m, flipped)
		}
	})
}

// checkReads: a file reads back exactly what was written, except injected flips.
func checkReads(rt *rapid.T, name string, f *File, m *fileModel, flipped func(string, int) bool) {
	size, _ := f.Size()
	if int(size) != len(m.data) {
		rt.Fatalf("%s: size %d, model %d", name, size, len(m.data))
	}
	got := make([]byte, size)
	if _, err := f.ReadAt(got, 0); err != nil {
		rt.Fatalf("%s: read: %v", name, err)
	}
	for i := range got {
		if got[i] != m.data[i] && !flipped(name, i) {
			rt.Fatalf("%s: byte %d reads %d, last written %d", name, i, got[i], m.data[i])
		}
	}
}

// checkOneCommit: on an ordered disk a crash leaves every file at its size of the last
// journal commit, or (the running transaction committed as power went) every file at its
// current size; in the latter case the model commits too.
func checkOneCommit(rt *rapid.T, names []string, files map[string]*File, models map[string]*fileModel) {
	atLast, atCurrent := true, true
	var sizes []string
	for _, n := range names {
		size, _ := files[n].Size()
		atLast = atLast && int(size) == models[n].syncedSize
		atCurrent = atCurrent && int(size) == len(models[n].data)
		sizes = append(sizes, fmt.Sprintf("%s=%d (committed %d, current %d)", n, size, models[n].syncedSize, len(models[n].data)))
	}
	if !atLast && !atCurrent {
		rt.Fatalf("ordered disk: sizes after crash are from no single journal commit: %v", sizes)
	}
	if !atLast {
		for _, n := range names {
			models[n].commitSize()
		}
	}
}

// checkAfterCrash: the size is the synced or the current one; every byte synced and
// not changed since reads back intact; no byte reads a value never written there.
// Then the model becomes what the disk holds.
func checkAfterCrash(rt *rapid.T, name string, f *File, m *fileModel, flipped func(string, int) bool) {
	size, _ := f.Size()
	if int(size) != m.syncedSize && int(size) != len(m.data) {
		rt.Fatalf("%s: size after crash %d, neither synced %d nor current %d", name, size, m.syncedSize, len(m.data))
	}
	got := make([]byte, size)
	if _, err := f.ReadAt(got, 0); err != nil {
		rt.Fatalf("%s: read after crash: %v", name, err)
	}
	for i, b := range got {
		if flipped(name, i) {
			continue
		}
		durable := i < m.syncedSize && !m.touched[i] && !m.lost[i]
		if durable && b != m.synced[i] {
			rt.Fatalf("%s: fsynced byte %d reads %d after crash, want %d", name, i, b, m.synced[i])
		}
		if b != 0 && !m.everHeld[i][b] {
			rt.Fatalf("%s: byte %d reads %d after crash, a value never written there", name, i, b)
		}
	}
	m.data = append([]byte(nil), got...)
	m.synced = append([]byte(nil), got...)
	m.syncedSize = len(got)
	m.touched = map[int]bool{}
	m.lost = map[int]bool{}
}

func ExampleDisk() {
	w := NewWorld(1)
	h := w.AddHost()
	d := w.Disk(h)
	d.MkdirAll("data/version-2")
	f, _ := d.Create("data/version-2/log.1")
	f.WriteAt([]byte("durable "), 0)
	f.Sync()
	f.WriteAt([]byte("lost"), 8)
	w.CrashWith(h, CrashDrop) // power loss: unsynced data is gone
	w.Restart(h)
	g, _ := d.Open("data/version-2/log.1")
	size, _ := g.Size()
	b := make([]byte, size)
	g.ReadAt(b, 0)
	fmt.Printf("%q\n", b)
	// Output: "durable "
}

// TestDiskNamespaceProperties: after a crash the names on disk are exactly those after
// some prefix of the name changes made so far — never a state the directory tree never
// passed through (so a rename is atomic) — and that prefix includes every change that a
// SyncDir of its directory (or, except on a strict disk, a file Sync) made durable. On
// an ordered disk the journal commits atomically: the names are those of the last commit
// or the current ones.
func TestDiskNamespaceProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		o := DefaultDiskOptions()
		o.Model = rapid.SampledFrom([]DiskModel{DiskOrdered, DiskStrict, DiskReordered}).Draw(rt, "model")
		w := NewWorld(rapid.Uint64().Draw(rt, "seed"), WithDisks(o))
		h := w.AddHost()
		d := w.Disk(h)
		dirs := []string{"a", "b"}
		for _, dir := range dirs {
			d.MkdirAll(dir)
		}
		names := []string{"a/1", "a/2", "a/3", "b/1", "b/2"}
		// hist[i] is the namespace after i changes since the last crash; durable is the
		// shortest prefix known durable.
		snapshot := func() string { return fmt.Sprint(d.Files()) }
		hist := []string{snapshot()}
		touched := [][]string{nil} // directories each change touched
		durable := 0
		for range rapid.IntRange(1, 50).Draw(rt, "steps") {
			name := rapid.SampledFrom(names).Draw(rt, "name")
			var changed []string
			switch rapid.IntRange(0, 6).Draw(rt, "op") {
			case 0, 1:
				if _, err := d.Open(name); err != nil {
					if _, err := d.Create(name); err == nil {
						changed = []string{path.Dir(name)}
					}
				}
			case 2:
				if d.Remove(name) == nil {
					changed = []string{path.Dir(name)}
				}
			case 3:
				to := rapid.SampledFrom(names).Draw(rt, "to")
				if to != name && d.Rename(name, to) == nil {
					changed = []string{path.Dir(name), path.Dir(to)}
				}
			case 4:
				dir := rapid.SampledFrom(dirs).Draw(rt, "dir")
				d.SyncDir(dir)
				if o.Model == DiskOrdered {
					durable = len(hist) - 1 // a directory fsync commits the journal
				}
				for i := len(touched) - 1; i > durable; i-- {
					if slices.Contains(touched[i], dir) {
						durable = i
						break
					}
				}
			case 5:
				if f, err := d.Open(name); err == nil && f.Sync() == nil && o.Model != DiskStrict {
					durable = len(hist) - 1
				}
			case 6:
				w.CrashWith(h, rapid.SampledFrom([]CrashMode{CrashKeep, CrashDrop, CrashTear}).Draw(rt, "mode"))
				w.Restart(h)
				got := snapshot()
				allowed := hist[durable:]
				if o.Model == DiskOrdered { // the journal commits atomically
					allowed = []string{hist[durable], hist[len(hist)-1]}
				}
				if !slices.Contains(allowed, got) {
					rt.Fatalf("after crash the names are %s; allowed: %v", got, hist[durable:])
				}
				// The report lists exactly the changes the crash reverted, so the names
				// are those of the history before them.
				reps := d.CrashReports()
				undone := len(reps[len(reps)-1].UndoneNames)
				if undone >= len(hist) || hist[len(hist)-1-undone] != got {
					rt.Fatalf("the crash report lists %d undone name changes, but the names after it are %s; history %v",
						undone, got, hist)
				}
				hist, touched, durable = []string{got}, [][]string{nil}, 0
			}
			if changed != nil {
				hist = append(hist, snapshot())
				touched = append(touched, changed)
			}
		}
	})
}
