package zkdb_test

import (
	"math/rand/v2"
	"testing"

	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

// FuzzReplay logs arbitrary entry bytes (framed with a valid checksum, so they get past
// the CRC check and reach txn decoding and the tree) after a valid history and
// recovers: Load must return an error or a tree, never panic.
func FuzzReplay(f *testing.F) {
	f.Add(workEntry(3), workEntry(8))
	f.Add(workEntry(4), []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{}, workEntry(14))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		fs := memfs.New()
		db := zkdb.New(zkdb.Config{FS: fs, DataDir: "d", PreAllocKB: 1, Rand: rand.New(rand.NewPCG(1, 1))})
		db.Load(zkdb.LoadOptions{})
		for z := int64(1); z <= 5; z++ {
			db.Append(workEntry(z))
		}
		db.Commit()
		db.Close()
		log := wal.OpenLog(fs, "d/version-2", wal.LogOptions{})
		for i, raw := range [][]byte{a, b} {
			tx, err := wal.DecodeTxn(raw, 0)
			if err != nil {
				continue
			}
			tx.Header.Zxid = 6 + int64(i)
			log.Append(tx)
		}
		log.Commit()
		_, _ = zkdb.New(zkdb.Config{FS: fs, DataDir: "d", Rand: rand.New(rand.NewPCG(1, 1))}).Load(zkdb.LoadOptions{})
	})
}
