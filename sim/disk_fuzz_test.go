package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"testing"
)

// FuzzDiskOps drives one file with operations decoded from the input — any offsets and
// sizes, including absurd ones — and checks that the disk never panics, refuses what it
// must with a clear error, and always reads back the last bytes written (no crash, so
// volatile state must be exact), on every durability model; then a crash that keeps
// everything must keep exactly that.
func FuzzDiskOps(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 2})
	f.Add([]byte{1, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3})
	f.Add([]byte{0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 4, 1, 2, 3, 4, 2, 3})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 1, 7, 2})
	f.Fuzz(func(t *testing.T, in []byte) {
		o := DefaultDiskOptions()
		o.Model = DiskModel(len(in) % 3)
		w := NewWorld(1, WithDisks(o))
		h := w.AddHost()
		d := w.Disk(h)
		file, err := d.Create("f")
		if err != nil {
			t.Fatal(err)
		}
		var model []byte
		for len(in) >= 9 {
			op, off := in[0]%4, int64(binary.BigEndian.Uint64(in[1:9]))
			in = in[9:]
			switch op {
			case 0: // write: one length byte, then that many bytes
				if len(in) == 0 {
					return
				}
				n := min(int(in[0]), len(in)-1)
				data := in[1 : 1+n]
				in = in[1+n:]
				_, err := file.WriteAt(data, off)
				end := off + int64(n)
				valid := off >= 0 && end >= off && end <= MaxFileSize
				if !valid {
					if !errors.Is(err, fs.ErrInvalid) {
						t.Fatalf("write %d bytes at %d: %v, want fs.ErrInvalid", n, off, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("write %d bytes at %d: %v", n, off, err)
				}
				if end > 1<<20 {
					return // valid, but too big to model in memory
				}
				model = writeModel(model, data, int(off))
			case 1: // truncate
				err := file.Truncate(off)
				if off < 0 || off > MaxFileSize {
					if !errors.Is(err, fs.ErrInvalid) {
						t.Fatalf("truncate to %d: %v, want fs.ErrInvalid", off, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("truncate to %d: %v", off, err)
				}
				if off > 1<<20 {
					return
				}
				model = append(model[:min(int(off), len(model))], make([]byte, max(0, int(off)-len(model)))...)
			case 2: // sync
				if err := file.Sync(); err != nil {
					t.Fatal(err)
				}
			case 3: // read at an arbitrary offset
				b := make([]byte, 64)
				n, err := file.ReadAt(b, off)
				if off < 0 {
					if !errors.Is(err, fs.ErrInvalid) {
						t.Fatalf("read at %d: %v", off, err)
					}
					continue
				}
				want := []byte{}
				if off < int64(len(model)) {
					want = model[off:min(int(off)+64, len(model))]
				}
				if !bytes.Equal(b[:n], want) || (n < 64 && err != io.EOF) {
					t.Fatalf("read at %d: %d bytes %v (%v), want %v", off, n, b[:n], err, want)
				}
			}
		}
		size, _ := file.Size()
		got := make([]byte, size)
		file.ReadAt(got, 0)
		if !bytes.Equal(got, model) {
			t.Fatalf("file holds %v, model %v", got, model)
		}
		w.CrashWith(h, CrashKeep)
		w.Restart(h)
		if file, err = d.Open("f"); err != nil {
			t.Fatalf("%s disk: after a keeping crash: %v", o.Model, err)
		}
		size, _ = file.Size()
		got = make([]byte, size)
		file.ReadAt(got, 0)
		if !bytes.Equal(got, model) {
			t.Fatalf("%s disk: after a keeping crash the file holds %v, model %v", o.Model, got, model)
		}
	})
}

func writeModel(model, data []byte, off int) []byte {
	for len(model) < off+len(data) {
		model = append(model, 0)
	}
	copy(model[off:], data)
	return model
}
