package wal_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zabsim/zabsim/internal/jute"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

func fixtureBytes(f *testing.F, rel string) []byte {
	b, err := os.ReadFile(filepath.Join(fixtureRoot, rel))
	if err != nil {
		f.Fatalf("fixture: %v", err)
	}
	return b
}

// FuzzLogFile feeds arbitrary bytes to the log reader: it must return records, an end, or
// an error, never panic, and never report a record the bytes do not hold.
func FuzzLogFile(f *testing.F) {
	f.Add(fixtureBytes(f, "standalone-1/version-2/log.1")[:2000])
	f.Add(fixtureBytes(f, "api-trace-11/version-2/log.1")[:600])
	f.Add([]byte("ZKLG\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add([]byte("ZKLG"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs := memfs.New()
		fs.WriteFile("log.1", b)
		_, _ = wal.ScanLogFile(fs, "log.1", func(off int64, tx wal.Txn) error {
			if off < wal.FileHeaderSize || off+wal.RecordSize(tx) > int64(len(b)) {
				t.Fatalf("record at %d of size %d outside the %d input bytes", off, wal.RecordSize(tx), len(b))
			}
			return nil
		})
	})
}

// FuzzSnapshot feeds arbitrary bytes to the snapshot reader with the generic tree reader.
func FuzzSnapshot(f *testing.F) {
	f.Add(fixtureBytes(f, "standalone-1/version-2/snapshot.0"))
	f.Add(fixtureBytes(f, "ensemble-2/n1/version-2/snapshot.100000048"))
	f.Add([]byte("ZKSN\x00\x00\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff\x7f\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = wal.DecodeSnapshot(b, func(d *jute.Decoder) error {
			_, err := wal.DecodeTreeSection(d)
			return err
		})
	})
}
