package wal_test

import (
	"fmt"
	"testing"

	"github.com/zabsim/zabsim/wal"
	"github.com/zabsim/zabsim/wal/memfs"
)

// benchTxn is a setData-sized txn: 32-byte header plus a ~100-byte body.
func benchTxn(z int64) wal.Txn {
	body := make([]byte, 100)
	copy(body, fmt.Sprintf("/app/node-%d", z%1000))
	return wal.Txn{Header: wal.TxnHeader{ClientID: 0x1000, Cxid: int32(z), Zxid: z, TimeMs: z, Type: 5}, Body: body}
}

// BenchmarkAppendGroupCommit measures appended txns per second on the in-memory disk
// with one Commit (fsync) per batch, preAllocSize at ZooKeeper's default 64 MiB.
func BenchmarkAppendGroupCommit(b *testing.B) {
	for _, batch := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			fs := memfs.New()
			fs.MkdirAll(dir)
			l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: wal.DefaultPreAllocKB})
			txns := make([]wal.Txn, 1000)
			for i := range txns {
				txns[i] = benchTxn(int64(i + 1))
			}
			b.SetBytes(wal.RecordSize(txns[0]))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t := txns[i%len(txns)]
				t.Header.Zxid = int64(i + 1)
				if err := l.Append(t); err != nil {
					b.Fatal(err)
				}
				if (i+1)%batch == 0 {
					if err := l.Commit(); err != nil {
						b.Fatal(err)
					}
				}
			}
			l.Commit()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
		})
	}
}

// BenchmarkReadLog measures reading txns back (the log part of recovery).
func BenchmarkReadLog(b *testing.B) {
	fs := memfs.New()
	fs.MkdirAll(dir)
	l := wal.OpenLog(fs, dir, wal.LogOptions{PreAllocKB: wal.DefaultPreAllocKB})
	const n = 100000
	for z := int64(1); z <= n; z++ {
		l.Append(benchTxn(z))
		if z%1000 == 0 {
			l.Commit()
		}
	}
	l.Commit()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it, err := wal.ReadLog(fs, dir, 0)
		if err != nil {
			b.Fatal(err)
		}
		count := 0
		for it.Next() {
			count++
		}
		if it.Err() != nil || count != n {
			b.Fatalf("read %d, err %v", count, it.Err())
		}
		it.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "txns/s")
}
