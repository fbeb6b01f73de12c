package zkdb_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/zabsim/zabsim/datatree"
	"github.com/zabsim/zabsim/internal/simfs"
	"github.com/zabsim/zabsim/internal/zkdb"
	"github.com/zabsim/zabsim/sim"
	"github.com/zabsim/zabsim/wal"
)

// benchEntry is a setData on one of 1000 nodes (created by the first 1000 zxids) with
// 100 bytes of data: a recovery-heavy but memory-light workload.
func benchEntry(z int64) []byte {
	h := datatree.TxnHeader{ClientID: 0x1000, Cxid: int32(z), Zxid: z, Time: z, Type: datatree.OpSetData}
	data := make([]byte, 100)
	copy(data, fmt.Sprint(z))
	var txn datatree.Txn = &datatree.SetDataTxn{Path: fmt.Sprintf("/n%d", z%1000), Data: data, Version: int32(z / 1000)}
	if z <= 1000 {
		h.Type = datatree.OpCreate
		txn = &datatree.CreateTxn{Path: fmt.Sprintf("/n%d", z%1000), Data: data, ACL: datatree.OpenACLUnsafe, ParentCVersion: int32(z)}
	}
	return datatree.MarshalEntry(&datatree.TxnEntry{Header: h, Txn: txn})
}

func simDB(seed uint64, snapCount int) (*zkdb.DB, wal.FS) {
	world := sim.NewWorld(seed)
	fs := simfs.New(world.Disk(world.AddHost()))
	return zkdb.New(zkdb.Config{FS: fs, DataDir: "data", SnapCount: snapCount, Rand: rand.New(rand.NewPCG(seed, 1))}), fs
}

// BenchmarkAppendCommitSimDisk measures appended txns per second through zkdb on sim's
// disk, one Commit (fsync) per batch of 1000 as SyncRequestProcessor batches under load,
// and per txn as an idle server does.
func BenchmarkAppendCommitSimDisk(b *testing.B) {
	for _, batch := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db, _ := simDB(1, wal.DefaultSnapCount)
			db.Load(zkdb.LoadOptions{})
			entries := make([][]byte, 2000)
			for i := range entries {
				entries[i] = benchEntry(int64(i + 1))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := entries[i%len(entries)]
				if _, err := db.Append(e); err != nil {
					b.Fatal(err)
				}
				if (i+1)%batch == 0 {
					if err := db.Commit(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
		})
	}
}

// BenchmarkRecover1M measures Load of a data dir holding snapshot.0 and 1M logged txns
// (64 MiB-preallocated log files rolled every ~100k txns, no later snapshot, so all 1M
// are replayed), the heap the simulated disk holds, and the heap the recovered database
// adds (tree of 1000 nodes, committed log).
func BenchmarkRecover1M(b *testing.B) {
	const n = 1_000_000
	db, fs := simDB(2, 1<<30)
	db.Load(zkdb.LoadOptions{})
	for z := int64(1); z <= n; z++ {
		if _, err := db.Append(benchEntry(z)); err != nil {
			b.Fatal(err)
		}
		if z%1000 == 0 {
			db.Commit()
		}
		if z%100_000 == 0 {
			db.RollLog()
		}
	}
	db.Commit()
	db.Close()
	heapOf := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	diskHeap := heapOf() // the simulated disk holding the log
	b.ResetTimer()
	var heapBytes uint64
	for i := 0; i < b.N; i++ {
		re := zkdb.New(zkdb.Config{FS: fs, DataDir: "data", Rand: rand.New(rand.NewPCG(1, 1))})
		rep, err := re.Load(zkdb.LoadOptions{})
		if err != nil || rep.TxnsReplayed != n {
			b.Fatalf("replayed %d: %v", rep.TxnsReplayed, err)
		}
		b.StopTimer()
		heapBytes = heapOf() - diskHeap
		runtime.KeepAlive(re)
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "txns/s")
	b.ReportMetric(float64(diskHeap)/(1<<20), "disk-heap-MiB")
	b.ReportMetric(float64(heapBytes)/(1<<20), "db-heap-MiB")
}
